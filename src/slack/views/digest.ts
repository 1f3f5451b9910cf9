/**
 * The weekly digest as one Slack message: the headline figures with their week-over-week change, ages,
 * the oldest ten (then "and N more"), owners and teams, the buttons, and the ledger head as its anchor.
 * Within Slack's limits whatever the ledger's size. Pure.
 */
import type { KnownBlock } from '@slack/types';
import type { Digest } from '../../digest/model.js';
import { context, section } from './change-views.js';
import { LIMITS, escapeAndTruncate, mention, slackDate, truncate } from './mrkdwn.js';
import type { SlackMessage } from './types.js';

export const DIGEST_LIST_OVERDUE_ACTION_ID = 'digest_list_overdue';
export const DIGEST_HEAD_BLOCK_ID = 'digest_head';
const OWNERS_SHOWN = 10;

/** `+3`, `−2`, `±0`: how a figure moved since last week. */
function delta(n: number): string {
  return n > 0 ? `+${n}` : n < 0 ? `−${-n}` : '±0';
}

function days(n: number | null): string {
  return n === null ? 'none closed' : `${n} day${n === 1 ? '' : 's'}`;
}

/** The anchor line: `stopgap verify --anchor SEQ:HASH` proves the ledger still holds this history. */
export function anchorText(head: Digest['ledgerHead']): string {
  return head ? `Ledger head: event ${head.seq}, ${head.hash}. Check later with \`stopgap verify --anchor ${head.seq}:${head.hash}\`.` : 'Ledger head: empty ledger.';
}

export function digestMessage(d: Digest, opts: { appHomeUrl?: string } = {}): SlackMessage {
  const scope = d.team ? escapeAndTruncate(d.team, 80, false) : 'everyone';
  const title = `Unreconciled changes, ${scope}: week to ${d.at.slice(0, 10)}`;
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(title, LIMITS.headerText) }, block_id: DIGEST_HEAD_BLOCK_ID }];
  const quiet = d.open.total === 0 && d.unclaimedDrift === 0;
  if (quiet) {
    blocks.push(section(`:tada: Nothing unreconciled: every manual change is codified, reverted or dismissed, and no drift is unclaimed.`));
  }
  blocks.push({
    type: 'section',
    fields: [
      { type: 'mrkdwn', text: `*Open*\n${d.open.total} (${delta(d.deltas.open)})${d.open.byStatus.in_review ? `, ${d.open.byStatus.in_review} in review` : ''}` },
      { type: 'mrkdwn', text: `*Overdue*\n${d.overdue} (${delta(d.deltas.overdue)})` },
      { type: 'mrkdwn', text: `*New this week*\n${d.thisWeek.new} (${delta(d.deltas.new)})` },
      { type: 'mrkdwn', text: `*Reconciled this week*\n${d.thisWeek.reconciled} (${delta(d.deltas.reconciled)}), ${d.thisWeek.verified} verified` },
      { type: 'mrkdwn', text: `*Dismissed this week*\n${d.thisWeek.dismissed} (${delta(d.deltas.dismissed)})` },
      { type: 'mrkdwn', text: `*Unclaimed drift*\n${d.unclaimedDrift} field${d.unclaimedDrift === 1 ? '' : 's'}` },
      { type: 'mrkdwn', text: `*Median time to reconcile*\n30 days: ${days(d.medianDaysToReconcile.last30)} · 90 days: ${days(d.medianDaysToReconcile.last90)}` },
    ],
  });
  if (d.open.total > 0) {
    const a = d.open.byAge;
    blocks.push(context(`Open by age: under a week ${a.underOneWeek} · 1–4 weeks ${a.oneToFourWeeks} · 1–3 months ${a.oneToThreeMonths} · older ${a.older}`));
    const lines = d.oldest.map((o) => {
      const what = o.resources.length ? `\`${escapeAndTruncate(o.resources[0] as string, 120, false)}\`${o.resources.length > 1 ? ` +${o.resources.length - 1}` : ''}` : '_no object named_';
      const where = o.cluster ? ` in \`${escapeAndTruncate(o.cluster, 60, false)}\`` : '';
      const flags = [o.overdue ? ':warning: overdue' : '', o.driftLive ? 'drift still live' : ''].filter(Boolean).join(', ');
      return `• *SG-${o.id}* ${what}${where}, ${o.ageDays} days, ${mention(o.owner)}${flags ? ` (${flags})` : ''}`;
    });
    const more = d.open.total - d.oldest.length;
    blocks.push(section(truncate(`*Oldest open*\n${lines.join('\n')}${more > 0 ? `\n…and ${more} more: \`/fix list all\`` : ''}`, LIMITS.sectionText)));
    const owners = d.perOwner.slice(0, OWNERS_SHOWN).map((o) => `${mention(o.owner)} ${o.open}${o.overdue ? ` (${o.overdue} overdue)` : ''}`);
    const moreOwners = d.perOwner.length - owners.length;
    blocks.push(section(truncate(`*By owner*: ${owners.join(' · ')}${moreOwners > 0 ? ` · and ${moreOwners} more` : ''}`, LIMITS.sectionText)));
    if (d.team === null && d.perTeam.length > 1) {
      const teams = d.perTeam.map((t) => `${escapeAndTruncate(t.team ?? 'no team', 60, false)} ${t.open}${t.overdue ? ` (${t.overdue} overdue)` : ''}`);
      blocks.push(section(truncate(`*By team*: ${teams.join(' · ')}`, LIMITS.sectionText)));
    }
  }
  blocks.push({
    type: 'actions',
    block_id: 'digest_actions',
    elements: [
      ...(opts.appHomeUrl ? [{ type: 'button' as const, action_id: 'digest_open_home', text: { type: 'plain_text' as const, text: 'Your changes (App Home)' }, url: opts.appHomeUrl }] : []),
      { type: 'button' as const, action_id: DIGEST_LIST_OVERDUE_ACTION_ID, text: { type: 'plain_text' as const, text: '/fix list overdue' }, value: d.team ?? '' },
    ],
  });
  blocks.push(context(`${anchorText(d.ledgerHead)} As of ${slackDate(d.at, '{date_short} {time}')}.`));
  const text = truncate(
    quiet
      ? `Weekly digest (${scope}): nothing unreconciled.`
      : `Weekly digest (${scope}): ${d.open.total} open (${delta(d.deltas.open)}), ${d.overdue} overdue, ${d.thisWeek.new} new and ${d.thisWeek.reconciled} reconciled this week, ${d.unclaimedDrift} unclaimed drift. ${d.ledgerHead ? `Ledger head ${d.ledgerHead.seq}:${d.ledgerHead.hash}` : ''}`,
    LIMITS.fallbackText,
  );
  return { text, blocks };
}
