/**
 * The reminder DM an owner gets about an open change, and the escalation posted to the team's channel
 * (or sent to the escalation contact): what was changed, where, when and by whom, how old and when due,
 * the linked drift and whether the scanner still sees it, and the change's buttons.
 */
import type { KnownBlock } from '@slack/types';
import type { Finding } from '../../drift/findings.js';
import type { Change } from '../../ledger/model.js';
import { formatResource } from '../../ledger/model.js';
import { changeActions, context, section } from './change-views.js';
import { findingLine } from './drift-views.js';
import { LIMITS, escapeAndTruncate, firstLine, mention, slackDate, truncate } from './mrkdwn.js';
import type { SlackMessage } from './types.js';

/** Linked drift lines shown before "and N more". */
const DRIFT_SHOWN = 5;

export type EscalationReason = 'overdue' | 'unanswered' | 'undeliverable';

/** First blocks' IDs: a message acted on is redrawn as what it was (`escalation_head:overdue`). */
export const REMINDER_HEAD_BLOCK_ID = 'reminder_head';
export const ESCALATION_HEAD_BLOCK_ID = 'escalation_head';

/** `3 days`, `5 hours`, `2 weeks`: how long ago, roughly. */
export function ageText(fromIso: string, now: Date): string {
  const ms = Math.max(0, now.getTime() - Date.parse(fromIso));
  const units: [number, string][] = [
    [7 * 86_400_000, 'week'],
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
  ];
  for (const [size, name] of units) {
    const n = Math.floor(ms / size);
    if (n >= 1) return `${n} ${name}${n === 1 ? '' : 's'}`;
  }
  return 'moments';
}

function whereText(change: Change): string {
  const objects = change.resources.slice(0, 3).map((r) => `\`${escapeAndTruncate(formatResource(r), 120, false)}\``);
  const more = change.resources.length > 3 ? ` and ${change.resources.length - 3} more` : '';
  const cluster = change.cluster ? ` in \`${escapeAndTruncate(change.cluster, 60, false)}\`` : '';
  return objects.length === 0 ? `no objects named${cluster}` : `${objects.join(', ')}${more}${cluster}`;
}

function driftBlocks(change: Change, live: readonly Finding[], linked: number): KnownBlock[] {
  if (linked === 0) return [context('No drift is linked to this change: Stopgap cannot check it against the cluster.')];
  if (live.length === 0) return [context(`Linked drift: ${linked} field${linked === 1 ? '' : 's'}, none still live: mark it codified or reverted.`)];
  const lines = live.slice(0, DRIFT_SHOWN).map((f) => `• ${findingLine(f)}`);
  const more = live.length > DRIFT_SHOWN ? `\n…and ${live.length - DRIFT_SHOWN} more` : '';
  const lead = change.status === 'in_review' ? '*The scanner still sees this live* (codified, but the cluster still differs from git):' : `*Still live in the cluster* (${live.length} of ${linked} linked field${linked === 1 ? '' : 's'}):`;
  return [section(truncate(`${lead}\n${lines.join('\n')}${more}`, LIMITS.sectionText))];
}

function factsBlock(change: Change, now: Date): KnownBlock {
  const due = Date.parse(change.dueAt) <= now.getTime() ? `${slackDate(change.dueAt)} :warning: *overdue*` : slackDate(change.dueAt);
  return {
    type: 'section',
    fields: [
      { type: 'mrkdwn', text: `*Where*\n${truncate(whereText(change), LIMITS.sectionField - 10)}` },
      { type: 'mrkdwn', text: `*Logged*\n${slackDate(change.createdAt, '{date_short} {time}')} by ${mention(change.actor)}` },
      { type: 'mrkdwn', text: `*Age*\n${ageText(change.createdAt, now)}` },
      { type: 'mrkdwn', text: `*Due*\n${due}` },
    ],
  };
}

export interface ReminderArgs {
  change: Change;
  now: Date;
  /** Which reminder this is (1 for the first); unknown when the message is redrawn after an action. */
  number?: number;
  /** What was done from this message, shown under it when it is redrawn (`Snoozed until … by @alice`). */
  note?: string;
  /** Linked findings the scanner still sees, and how many are linked in all. */
  live: readonly Finding[];
  linked: number;
}

export function reminderMessage(args: ReminderArgs): SlackMessage {
  const { change, now } = args;
  const lead = change.status === 'in_review' ? `:hourglass: *${change.key}* is codified but not yet confirmed by the scanner.` : `:wave: *${change.key}* is still open: codify it in git or revert it.`;
  const blocks: KnownBlock[] = [
    { ...section(lead), block_id: REMINDER_HEAD_BLOCK_ID },
    section(escapeAndTruncate(change.description, LIMITS.sectionText)),
    factsBlock(change, now),
    ...driftBlocks(change, args.live, args.linked),
  ];
  if (change.status === 'open' || change.status === 'in_review') blocks.push(changeActions(change));
  blocks.push(context(`${args.number === undefined ? 'Reminder' : `Reminder ${args.number}`} · owner ${mention(change.owner)}`));
  if (args.note) blocks.push(context(args.note));
  const text = truncate(`Reminder: ${change.key} is still ${change.status === 'in_review' ? 'in review' : 'open'} (${ageText(change.createdAt, now)} old): ${escapeAndTruncate(firstLine(change.description), 300)}`, LIMITS.fallbackText);
  return { text, blocks };
}

export interface EscalationArgs extends Omit<ReminderArgs, 'number'> {
  reason: EscalationReason;
  /** Reminders that went unanswered (for `unanswered`). */
  unanswered: number;
}

export function escalationMessage(args: EscalationArgs): SlackMessage {
  const { change, now } = args;
  const why: Record<EscalationReason, string> = {
    overdue: `is past its due date (${slackDate(change.dueAt)})`,
    unanswered: `has had ${args.unanswered} reminder${args.unanswered === 1 ? '' : 's'} without an answer`,
    undeliverable: 'could not be sent to its owner by DM',
  };
  const blocks: KnownBlock[] = [
    { ...section(`:rotating_light: *${change.key}* ${why[args.reason]}. Owner: ${mention(change.owner)}.`), block_id: `${ESCALATION_HEAD_BLOCK_ID}:${args.reason}` },
    section(escapeAndTruncate(change.description, LIMITS.sectionText)),
    factsBlock(change, now),
    ...driftBlocks(change, args.live, args.linked),
  ];
  if (change.status === 'open' || change.status === 'in_review') blocks.push(changeActions(change));
  if (args.note) blocks.push(context(args.note));
  const plainWhy: Record<EscalationReason, string> = { overdue: 'is overdue', unanswered: `has ${args.unanswered} unanswered reminders`, undeliverable: 'could not be sent to its owner' };
  const text = truncate(`${change.key} ${plainWhy[args.reason]} (owner ${mention(change.owner)}): ${escapeAndTruncate(firstLine(change.description), 300)}`, LIMITS.fallbackText);
  return { text, blocks };
}
