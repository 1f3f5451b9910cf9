import type { App as BoltApp, BlockAction, ButtonAction } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import { responderFor, tellClicker } from '../../response-url.js';
import { DIGEST_LIST_OVERDUE_ACTION_ID, changeList } from '../../views/index.js';

/** The digest's "/fix list overdue" button: the overdue changes, to the person who pressed it only. */
export function registerDigestButtons(app: BoltApp, ctx: SlackContext): void {
  app.action<BlockAction<ButtonAction>>(DIGEST_LIST_OVERDUE_ACTION_ID, async ({ ack, body, client }) => {
    await ack();
    const now = ctx.now();
    const { changes, total } = ctx.ledger.list({ scope: 'overdue', user: body.user.id, now });
    const message = changeList(changes, { scope: 'overdue', now, total, liveDrift: ctx.links.withLiveDrift(changes.map((c) => c.id)) });
    if (!body.response_url) {
      await tellClicker(ctx, client, body, message.text);
      return;
    }
    try {
      await responderFor(body.response_url)({ response_type: 'ephemeral', replace_original: false, text: message.text, blocks: message.blocks });
    } catch (err) {
      ctx.deliveryFailed('button_reply', err, { user: body.user.id });
    }
  });
}
