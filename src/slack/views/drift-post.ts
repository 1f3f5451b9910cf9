/**
 * The channel message about one object's unclaimed drift: every drifted field (Secrets only as
 * fingerprints), who wrote it and when, and what to do. The same message is updated as fields are
 * claimed or resolved; once none is left unclaimed it shows the outcome and loses its buttons. Pure.
 */
import type { ActionsBlock, KnownBlock } from '@slack/types';
import type { Finding } from '../../drift/findings.js';
import { changeKey } from '../../ledger/model.js';
import { context, section } from './change-views.js';
import { differenceText, findingLine, objectLabel } from './drift-views.js';
import { LIMITS, escapeAndTruncate, firstLine, truncate } from './mrkdwn.js';
import type { SlackMessage } from './types.js';

export const DRIFT_POST_ACTION_IDS = {
  logIt: 'drift_log_it',
  linkExisting: 'drift_link_existing',
  pickChange: 'drift_pick_change',
  ignore: 'drift_ignore',
} as const;

/** A field of the object, and the change it is linked to if any. */
export interface PostedField {
  finding: Finding;
  changeId?: number;
  /** Who made it, from the audit log (mrkdwn: a mention or an escaped username), when known. */
  person?: string;
  /** Set when the change it is linked to marked it expected ("Expected: ignore"): who, and why. */
  expected?: { by: string; reason: string };
}

/** Whether a message still asks for someone: a field that is live and linked to no change. */
export function stillUnclaimed(fields: readonly PostedField[]): boolean {
  return fields.some((f) => f.changeId === undefined && !f.finding.resolvedAt);
}

const SHOWN_FIELDS = 15;

/** The button value: which object (the post's id is enough to find it again). */
export function driftPostValue(postId: number): string {
  return `drift-post:${postId}`;
}

export function parseDriftPostValue(value: string | undefined): number | undefined {
  const m = /^drift-post:(\d{1,12})$/.exec(value ?? '');
  return m ? Number(m[1]) : undefined;
}

export function unclaimedDriftMessage(args: { postId: number; fields: readonly PostedField[]; commandName?: string }): SlackMessage {
  const { fields, postId } = args;
  const cmd = args.commandName ?? '/fix';
  const first = fields[0]?.finding;
  const label = first ? objectLabel(first) : 'an object';
  const cluster = first?.cluster ?? '';
  const open = stillUnclaimed(fields);
  const claimedBy = [...new Set(fields.map((f) => f.changeId).filter((id): id is number => id !== undefined))].sort((a, b) => a - b);

  const expected = fields.length > 0 && fields.every((f) => f.expected !== undefined) ? fields[0]?.expected : undefined;
  const title = open
    ? `Unclaimed drift on ${cluster}`
    : expected
      ? `Drift on ${cluster}: expected`
      : claimedBy.length > 0
        ? `Drift on ${cluster}: claimed`
        : `Drift on ${cluster}: gone`;
  const lines = fields.slice(0, SHOWN_FIELDS).map(({ finding, changeId, person }) => {
    const state = finding.resolvedAt ? ' · resolved' : changeId !== undefined ? ` · linked to *${changeKey(changeId)}*` : '';
    return `• ${findingLine(finding, { person })}${state}`;
  });
  if (fields.length > SHOWN_FIELDS) lines.push(`…and ${fields.length - SHOWN_FIELDS} more fields.`);

  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(title, LIMITS.headerText) } },
    section(truncate(`*${escapeAndTruncate(label, 300, false)}*\n${lines.join('\n')}`, LIMITS.sectionText)),
  ];
  if (open) {
    blocks.push(context(`Nobody has logged this change. If it was you, log it; if a change already covers it, link it. \`${cmd} drift\` lists all unclaimed drift.`));
    const actions: ActionsBlock = {
      type: 'actions',
      block_id: 'drift_post_actions',
      elements: [
        { type: 'button', action_id: DRIFT_POST_ACTION_IDS.logIt, text: { type: 'plain_text', text: 'It was me: log it' }, style: 'primary', value: driftPostValue(postId) },
        { type: 'button', action_id: DRIFT_POST_ACTION_IDS.linkExisting, text: { type: 'plain_text', text: 'Link to an existing change' }, value: driftPostValue(postId) },
        { type: 'button', action_id: DRIFT_POST_ACTION_IDS.ignore, text: { type: 'plain_text', text: 'Expected: ignore' }, value: driftPostValue(postId) },
      ],
    };
    blocks.push(actions);
  } else if (expected) {
    blocks.push(context(`Marked expected by <@${expected.by}> (${claimedBy.map((id) => `*${changeKey(id)}*`).join(', ')}): “${escapeAndTruncate(expected.reason, 500)}”. Stopgap no longer reports these fields.`));
  } else if (claimedBy.length > 0) {
    blocks.push(context(`Claimed by ${claimedBy.map((id) => `*${changeKey(id)}*`).join(', ')}: \`${cmd} show\` it for the details.`));
  } else {
    blocks.push(context('Every field is back in line with desired state: nothing to log.'));
  }
  const text = truncate(`${title}: ${label} (${fields.length} field${fields.length === 1 ? '' : 's'})`, LIMITS.fallbackText);
  return { text, blocks };
}

