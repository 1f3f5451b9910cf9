import type { App as BoltApp } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import { publishHome } from '../../home.js';

/** App Home: the person's open changes with their actions, those they logged for others, their teams' unclaimed drift. */
export function registerHome(app: BoltApp, ctx: SlackContext): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    await publishHome(ctx, client, event.user);
  });
}
