/** Block Kit for changes: the channel announcement, `/fix show` and `/fix list`. Pure: data in, blocks out. */
import type { ActionsBlock, ContextBlock, KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import { isOverdue } from '../../ledger/lifecycle.js';
import { formatResource, type Change, type ListScope, type ResourceRef } from '../../ledger/model.js';
import {
  LIMITS,
  commandLabel,
  escapeAndTruncate,
  firstLine,
  isoDay,
  linkOrText,
  mention,
  slackDate,
  statusLabel,
  truncate,
} from './mrkdwn.js';
import type { SlackMessage } from './types.js';

/**
 * A change card's actions (the announcement with `withActions`, reminders, escalations): Codify (the
 * change's drift as a patch for the manifests, sent by DM) and the reconciling buttons, whose value is the
 * change key, a Snooze menu whose option values are `SG-12 1d` (or `SG-12 date`: pick a
 * date), and a Reassign user picker; the block ID ends with the change key, for the picker.
 */
export const CHANGE_ACTIONS_BLOCK_ID = 'change_actions';
export const CHANGE_ACTION_IDS = {
  codify: 'change_codify',
  codified: 'change_codified',
  reverted: 'change_reverted',
  dismiss: 'change_dismiss',
} as const;
export const CHANGE_SNOOZE_ACTION_ID = 'change_snooze';
export const CHANGE_REASSIGN_ACTION_ID = 'change_reassign';
/** The Snooze menu's choices: a duration `/fix snooze` accepts, or `date` to pick one. */
export const SNOOZE_CHOICES: readonly { label: string; value: string }[] = [
  { label: '1 day', value: '1d' },
  { label: '3 days', value: '3d' },
  { label: '1 week', value: '1w' },
  { label: 'Pick a date…', value: 'date' },
];
export type ChangeActionId = (typeof CHANGE_ACTION_IDS)[keyof typeof CHANGE_ACTION_IDS];

/** Changes shown by `/fix list` before the "and N more" line. */
export const LIST_LIMIT = 20;

const MAX_RESOURCES_SHOWN = 10;
const LIST_DESCRIPTION_CHARS = 200;

export { isOverdue };

function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text };
}

export function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(truncate(text, LIMITS.sectionText)) };
}

export function context(...texts: string[]): ContextBlock {
  return { type: 'context', elements: texts.map((t) => mrkdwn(truncate(t, LIMITS.contextText))) };
}

/** Section fields, at most 10 per section (Slack's limit): splits into several sections. */
function fieldSections(fields: [label: string, value: string][]): SectionBlock[] {
  const out: SectionBlock[] = [];
  for (let i = 0; i < fields.length; i += 10) {
    out.push({
      type: 'section',
      fields: fields.slice(i, i + 10).map(([label, value]) => mrkdwn(truncate(`*${label}*\n${value}`, LIMITS.sectionField))),
    });
  }
  return out;
}

/** Resources as code spans, as many as fit in `budget` characters and at most `max`, then "and N more". */
function resourcesText(resources: ResourceRef[], max: number, budget: number): string {
  if (resources.length === 0) return '_none given_';
  let out = '';
  let shown = 0;
  for (const ref of resources.slice(0, max)) {
    const item = `\`${escapeAndTruncate(formatResource(ref), 300, false)}\``;
    const next = shown === 0 ? item : `${out}, ${item}`;
    // Room for " and 9999 more".
    if (next.length + 16 > budget) break;
    out = next;
    shown += 1;
  }
  const more = resources.length - shown;
  if (shown === 0) return `${resources.length} resources`;
  return more > 0 ? `${out} and ${more} more` : out;
}

/** A short user or config value (cluster, incident) on one line. */
function short(value: string): string {
  return escapeAndTruncate(value.replace(/\s+/g, ' '), 200, false);
}

function code(value: string): string {
  return `\`${short(value)}\``;
}

function orNone(value: string | null, render: (v: string) => string = short): string {
  return value ? render(value) : '_not set_';
}

function reconcileHint(change: Change, commandName: string): string {
  const cmd = commandLabel(commandName);
  return `Reconcile it: \`${cmd} codified ${change.key} &lt;PR&gt;\` or \`${cmd} reverted ${change.key}\``;
}

function dueText(change: Change, now: Date | undefined): string {
  const date = slackDate(change.dueAt);
  return now && isOverdue(change, now) ? `${date} :warning: *overdue*` : date;
}

