/**
 * The App Home tab, published: when the person opens it and after each action they take from it. Drift
 * shown is the unclaimed drift in the scope of the teams that list the person among their members.
 */
import type { WebClient } from '@slack/web-api';
import { teamFor } from '../config/teams.js';
import type { SlackContext } from './context.js';
import { HOME_CHANGES_SHOWN, homeView, type HomeDriftScope } from './views/home-view.js';

/** Unclaimed findings shown in full (the rest are counted). */
const DRIFT_SHOWN = 10;

export async function publishHome(ctx: SlackContext, client: WebClient, user: string): Promise<void> {
  const now = ctx.now();
  const mine = ctx.ledger.list({ scope: 'mine', user, now, limit: HOME_CHANGES_SHOWN });
  const forOthers = ctx.ledger.loggedForOthers(user, HOME_CHANGES_SHOWN);
  const teams = ctx.config.file.teams;
  const own = teams.filter((t) => t.members?.includes(user));
  let scope: HomeDriftScope;
  let findings: ReturnType<SlackContext['links']['unclaimed']>['findings'] = [];
  let total = 0;
  if (teams.length === 0) {
    scope = { kind: 'all' };
    ({ findings, total } = ctx.links.unclaimed({ limit: 10 }));
  } else if (own.length === 0) {
    scope = { kind: 'no_team' };
  } else {
    scope = { kind: 'teams', names: own.map((t) => t.name) };
    const names = new Set(own.map((t) => t.name));
    ({ findings, total } = ctx.links.unclaimedWhere((o) => {
      const team = teamFor(teams, o);
      return team !== undefined && names.has(team.name);
    }, DRIFT_SHOWN));
  }
  const liveDrift = ctx.links.withLiveDrift([...mine.changes, ...forOthers.changes].map((c) => c.id));
  try {
    await client.views.publish({ user_id: user, view: homeView({ user, now, mine, forOthers, drift: { findings, total, scope }, liveDrift }) });
  } catch (err) {
    ctx.deliveryFailed('home_tab', err, { user });
  }
}
