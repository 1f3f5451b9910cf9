/**
 * Block Kit for drift: findings linked to a change (`/fix show`), unclaimed drift (`/fix drift`) and the
 * answers to claims. Pure: data in, blocks out. Values of sensitive fields (Secret data) are only ever
 * fingerprints, shown as "changed (fingerprint …)".
 */
import type { KnownBlock } from '@slack/types';
import type { Finding } from '../../drift/findings.js';
import { findingKey } from '../../ledger/drift-subcommands.js';
import { section, context } from './change-views.js';
import { LIMITS, escapeAndTruncate, slackDate, truncate } from './mrkdwn.js';
import type { SlackMessage } from './types.js';

/** Findings shown in one message before "and N more". */
export const DRIFT_LIST_LIMIT = 20;
const VALUE_CHARS = 80;

/** `Deployment shop/web` (`Rollout.argoproj.io shop/web`, `Node ip-10-0-1-7`). */
export function objectLabel(f: Pick<Finding, 'ref'>): string {
  const { group, kind, namespace, name } = f.ref;
  const builtinGroup = group === '' || group === 'apps' || group.endsWith('.k8s.io') || group === 'batch' || group === 'autoscaling' || group === 'policy';
  return `${kind}${builtinGroup ? '' : `.${group}`} ${namespace ? `${namespace}/` : ''}${name}`;
}

function fingerprintOf(value: unknown): string {
  const s = typeof value === 'string' ? value : '';
  const hex = /([0-9a-f]{8,})$/.exec(s)?.[1];
  return hex ? hex.slice(0, 12) : 'hidden';
}

/** One side of a field, as a reader sees it: JSON, shortened; absent as "(absent)". */
function valueText(value: unknown, sensitive: boolean): string {
  if (value === undefined) return '(absent)';
  if (sensitive) return `(fingerprint ${fingerprintOf(value)})`;
  const json = typeof value === 'string' ? value : JSON.stringify(value);
  return escapeAndTruncate(json ?? String(value), VALUE_CHARS, false);
}

/** desired → live for one field; a Secret's value never, only that it changed. */
export function differenceText(f: Pick<Finding, 'desired' | 'live' | 'sensitive' | 'difference'>): string {
  if (f.sensitive && f.difference === 'changed') return `changed (fingerprint ${fingerprintOf(f.desired)} → ${fingerprintOf(f.live)})`;
  if (f.difference === 'missing') return `\`${valueText(f.desired, f.sensitive)}\` missing from the cluster`;
  if (f.difference === 'extra') return `\`${valueText(f.live, f.sensitive)}\` added by hand`;
  return `\`${valueText(f.desired, f.sensitive)}\` → \`${valueText(f.live, f.sensitive)}\``;
}

function writer(f: Finding): string {
  const a = f.attribution;
  if (!a) return 'writer unknown';
  const how = a.subresource ? `${a.manager} (${a.subresource})` : a.manager;
  return a.time ? `${escapeAndTruncate(how, 80, false)} ${slackDate(a.time, '{date_short} {time}')}` : escapeAndTruncate(how, 80, false);
}

function stateText(f: Finding): string {
  if (!f.resolvedAt) return 'still live';
  const how: Record<NonNullable<Finding['resolution']>, string> = {
    reverted: 'reverted in the cluster',
    codified: 'codified in desired state',
    deleted: 'object deleted',
    cleared: 'gone (both sides moved)',
  };
  return `${how[f.resolution ?? 'cleared']} ${slackDate(f.resolvedAt, '{date_short} {time}')}`;
}

/** One finding as one line: key, object, path, desired → live, who wrote it and when, state. */
export function findingLine(f: Finding, opts: { withState?: boolean; withCluster?: boolean; /** mrkdwn: a mention, or an escaped username */ person?: string } = {}): string {
  const where = opts.withCluster ? ` (${escapeAndTruncate(f.cluster, 60, false)})` : '';
  const path = f.path === '' ? 'whole object' : escapeAndTruncate(f.path, 200, false);
  const parts = [`\`${findingKey(f.id)}\` ${escapeAndTruncate(objectLabel(f), 200, false)}${where} \`${path}\`: ${differenceText(f)}`, `${writer(f)}${opts.person ? ` by ${opts.person}` : ''}`];
  if (opts.withState) parts.push(stateText(f));
  return parts.join(' · ');
}

/** Lines packed into sections under Slack's text limit; the rest counted. */
function packed(lines: string[], limitBlocks: number): { blocks: KnownBlock[]; hidden: number } {
  const blocks: KnownBlock[] = [];
  let current = '';
  let shown = 0;
  for (const line of lines) {
    if (current !== '' && current.length + line.length + 1 > LIMITS.sectionText) {
      if (blocks.length + 1 >= limitBlocks) break;
      blocks.push(section(current));
      current = '';
    }
    current = current === '' ? line : `${current}\n${line}`;
    shown += 1;
  }
  if (current !== '') blocks.push(section(current));
  return { blocks, hidden: lines.length - shown };
}

/** The "Drift" part of `/fix show SG-n`. */
export function linkedDriftBlocks(findings: readonly Finding[], personOf: (f: Finding) => string | undefined = () => undefined): KnownBlock[] {
  if (findings.length === 0) return [context('No drift is linked to this change yet. Stopgap links drift on the objects it names when the scanner sees it.')];
  const live = findings.filter((f) => !f.resolvedAt).length;
  const lines = findings.slice(0, DRIFT_LIST_LIMIT).map((f) => `• ${findingLine(f, { withState: true, withCluster: true, person: personOf(f) })}`);
  const { blocks, hidden } = packed(lines, 8);
  const more = findings.length - DRIFT_LIST_LIMIT + hidden;
  return [
    section(`*Linked drift* (${findings.length}, ${live === 0 ? 'none live' : `${live} still live`})`),
    ...blocks,
    ...(more > 0 ? [context(`…and ${more} more.`)] : []),
  ];
}

/** `/fix drift [cluster]`: active findings nobody has claimed, grouped by object. */
export function unclaimedDriftList(findings: readonly Finding[], opts: { cluster?: string; commandName: string; total?: number }): SlackMessage {
  const where = opts.cluster ? ` on ${opts.cluster}` : '';
  const total = Math.max(opts.total ?? findings.length, findings.length);
  if (total === 0) {
    const text = `No unclaimed drift${where}. Every drifted field the scanner sees is linked to a change.`;
    return { text, blocks: [section(escapeAndTruncate(text, LIMITS.sectionText, false))] };
  }
  const lines = findings.slice(0, DRIFT_LIST_LIMIT).map((f) => `• ${findingLine(f, { withCluster: !opts.cluster })}`);
  const { blocks, hidden } = packed(lines, 40);
  const more = total - Math.min(findings.length, DRIFT_LIST_LIMIT) + hidden;
  const cmd = opts.commandName;
  return {
    text: truncate(`Unclaimed drift${where} (${total} fields)`, LIMITS.fallbackText),
    blocks: [
      section(escapeAndTruncate(`*Unclaimed drift${where}* (${total} fields)`, LIMITS.sectionText, false)),
      ...blocks,
      ...(more > 0 ? [context(`…and ${more} more.`)] : []),
      context(`Yours? \`${cmd} claim D-n SG-n\` links it to a change, or log it: \`${cmd} <what you changed>\`.`),
    ],
  };
}
