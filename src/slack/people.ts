/**
 * People as Slack shows them: the person the audit log says made a drifted field, as a mention when
 * `audit.users` maps their Kubernetes username to a Slack user, else as the username.
 */
import { attributeFinding, type Person } from '../audit/attribute.js';
import { pluralOf } from '../audit/watched.js';
import type { Finding } from '../drift/findings.js';
import type { AuditStore } from '../store/audit-store.js';
import { escapeAndTruncate } from './views/index.js';

const WINDOW_MS = 15 * 60_000;

/** The person the audit log names for a finding, with their Slack user when `audit.users` maps them. */
export function personOf(audit: AuditStore, users: Readonly<Record<string, string>>, finding: Finding): (Person & { slackUser?: string }) | undefined {
  const at = Date.parse(finding.attribution?.time ?? finding.firstSeen);
  if (Number.isNaN(at)) return undefined;
  const writes = audit.writesTo(
    finding.cluster,
    { resource: pluralOf(finding.ref.kind), namespace: finding.ref.namespace ?? '', name: finding.ref.name },
    new Date(at - WINDOW_MS),
    new Date(at + 5_000),
  );
  const person = attributeFinding(finding, writes);
  if (!person) return undefined;
  const slackUser = users[person.username];
  return slackUser ? { ...person, slackUser } : person;
}

export function personLabel(audit: AuditStore, users: Readonly<Record<string, string>>, finding: Finding): string | undefined {
  const person = personOf(audit, users, finding);
  if (!person) return undefined;
  const slackUser = person.slackUser;
  const who = slackUser ? `<@${slackUser}>` : escapeAndTruncate(person.username, 120, false);
  return person.via ? `${escapeAndTruncate(person.via, 120, false)} acting as ${who}` : who;
}
