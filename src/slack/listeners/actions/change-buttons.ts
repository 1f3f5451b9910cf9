import type { App as BoltApp, BlockAction, ButtonAction, StaticSelectAction, UsersSelectAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { resolveDuration } from '../../../ledger/dates.js';
import type { ChangeAction } from '../../../ledger/lifecycle.js';
import type { Change } from '../../../ledger/model.js';
import { cardPlaceOf, redrawCard } from '../../cards.js';
import { firstAsk } from '../../codify.js';
import type { SlackContext } from '../../context.js';
import { publishHome } from '../../home.js';
import { notifyNewOwner } from '../../notify.js';
import { tellClicker } from '../../response-url.js';
import {
  CHANGE_ACTION_IDS,
  CHANGE_REASSIGN_ACTION_ID,
  CHANGE_SNOOZE_ACTION_ID,
  actionConfirmation,
  changeActionModal,
  changeKeyOfBlock,
  escapeAndTruncate,
  mention,
} from '../../views/index.js';

function changeIdFrom(value: string | undefined): number | undefined {
  const m = /^SG-(\d{1,9})$/i.exec(value?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

type CardBody = BlockAction;

/** The change a card action names, or undefined after telling the person it is gone. */
async function changeOf(ctx: SlackContext, client: WebClient, body: CardBody, key: string | undefined, ack: () => Promise<void>): Promise<Change | undefined> {
  const id = changeIdFrom(key);
  const change = id === undefined ? undefined : ctx.ledger.get(id);
  if (change) return change;
  await ack();
  ctx.metrics.refusals.inc({ code: 'not_found' });
  await tellClicker(ctx, client, body, `There is no change ${escapeAndTruncate(key ?? '(none)', 40)} any more, so nothing was changed. \`/fix list all\` shows the ledger.`);
  return undefined;
}

/**
 * Applies an action from a card with the subcommand's checks, acknowledged once it is committed (a
 * click Slack delivers twice, same trigger_id, applies once); then the card is redrawn where it is.
 */
async function actFromCard(ctx: SlackContext, client: WebClient, body: CardBody, change: Change, action: ChangeAction, ack: () => Promise<void>, fallback: string): Promise<Change | undefined> {
  let result;
  try {
    result = await ctx.ledger.actSoon(change.id, action, ctx.actionContext(body.user.id, change.id), {
      requestKeys: body.trigger_id ? [`action:${body.trigger_id}`] : [],
    });
  } catch (err) {
    await ack();
    const busy = ctx.writeFailed(err, { change: change.key, user: body.user.id });
    await tellClicker(ctx, client, body, busy ? `The ledger is busy and ${change.key} was *not* updated. Try again in a moment.` : `Something went wrong and ${change.key} was not updated. Try \`${fallback}\`.`);
    return undefined;
  }
  await ack();
  if (!result.ok) {
    ctx.metrics.refusals.inc({ code: result.code });
    await tellClicker(ctx, client, body, result.message);
    return undefined;
  }
  if (result.duplicate) return undefined;
  ctx.logger.info({ change: change.key, user: body.user.id, action: action.type }, 'change updated');
  const confirmation = actionConfirmation(result.change, action);
  const place = cardPlaceOf(body);
  if (place) await redrawCard(ctx, client, place, result.change, `${confirmation} (${mention(body.user.id)})`);
  else if (fromHome(body)) await publishHome(ctx, client, body.user.id);
  else await tellClicker(ctx, client, body, confirmation);
  return result.change;
}

/** Whether the action came from the person's App Home tab (which is then published again). */
function fromHome(body: CardBody): boolean {
  return body.container?.type === 'view' && body.view?.type === 'home';
}

/**
 * A change card's actions, wherever the card is (announcement, reminder DM, escalation): "Codify" sends
 * the person who clicked the change's patch by DM, made after the acknowledgement; "Mark reverted"
 * acts at once; "Mark codified" and "Dismiss" ask for the PR link or reason in a modal; Snooze takes a
 * duration or opens a date picker; Reassign takes the person picked. The same permission checks apply as
 * for the subcommands.
 */
export function registerChangeButtons(app: BoltApp, ctx: SlackContext): void {
  const openForm = async (kind: 'codified' | 'dismiss' | 'snooze', body: CardBody, change: Change, client: WebClient) => {
    if (!body.trigger_id) return;
    const place = cardPlaceOf(body);
    const opened = await ctx.openView(
      body.trigger_id,
      changeActionModal({ kind, changeKey: change.key, privateMetadata: JSON.stringify({ kind, id: change.id, ...(place ? { place } : {}), ...(fromHome(body) ? { home: true } : {}) }), today: ctx.now() }),
    );
    if (!opened) {
      const example = kind === 'codified' ? `/fix codified ${change.key} <PR URL>` : kind === 'dismiss' ? `/fix dismiss ${change.key} <reason>` : `/fix snooze ${change.key} 2026-12-24`;
      await tellClicker(ctx, client, body, `Slack would not open the form just now, so nothing was changed. Type \`${example}\` instead.`);
    }
  };

  for (const kind of ['codified', 'reverted', 'dismiss'] as const) {
    app.action<BlockAction<ButtonAction>>(CHANGE_ACTION_IDS[kind], async ({ ack, body, action, client }) => {
      const change = await changeOf(ctx, client, body, action.value, () => ack());
      if (!change) return;
      if (kind === 'reverted') {
        await actFromCard(ctx, client, body, change, { type: 'reverted' }, () => ack(), `/fix reverted ${change.key}`);
        return;
      }
      await ack();
      await openForm(kind, body, change, client);
    });
  }

  app.action<BlockAction<ButtonAction>>(CHANGE_ACTION_IDS.codify, async ({ ack, body, action, client }) => {
    const change = await changeOf(ctx, client, body, action.value, () => ack());
    if (!change) return;
    // Claimed before the acknowledgement: a click Slack delivers again (same trigger_id) sends no second patch.
    const first = await firstAsk(ctx, body.trigger_id ? `action:${body.trigger_id}` : undefined, ctx.now(), change.key);
    await ack();
    if (!first) {
      ctx.logger.info({ change: change.key, user: body.user.id }, 'duplicate codify click ignored');
      return;
    }
    ctx.logger.info({ change: change.key, user: body.user.id }, 'codify asked');
    const from = body.channel?.id ?? body.container?.channel_id;
    ctx.followUps.enqueue(() =>
      ctx.codify.send({ changeId: change.id, changeKey: change.key, user: body.user.id, ...(body.response_url ? { responseUrl: body.response_url } : {}), ...(from ? { from } : {}) }),
    );
  });

  app.action<BlockAction<StaticSelectAction>>(CHANGE_SNOOZE_ACTION_ID, async ({ ack, body, action, client }) => {
    const [key, choice] = (action.selected_option?.value ?? '').split(' ');
    const change = await changeOf(ctx, client, body, key, () => ack());
    if (!change) return;
    if (choice === 'date') {
      await ack();
      await openForm('snooze', body, change, client);
      return;
    }
    const until = resolveDuration(choice ?? '', ctx.now());
    if (until.kind !== 'ok') {
      await ack();
      await tellClicker(ctx, client, body, `That snooze could not be read, so nothing was changed. Try \`/fix snooze ${change.key} 3d\`.`);
      return;
    }
    await actFromCard(ctx, client, body, change, { type: 'snooze', until: until.date.toISOString() }, () => ack(), `/fix snooze ${change.key} ${choice}`);
  });

  app.action<BlockAction<UsersSelectAction>>(CHANGE_REASSIGN_ACTION_ID, async ({ ack, body, action, client }) => {
    const key = changeKeyOfBlock(action.block_id);
    const change = await changeOf(ctx, client, body, key, () => ack());
    if (!change) return;
    const owner = action.selected_user;
    const updated = await actFromCard(ctx, client, body, change, { type: 'assign', owner }, () => ack(), `/fix assign ${change.key} @someone`);
    if (updated) await notifyNewOwner(ctx, client, owner, body.user.id, updated.key, updated.description);
  });
}