function statusText(change: Change): string {
  const label = statusLabel(change.status);
  if (change.status === 'codified' || change.status === 'reverted') {
    return change.verified ? `${label} :white_check_mark: verified` : `${label} (not yet verified)`;
  }
  return label;
}

export type ChangeLoggedOptions = {
  /** The command as the workspace names it; defaults to `/fix`. */
  commandName?: string;
  /** Adds Mark codified / Mark reverted / Dismiss buttons ({@link CHANGE_ACTION_IDS}). */
  withActions?: boolean;
  /** Marks the due date as overdue when `now` is past it. */
  now?: Date;
  /** What was done from this message, when it is redrawn after an action. */
  note?: string;
};

/** The announcement's first block: a message acted on is redrawn as an announcement. */
export const CHANGE_LOGGED_HEAD_BLOCK_ID = 'change_logged_head';

/** The in-channel announcement of a newly logged change. */
export function changeLoggedMessage(change: Change, opts: ChangeLoggedOptions = {}): SlackMessage {
  const commandName = opts.commandName ?? '/fix';
  const blocks: KnownBlock[] = [
    { ...section(`:memo: *${change.key}* logged by ${mention(change.actor)}`), block_id: CHANGE_LOGGED_HEAD_BLOCK_ID },
    section(escapeAndTruncate(change.description, LIMITS.sectionText)),
    ...fieldSections([
      ['Owner', mention(change.owner)],
      ['Cluster', orNone(change.cluster, code)],
      ['Resources', resourcesText(change.resources, MAX_RESOURCES_SHOWN, LIMITS.sectionField - 20)],
      ['Incident', orNone(change.incident)],
      ['Due', dueText(change, opts.now)],
      ['Status', statusText(change)],
    ]),
  ];
  if (change.messageLink) blocks.push(context(`From ${linkOrText(change.messageLink)}`));
  blocks.push(context(reconcileHint(change, commandName)));
  if (opts.withActions && (change.status === 'open' || change.status === 'in_review')) blocks.push(changeActions(change));
  if (opts.note) blocks.push(context(opts.note));

  const text = truncate(
    `${change.key} logged by ${mention(change.actor)}: ${escapeAndTruncate(firstLine(change.description), 500)} ` +
      `(owner ${mention(change.owner)}, due ${isoDay(change.dueAt)})`,
    LIMITS.fallbackText,
  );
  return { text, blocks };
}

export function changeActions(change: Change): ActionsBlock {
  const button = (actionId: ChangeActionId, label: string, style?: 'primary' | 'danger') => ({
    type: 'button' as const,
    action_id: actionId,
    text: { type: 'plain_text' as const, text: label },
    value: change.key,
    ...(style ? { style } : {}),
  });
  return {
    type: 'actions',
    block_id: `${CHANGE_ACTIONS_BLOCK_ID}:${change.key}`,
    elements: [
      // First: the patch is what makes "Mark codified" possible.
      button(CHANGE_ACTION_IDS.codify, 'Codify'),
      button(CHANGE_ACTION_IDS.codified, 'Mark codified', 'primary'),
      button(CHANGE_ACTION_IDS.reverted, 'Mark reverted'),
      {
        type: 'static_select',
        action_id: CHANGE_SNOOZE_ACTION_ID,
        placeholder: { type: 'plain_text', text: 'Snooze' },
        options: SNOOZE_CHOICES.map((c) => ({ text: { type: 'plain_text', text: c.label }, value: `${change.key} ${c.value}` })),
      },
      { type: 'users_select', action_id: CHANGE_REASSIGN_ACTION_ID, placeholder: { type: 'plain_text', text: 'Reassign' } },
      button(CHANGE_ACTION_IDS.dismiss, 'Dismiss'),
    ],
  };
}

/** The change key an actions block names (`change_actions:SG-12`). */
export function changeKeyOfBlock(blockId: string | undefined): string | undefined {
  const m = /^change_actions:(SG-\d{1,9})$/.exec(blockId ?? '');
  return m?.[1];
}

