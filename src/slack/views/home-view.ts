import type { HomeView, KnownBlock } from '@slack/types';
import type { Finding } from '../../drift/findings.js';
import type { Change } from '../../ledger/model.js';
import { changeActions, context, listItem, section } from './change-views.js';
import { findingLine } from './drift-views.js';
import { LIMITS, escapeAndTruncate, truncate } from './mrkdwn.js';

interface Listed {
  changes: Change[];
  total: number;
}

/** Whose unclaimed drift the tab shows: the person's teams', everyone's (no teams configured), or none. */
export type HomeDriftScope = { kind: 'teams'; names: string[] } | { kind: 'all' } | { kind: 'no_team' };

export interface HomeArgs {
  user: string;
  now: Date;
  /** The person's open changes, overdue first. */
  mine: Listed;
  /** Open changes the person logged for someone else. */
  forOthers: Listed;
  drift: { findings: readonly Finding[]; total: number; scope: HomeDriftScope };
  /** Changes whose linked drift the scanner still sees. */
  liveDrift: ReadonlySet<number>;
}

/** Changes shown with their actions; Slack allows 100 blocks in a tab. */
export const HOME_CHANGES_SHOWN = 10;
const HOME_DRIFT_SHOWN = 10;

function changes(blocks: KnownBlock[], listed: Listed, args: HomeArgs, empty: string, more: string): void {
  if (listed.changes.length === 0) {
    blocks.push(section(empty));
    return;
  }
  for (const c of listed.changes.slice(0, HOME_CHANGES_SHOWN)) blocks.push(listItem(c, args.now, args.liveDrift.has(c.id)), changeActions(c));
  const hidden = listed.total - Math.min(listed.changes.length, HOME_CHANGES_SHOWN);
  if (hidden > 0) blocks.push(context(`…and ${hidden} more: \`${more}\``));
}

/**
 * The App Home tab: the person's open changes (overdue first) and those they logged for others, each with
 * its actions, then the drift nobody has claimed in their teams' scope.
 */
export function homeView(args: HomeArgs): HomeView {
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: 'Your temporary fixes' } }];
  changes(blocks, args.mine, args, 'Nothing of yours is waiting to be codified or reverted. :tada:', '/fix list mine');
  if (args.forOthers.total > 0) {
    blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Logged by you for others' } });
    changes(blocks, args.forOthers, args, '', '/fix list all');
  }
  blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Unclaimed drift' } });
  const { scope, findings, total } = args.drift;
  if (scope.kind === 'no_team') {
    blocks.push(section('You are not among any team\'s `members` in stopgap.yml, so no drift is shown here. `/fix drift` lists all of it.'));
  } else if (total === 0) {
    blocks.push(section(scope.kind === 'teams' ? `No unclaimed drift for ${escapeAndTruncate(scope.names.join(', '), 200, false)}. :tada:` : 'No unclaimed drift. :tada:'));
  } else {
    const lines = findings.slice(0, HOME_DRIFT_SHOWN).map((f) => `• ${findingLine(f, { withCluster: true })}`);
    const lead = scope.kind === 'teams' ? `*${total} field${total === 1 ? '' : 's'}* for ${escapeAndTruncate(scope.names.join(', '), 200, false)}:` : `*${total} field${total === 1 ? '' : 's'}*:`;
    blocks.push(section(truncate(`${lead}\n${lines.join('\n')}`, LIMITS.sectionText)));
    const hidden = total - Math.min(findings.length, HOME_DRIFT_SHOWN);
    if (hidden > 0) blocks.push(context(`…and ${hidden} more: \`/fix drift\``));
    blocks.push(context('Yours? `/fix claim D-n SG-n` links it to a change, or log it with `/fix <what you changed>`.'));
  }
  blocks.push(context('Log a fix with `/fix &lt;what you changed&gt;`; close it with `/fix codified SG-n &lt;PR&gt;` or `/fix reverted SG-n`.'));
  return { type: 'home', blocks };
}
