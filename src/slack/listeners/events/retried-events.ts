import type { App as BoltApp } from '@slack/bolt';
import type { SlackContext } from '../../context.js';

/** Events API retries: the first delivery of an event_id is handled, Slack's retries of it are not. */
export function ignoreRetriedEvents(app: BoltApp, ctx: SlackContext): void {
  // Slack retries an event it thinks we missed; each event_id is handled once.
  app.use(async ({ body, next }) => {
    const eventId = (body as { type?: string; event_id?: string }).type === 'event_callback' ? (body as { event_id?: string }).event_id : undefined;
    if (eventId && !(await ctx.ledger.claimRequestSoon(`event:${eventId}`, ctx.now()))) {
      ctx.logger.debug({ eventId }, 'duplicate Slack event ignored');
      return;
    }
    await next();
  });
}