/** A button's value on the "which change was it" question: the finding and the change picked. */
export function pickValue(findingId: number, changeId: number): string {
  return `pick:${findingId}:${changeId}`;
}

export function parsePickValue(value: string | undefined): { findingId: number; changeId: number } | undefined {
  const m = /^pick:(\d{1,12}):(\d{1,12})$/.exec(value ?? '');
  return m ? { findingId: Number(m[1]), changeId: Number(m[2]) } : undefined;
}

/**
 * Asked of the owners when a drifted field fits two or more open changes equally well: Stopgap never
 * guesses, a person picks (at most five buttons; `/fix claim` takes any change).
 */
export function whichChangeQuestion(args: { finding: Finding; changes: readonly { id: number; description: string }[] }): SlackMessage {
  const { finding, changes } = args;
  const keys = changes.map((c) => changeKey(c.id));
  const lines = changes.map((c) => `• *${changeKey(c.id)}* ${escapeAndTruncate(firstLine(c.description), 200)}`);
  const blocks: KnownBlock[] = [
    section(`Drift on ${finding.cluster} fits ${keys.join(' and ')} equally well. Which change made it?\n• ${findingLine(finding)}`),
    section(lines.join('\n')),
    {
      type: 'actions',
      block_id: 'drift_pick',
      elements: changes.slice(0, 5).map((c) => ({
        type: 'button' as const,
        action_id: `${DRIFT_POST_ACTION_IDS.pickChange}_${c.id}`,
        text: { type: 'plain_text' as const, text: `It was ${changeKey(c.id)}` },
        value: pickValue(finding.id, c.id),
      })),
    },
    context(`Or: \`/fix claim D-${finding.id} SG-n\`.`),
  ];
  return { text: truncate(`Which change made the drift on ${objectLabel(finding)}: ${keys.join(' or ')}?`, LIMITS.fallbackText), blocks };
}


/**
 * "You changed X, log it?": to the person the audit log names, one DM for all their unclaimed drift at
 * once, each object with the buttons of its channel message (acting here updates that message).
 */
export function nudgeMessage(items: readonly { postId: number; finding: Finding }[]): SlackMessage {
  const byPost = new Map<number, Finding[]>();
  for (const { postId, finding } of items) byPost.set(postId, [...(byPost.get(postId) ?? []), finding]);
  const blocks: KnownBlock[] = [section(items.length === 1 ? 'You changed this by hand and nobody has logged it yet. Log it?' : `You changed these by hand and nobody has logged them yet (${byPost.size} objects). Log them?`)];
  let shown = 0;
  for (const [postId, findings] of byPost) {
    if (shown === 10) break;
    shown += 1;
    const first = findings[0] as Finding;
    blocks.push(section(truncate(`*${escapeAndTruncate(objectLabel(first), 300, false)}* in ${escapeAndTruncate(first.cluster, 60, false)}\n${findings.map((f) => `• ${findingLine(f)}`).join('\n')}`, LIMITS.sectionText)));
    blocks.push({
      type: 'actions',
      block_id: `nudge_${postId}`,
      elements: [
        { type: 'button', action_id: DRIFT_POST_ACTION_IDS.logIt, text: { type: 'plain_text', text: 'Log it' }, style: 'primary', value: driftPostValue(postId) },
        { type: 'button', action_id: DRIFT_POST_ACTION_IDS.linkExisting, text: { type: 'plain_text', text: 'Part of a change' }, value: driftPostValue(postId) },
        { type: 'button', action_id: DRIFT_POST_ACTION_IDS.ignore, text: { type: 'plain_text', text: 'Expected' }, value: driftPostValue(postId) },
      ],
    });
  }
  if (byPost.size > shown) blocks.push(context(`…and ${byPost.size - shown} more objects: \`/fix drift\` lists them.`));
  const first = items[0]?.finding;
  const text = first ? `You changed ${nudgeSummary(first)}${items.length > 1 ? ` and ${items.length - 1} more` : ''}. Log it?` : 'Log your changes?';
  return { text: truncate(text, LIMITS.fallbackText), blocks };
}

/** `Deployment shop/payments-api in prod-eu at 03:12 UTC (/spec/replicas 3 → 10)`: the notification's line. */
function nudgeSummary(f: Finding): string {
  const at = new Date(f.attribution?.time ?? f.firstSeen);
  const when = Number.isNaN(at.getTime()) ? '' : ` at ${at.toISOString().slice(11, 16)} UTC`;
  const what = f.path === '' ? '' : ` (${f.path} ${differenceText(f).replace(/\x60/g, '')})`;
  return `${objectLabel(f)} in ${f.cluster}${when}${what}`;
}
