/**
 * People as Slack shows them: the person the audit log says made a drifted field, as a mention when
 * `audit.users` maps their Kubernetes username to a Slack user, or when the username is an e-mail
 * address Slack knows (`users.lookupByEmail`, cached), else as the username.
 */
import type { Person } from '../audit/attribute.js';
import type { Finding } from '../drift/findings.js';
import type { AuditStore } from '../store/audit-store.js';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.js';
import { escapeAndTruncate } from './views/index.js';


/** The person the audit log names for a finding, with their Slack user when `audit.users` maps them. */
/** Kubernetes usernames to Slack users: the configured map first, else Slack's e-mail lookup. */
export type SlackUserLookup = (username: string) => string | undefined;

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** How long a lookup's answer (found or not) is trusted. */
const LOOKUP_TTL_MS = 3_600_000;

/**
 * `audit.users`, then `users.lookupByEmail` for usernames that are e-mail addresses. A lookup runs in the
 * background and is cached (answers, "no such user" too, for an hour), so rendering never waits on Slack
 * and Slack is asked about each address at most once an hour; the Web API client honours rate limits.
 */
export function slackUserLookup(deps: { users: Readonly<Record<string, string>>; client: WebClient; logger: Logger; now?: () => number }): SlackUserLookup {
  const cache = new Map<string, { user?: string; at: number }>();
  const pending = new Set<string>();
  const now = deps.now ?? Date.now;
  const lookup = (email: string) => {
    pending.add(email);
    deps.client.users
      .lookupByEmail({ email })
      .then((res) => cache.set(email, { user: res.user?.id, at: now() }))
      .catch((err: unknown) => {
        const code = (err as { data?: { error?: string } }).data?.error;
        if (code === 'users_not_found') cache.set(email, { at: now() });
        else deps.logger.warn({ err, code }, 'could not look a person up in Slack by e-mail');
      })
      .finally(() => pending.delete(email));
  };
  return (username) => {
    const mapped = deps.users[username];
    if (mapped) return mapped;
    if (!EMAIL.test(username)) return undefined;
    const hit = cache.get(username);
    if ((!hit || now() - hit.at > LOOKUP_TTL_MS) && !pending.has(username)) lookup(username);
    return hit?.user;
  };
}

export function personOf(audit: AuditStore, slackUserOf: SlackUserLookup, finding: Finding): (Person & { slackUser?: string }) | undefined {
  const person = audit.personFor(finding);
  if (!person) return undefined;
  const slackUser = slackUserOf(person.username);
  return slackUser ? { ...person, slackUser } : person;
}

export function personLabel(audit: AuditStore, slackUserOf: SlackUserLookup, finding: Finding): string | undefined {
  const person = personOf(audit, slackUserOf, finding);
  if (!person) return undefined;
  const slackUser = person.slackUser;
  const who = slackUser ? `<@${slackUser}>` : escapeAndTruncate(person.username, 120, false);
  return person.via ? `${escapeAndTruncate(person.via, 120, false)} acting as ${who}` : who;
}
