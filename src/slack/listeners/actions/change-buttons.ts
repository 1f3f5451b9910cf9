import type { App as BoltApp, BlockAction, ButtonAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { SlackContext } from '../../context.js';
import { tellClicker } from '../../response-url.js';
import { CHANGE_ACTION_IDS, actionConfirmation, changeActionModal, escapeAndTruncate } from '../../views/index.js';

function changeIdFrom(value: string | undefined): number | undefined {
  const m = /^SG-(\d{1,9})$/i.exec(value?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}


/**
 * The buttons on a change card. "Mark reverted" acts at once; "Mark codified" and "Dismiss" ask for the
 * PR link or reason in a modal. The same permission checks apply as for the subcommands, and a click
 * Slack delivers twice (same trigger_id) applies once.
 */
export function registerChangeButtons(app: BoltApp, ctx: SlackContext): void {
  const onButton = async (kind: 'codified' | 'reverted' | 'dismiss', body: BlockAction, action: ButtonAction, client: WebClient, ack: () => Promise<void>) => {
    const id = changeIdFrom(action.value);
    const change = id === undefined ? undefined : ctx.ledger.get(id);
    if (id === undefined || !change) {
      await ack();
      ctx.metrics.refusals.inc({ code: 'not_found' });
      await tellClicker(ctx, client, body, `There is no change ${escapeAndTruncate(action.value ?? '(none)', 40)} any more, so nothing was changed. \`/fix list all\` shows the ledger.`);
      return;
    }
    if (kind === 'reverted') {
      let result;
      try {
        result = await ctx.ledger.actSoon(id, { type: 'reverted' }, ctx.actionContext(body.user.id, id), {
          requestKeys: body.trigger_id ? [`action:${body.trigger_id}`] : [],
        });
      } catch (err) {
        await ack();
        const busy = ctx.writeFailed(err, { change: change.key, user: body.user.id });
        await tellClicker(ctx, client, body, busy ? `The ledger is busy and ${change.key} was *not* updated. Try again in a moment.` : `Something went wrong and ${change.key} was not updated. Try \`/fix reverted ${change.key}\`.`);
        return;
      }
      // Acknowledged only once the status move is committed.
      await ack();
      if (!result.ok) {
        ctx.metrics.refusals.inc({ code: result.code });
        await tellClicker(ctx, client, body, result.message);
        return;
      }
      if (result.duplicate) return;
      ctx.logger.info({ change: change.key, user: body.user.id, action: 'reverted' }, 'change updated');
      await tellClicker(ctx, client, body, actionConfirmation(result.change, { type: 'reverted' }));
      return;
    }
    await ack();
    if (!body.trigger_id) return;
    const opened = await ctx.openView(body.trigger_id, changeActionModal({ kind, changeKey: change.key, privateMetadata: JSON.stringify({ kind, id }) }));
    if (!opened) {
      const example = kind === 'codified' ? `/fix codified ${change.key} <PR URL>` : `/fix dismiss ${change.key} <reason>`;
      await tellClicker(ctx, client, body, `Slack would not open the form just now, so nothing was changed. Type \`${example}\` instead.`);
    }
  };

  for (const kind of ['codified', 'reverted', 'dismiss'] as const) {
    app.action<BlockAction<ButtonAction>>(CHANGE_ACTION_IDS[kind], async ({ ack, body, action, client }) => {
      await onButton(kind, body, action, client, () => ack());
    });
  }
}