/** Everything about one change, for `/fix show SG-n`. */
export function changeDetail(change: Change, now: Date, opts: { commandName?: string; /** Shown after the resources (the linked drift). */ extra?: KnownBlock[] } = {}): SlackMessage {
  const overdue = isOverdue(change, now);
  const title = `${change.key} · ${statusLabel(change.status)}${overdue ? ' · overdue' : ''}`;
  const fields: [string, string][] = [
    ['Status', statusText(change)],
    ['Verified', change.verified ? 'Yes, the scanner saw the drift disappear' : 'No'],
    ['Owner', mention(change.owner)],
    ['Logged by', mention(change.actor)],
    ['Cluster', orNone(change.cluster, code)],
    ['Incident', orNone(change.incident)],
    ['Logged', slackDate(change.createdAt)],
    ['Due', dueText(change, now)],
  ];
  const more: [string, string][] = [];
  if (change.snoozedUntil) more.push(['Snoozed until', slackDate(change.snoozedUntil)]);
  if (change.closedAt) more.push(['Closed', slackDate(change.closedAt)]);
  if (change.prUrl) more.push(['PR', linkOrText(change.prUrl)]);
  if (change.reason) more.push(['Reason', escapeAndTruncate(change.reason, LIMITS.sectionField - 20)]);

  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(title, LIMITS.headerText) } },
    section(escapeAndTruncate(change.description, LIMITS.sectionText)),
    ...fieldSections([...fields, ...more]),
    section(`*Resources*\n${resourcesText(change.resources, 50, LIMITS.sectionText - 20)}`),
    ...(opts.extra ?? []),
  ];
  const notes = [`Source: ${change.source}`, `updated ${slackDate(change.updatedAt, '{date_short} {time}')}`];
  if (change.messageLink) notes.push(`from ${linkOrText(change.messageLink)}`);
  blocks.push(context(notes.join(' · ')));
  if (change.status === 'open' || change.status === 'in_review') {
    blocks.push(context(reconcileHint(change, opts.commandName ?? '/fix')));
  }

  const text = truncate(
    `${change.key} (${statusLabel(change.status)}${overdue ? ', overdue' : ''}): ${escapeAndTruncate(firstLine(change.description), 500)}`,
    LIMITS.fallbackText,
  );
  return { text, blocks };
}


export type ChangeListOptions = {
  scope: ListScope;
  now: Date;
  /** How many changes matched in all, when `changes` is a page of them; defaults to `changes.length`. */
  total?: number;
  /** Changes with linked drift the scanner still sees live. */
  liveDrift?: ReadonlySet<number>;
};

const LIST_TITLE: Record<ListScope, string> = {
  mine: 'Open changes owned by you',
  all: 'Open changes',
  overdue: 'Overdue changes',
};

const EMPTY_STATE: Record<ListScope, string> = {
  mine: 'No open changes owned by you. :tada:',
  all: 'No open changes. Nothing is waiting to be codified or reverted. :tada:',
  overdue: 'No overdue changes. :tada:',
};

/** `/fix list`: one compact section per change, at most {@link LIST_LIMIT}, then "and N more". */
export function changeList(changes: Change[], opts: ChangeListOptions): SlackMessage {
  const total = Math.max(opts.total ?? changes.length, changes.length);
  if (total === 0) {
    return { text: EMPTY_STATE[opts.scope], blocks: [section(EMPTY_STATE[opts.scope])] };
  }
  const shown = changes.slice(0, LIST_LIMIT);
  const blocks: KnownBlock[] = [section(`*${LIST_TITLE[opts.scope]}* (${total})`)];
  for (const change of shown) blocks.push(listItem(change, opts.now, opts.liveDrift?.has(change.id) ?? false));
  const hidden = total - shown.length;
  if (hidden > 0) blocks.push(context(`…and ${hidden} more.`));

  const keys = shown.map((c) => c.key).join(', ');
  const text = truncate(
    `${LIST_TITLE[opts.scope]} (${total}): ${keys}${hidden > 0 ? ` and ${hidden} more` : ''}`,
    LIMITS.fallbackText,
  );
  return { text, blocks };
}

/** One change as a compact section: key, status, due, first line, owner and where. */
export function listItem(change: Change, now: Date, driftLive = false): SectionBlock {
  const meta = [mention(change.owner)];
  if (change.cluster) meta.push(code(change.cluster));
  if (change.resources.length > 0) meta.push(resourcesText(change.resources, 3, 900));
  if (change.incident) meta.push(short(change.incident));
  const line1 = `*${change.key}* · ${statusLabel(change.status)} · due ${dueText(change, now)}${driftLive ? ' · :warning: drift still live' : ''}`;
  const line2 = escapeAndTruncate(firstLine(change.description), LIST_DESCRIPTION_CHARS);
  return section(`${line1}\n${line2}\n${meta.join(' · ')}`);
}
