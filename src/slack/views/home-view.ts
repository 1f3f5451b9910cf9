import type { HomeView, KnownBlock } from '@slack/types';
import type { Change } from '../../ledger/model.js';
import { formatResource } from '../../ledger/model.js';
import { isOverdue } from '../../ledger/lifecycle.js';

interface Listed {
  changes: Change[];
  total: number;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function line(change: Change, now: Date): string {
  const where = [change.cluster, ...change.resources.map(formatResource)].filter(Boolean).join(' · ');
  const due = Math.floor(Date.parse(change.dueAt) / 1000);
  const flag = isOverdue(change, now) ? ':rotating_light: overdue ' : '';
  const description = escape(change.description.length > 200 ? `${change.description.slice(0, 199)}…` : change.description);
  return `*${change.key}* ${flag}${description}${where ? `\n_${escape(where)}_` : ''}\nOwner <@${change.owner}> · due <!date^${due}^{date_short}|${change.dueAt.slice(0, 10)}> · ${change.status.replace('_', ' ')}`;
}

/** The App Home tab: a person's own open changes, then what is overdue for everyone. */
export function homeView(args: { user: string; mine: Listed; overdue: Listed; now: Date }): HomeView {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Your temporary fixes' } },
  ];
  if (args.mine.changes.length === 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'Nothing of yours is waiting to be codified or reverted. :tada:' } });
  } else {
    for (const c of args.mine.changes) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: line(c, args.now) } });
    if (args.mine.total > args.mine.changes.length) {
      blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `and ${args.mine.total - args.mine.changes.length} more: \`/fix list mine\`` }] });
    }
  }
  blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Overdue across the ledger' } });
  if (args.overdue.changes.length === 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'No overdue changes.' } });
  } else {
    for (const c of args.overdue.changes) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: line(c, args.now) } });
    if (args.overdue.total > args.overdue.changes.length) {
      blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `and ${args.overdue.total - args.overdue.changes.length} more: \`/fix list overdue\`` }] });
    }
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: 'Log a fix with `/fix <what you changed>`; close it with `/fix codified SG-n <PR>` or `/fix reverted SG-n`.' }],
  });
  return { type: 'home', blocks };
}
