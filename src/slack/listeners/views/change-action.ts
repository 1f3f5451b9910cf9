import type { App as BoltApp } from '@slack/bolt';
import { z } from 'zod';
import { parseFixCommand } from '../../../ledger/fix-command.js';
import type { ChangeAction } from '../../../ledger/lifecycle.js';
import type { SlackContext } from '../../context.js';
import {
  actionConfirmation,
  CHANGE_ACTION_INPUT_ACTION_ID,
  CHANGE_ACTION_INPUT_BLOCK_ID,
  CHANGE_ACTION_MODAL_CALLBACK_ID,
  modalErrors,
  noticeModal,
  type ChangeActionModalKind,
} from '../../views/index.js';

const ActionMetadata = z.object({ kind: z.enum(['codified', 'dismiss']), id: z.number().int().positive() });

/** Submission of the PR-link or reason modal behind "Mark codified" and "Dismiss": the subcommand's checks, applied once. */
export function registerChangeActionSubmission(app: BoltApp, ctx: SlackContext): void {
  app.view(CHANGE_ACTION_MODAL_CALLBACK_ID, async ({ ack, view, body }) => {
    const user = body.user.id;
    let meta: { kind: ChangeActionModalKind; id: number } | undefined;
    try {
      const parsed = ActionMetadata.safeParse(JSON.parse(view.private_metadata || '{}'));
      meta = parsed.success ? parsed.data : undefined;
    } catch {
      meta = undefined;
    }
    const input = (view.state?.values?.[CHANGE_ACTION_INPUT_BLOCK_ID]?.[CHANGE_ACTION_INPUT_ACTION_ID]?.value ?? '').trim();
    if (!meta) {
      await ack({ response_action: 'update', view: noticeModal('Not saved', 'This form could not be read, so nothing was changed. Use /fix codified or /fix dismiss instead.') });
      return;
    }
    // The same grammar and checks as the subcommand, so the button and `/fix` never disagree.
    const parsed = parseFixCommand(`${meta.kind} SG-${meta.id} ${input}`, ctx.parseContext({ now: ctx.now() }));
    if (parsed.type !== meta.kind) {
      await ack(modalErrors({ [CHANGE_ACTION_INPUT_BLOCK_ID]: parsed.type === 'error' ? parsed.message : 'That is not valid here.' }));
      return;
    }
    const action: ChangeAction = parsed.type === 'codified' ? { type: 'codified', prUrl: parsed.url } : { type: 'dismiss', reason: parsed.type === 'dismiss' ? parsed.reason : input };
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
    try {
      await app.client.chat.postMessage({ channel: user, text: actionConfirmation(result.change, action) });
    } catch (err) {
      ctx.deliveryFailed('button_reply', err, { user });
    }
  });
}
