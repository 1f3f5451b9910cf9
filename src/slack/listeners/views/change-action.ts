import type { App as BoltApp } from '@slack/bolt';
import { z } from 'zod';
import { parseFixCommand } from '../../../ledger/fix-command.js';
import { parseIsoDay } from '../../../ledger/dates.js';
import type { ChangeAction } from '../../../ledger/lifecycle.js';
import { parseCardPlace, redrawCard } from '../../cards.js';
import { publishHome } from '../../home.js';
import type { SlackContext } from '../../context.js';
import {
  actionConfirmation,
  CHANGE_ACTION_INPUT_ACTION_ID,
  CHANGE_ACTION_INPUT_BLOCK_ID,
  CHANGE_ACTION_MODAL_CALLBACK_ID,
  mention,
  modalErrors,
  noticeModal,
} from '../../views/index.js';

const ActionMetadata = z.object({ kind: z.enum(['codified', 'dismiss', 'snooze']), id: z.number().int().positive(), place: z.unknown().optional(), home: z.boolean().optional() });
type ActionMetadata = z.infer<typeof ActionMetadata>;

/**
 * Submission of the modals behind a change card: the PR link ("Mark codified"), the reason ("Dismiss"),
 * the day ("Snooze → Pick a date…", the start of the person's working hours that day, in their zone).
 * The subcommand's checks, applied once; the card the modal was opened from is redrawn.
 */
export function registerChangeActionSubmission(app: BoltApp, ctx: SlackContext): void {
  app.view(CHANGE_ACTION_MODAL_CALLBACK_ID, async ({ ack, view, body }) => {
    const user = body.user.id;
    let meta: ActionMetadata | undefined;
    try {
      const parsed = ActionMetadata.safeParse(JSON.parse(view.private_metadata || '{}'));
      meta = parsed.success ? parsed.data : undefined;
    } catch {
      meta = undefined;
    }
    const field = view.state?.values?.[CHANGE_ACTION_INPUT_BLOCK_ID]?.[CHANGE_ACTION_INPUT_ACTION_ID];
    const input = (field?.value ?? '').trim();
    if (!meta) {
      await ack({ response_action: 'update', view: noticeModal('Not saved', 'This form could not be read, so nothing was changed. Use /fix codified, /fix dismiss or /fix snooze instead.') });
      return;
    }
    let action: ChangeAction;
    if (meta.kind === 'snooze') {
      const change = ctx.ledger.get(meta.id);
      const day = parseIsoDay(field?.selected_date ?? '');
      if (!change || !day) {
        await ack(modalErrors({ [CHANGE_ACTION_INPUT_BLOCK_ID]: change ? 'Pick a day.' : `There is no change SG-${meta.id} any more.` }));
        return;
      }
      await ctx.knowZoneOf(user);
      // What `/fix snooze 2027-01-04` means too: the start of the person's working day, in their zone.
      const until = ctx.daysOf(user).startOf({ year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate() });
      action = { type: 'snooze', until: until.toISOString() };
    } else {
      // The same grammar and checks as the subcommand, so the button and `/fix` never disagree.
      const parsed = parseFixCommand(`${meta.kind} SG-${meta.id} ${input}`, ctx.parseContext({ now: ctx.now() }));
      if (parsed.type !== meta.kind) {
        await ack(modalErrors({ [CHANGE_ACTION_INPUT_BLOCK_ID]: parsed.type === 'error' ? parsed.message : 'That is not valid here.' }));
        return;
      }
      action = parsed.type === 'codified' ? { type: 'codified', prUrl: parsed.url } : { type: 'dismiss', reason: parsed.type === 'dismiss' ? parsed.reason : input };
    }
    let result;
    try {
      result = await ctx.ledger.actSoon(meta.id, action, ctx.actionContext(user, meta.id), { requestKeys: [`view:${view.id}`] });
    } catch (err) {
      const busy = ctx.writeFailed(err, { user, change: meta.id });
      await ack(modalErrors({ [CHANGE_ACTION_INPUT_BLOCK_ID]: busy ? 'The ledger is busy; nothing was saved. Submit again in a moment.' : 'Stopgap could not save this. Submit again.' }));
      return;
    }
    if (!result.ok) {
      ctx.metrics.refusals.inc({ code: result.code });
      await ack(modalErrors({ [CHANGE_ACTION_INPUT_BLOCK_ID]: result.message }));
      return;
    }
    await ack();
    if (result.duplicate) return;
    ctx.logger.info({ change: result.change.key, user, action: action.type }, 'change updated');
    const confirmation = actionConfirmation(result.change, action);
    const place = parseCardPlace(meta.place);
    if (place) {
      await redrawCard(ctx, app.client, place, result.change, `${confirmation} (${mention(user)})`);
      return;
    }
    if (meta.home) {
      await publishHome(ctx, app.client, user);
      return;
    }
    try {
      await app.client.chat.postMessage({ channel: user, text: confirmation });
    } catch (err) {
      ctx.deliveryFailed('button_reply', err, { user });
    }
  });
}
