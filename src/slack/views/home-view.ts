import type { HomeView, KnownBlock } from '@slack/types';
import type { Change } from '../../ledger/model.js';
import { context, listItem, section } from './change-views.js';

interface Listed {
  changes: Change[];
  total: number;
}

function listing(blocks: KnownBlock[], listed: Listed, now: Date, empty: string, more: string): void {
  if (listed.changes.length === 0) {
    blocks.push(section(empty));
    return;
  }
  for (const c of listed.changes) blocks.push(listItem(c, now));
  const hidden = listed.total - listed.changes.length;
  if (hidden > 0) blocks.push(context(`…and ${hidden} more: \`${more}\``));
}

/** The App Home tab: a person's own open changes, then what is overdue for everyone. */
export function homeView(args: { user: string; mine: Listed; overdue: Listed; now: Date }): HomeView {
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: 'Your temporary fixes' } }];
  listing(blocks, args.mine, args.now, 'Nothing of yours is waiting to be codified or reverted. :tada:', '/fix list mine');
  blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Overdue across the ledger' } });
  listing(blocks, args.overdue, args.now, 'No overdue changes.', '/fix list overdue');
  blocks.push(
    context('Log a fix with `/fix &lt;what you changed&gt;`; close it with `/fix codified SG-n &lt;PR&gt;` or `/fix reverted SG-n`.'),
  );
  return { type: 'home', blocks };
}
