import type { App as BoltApp } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import { homeView } from '../../views/home-view.js';

/** App Home shows the person's own unreconciled changes and the overdue ones across the ledger. */
export function registerHome(app: BoltApp, ctx: SlackContext): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    const now = ctx.now();
    const mine = ctx.ledger.list({ scope: 'mine', user: event.user, now, limit: 20 });
    const overdue = ctx.ledger.list({ scope: 'overdue', user: event.user, now, limit: 10 });
    try {
      await client.views.publish({ user_id: event.user, view: homeView({ user: event.user, mine, overdue, now }) });
    } catch (err) {
      ctx.deliveryFailed('home_tab', err, { user: event.user });
    }
  });
}
