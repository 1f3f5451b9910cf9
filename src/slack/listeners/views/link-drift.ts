import type { App as BoltApp } from '@slack/bolt';
import { z } from 'zod';
import { mayManage } from '../../../ledger/lifecycle.js';
import { parseChangeKey } from '../../../ledger/model.js';
import type { SlackContext } from '../../context.js';
import {
  IGNORE_DRIFT_ACTION_ID,
  IGNORE_DRIFT_BLOCK_ID,
  IGNORE_DRIFT_CALLBACK_ID,
  LINK_DRIFT_ACTION_ID,
  LINK_DRIFT_BLOCK_ID,
  LINK_DRIFT_CALLBACK_ID,
  driftPostValue,
  modalErrors,
  noticeModal,
} from '../../views/index.js';
import { unclaimedOfPost } from '../actions/drift-buttons.js';

const PostMetadata = z.object({ postId: z.number().int().positive() });

/** The unclaimed-drift message a form was opened from, as its private_metadata says; undefined if unreadable. */
function postOf(privateMetadata: string | undefined): number | undefined {
  try {
    const parsed = PostMetadata.safeParse(JSON.parse(privateMetadata || '{}'));
    return parsed.success ? parsed.data.postId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Submissions of the forms behind an unclaimed-drift message: "Link to an existing change" (the chosen
 * change claims the drift) and "Expected: ignore" (a dismissed change records why, and the drift stops
 * being reported).
 */
export function registerLinkDriftSubmission(app: BoltApp, ctx: SlackContext): void {
  app.view(LINK_DRIFT_CALLBACK_ID, async ({ ack, view, body }) => {
    const user = body.user.id;
    const postId = postOf(view.private_metadata);
    if (postId === undefined) {
      await ack({ response_action: 'update', view: noticeModal('Not linked', 'This form could not be read, so nothing was linked. Use /fix claim D-n SG-n instead.') });
      return;
    }
    const selected = view.state?.values?.[LINK_DRIFT_BLOCK_ID]?.[LINK_DRIFT_ACTION_ID]?.selected_option?.value;
    const id = parseChangeKey(selected ?? '');
    const change = id === undefined ? undefined : ctx.ledger.get(id);
    if (!change || (change.status !== 'open' && change.status !== 'in_review')) {
      await ack(modalErrors({ [LINK_DRIFT_BLOCK_ID]: 'Pick an open change from the list.' }));
      return;
    }
    if (!mayManage(change, { by: user, isAdmin: ctx.isAdmin(user) })) {
      ctx.metrics.refusals.inc({ code: 'forbidden' });
      await ack(modalErrors({ [LINK_DRIFT_BLOCK_ID]: `Only ${change.key}'s owner, whoever logged it, or an admin can link drift to it.` }));
      return;
    }
    const found = unclaimedOfPost(ctx, driftPostValue(postId));
    if ('problem' in found) {
      await ack({ response_action: 'update', view: noticeModal('Nothing to link', found.problem) });
      return;
    }
    try {
      await ctx.links.claimSoon(found.fields.map((f) => f.finding.id), change.id, user, ctx.now());
    } catch (err) {
      const busy = ctx.writeFailed(err, { user, change: change.key });
      await ack(modalErrors({ [LINK_DRIFT_BLOCK_ID]: busy ? 'The ledger is busy; nothing was linked. Submit again in a moment.' : 'Stopgap could not link this. Submit again.' }));
      return;
    }
    await ack();
    ctx.logger.info({ change: change.key, user, findings: found.fields.map((f) => f.finding.id) }, 'drift claimed');
  });
}

export function registerIgnoreDriftSubmission(app: BoltApp, ctx: SlackContext): void {
  app.view(IGNORE_DRIFT_CALLBACK_ID, async ({ ack, view, body }) => {
    const user = body.user.id;
    const postId = postOf(view.private_metadata);
    if (postId === undefined) {
      await ack({ response_action: 'update', view: noticeModal('Not ignored', 'This form could not be read, so nothing was changed.') });
      return;
    }
    const reason = (view.state?.values?.[IGNORE_DRIFT_BLOCK_ID]?.[IGNORE_DRIFT_ACTION_ID]?.value ?? '').trim();
    if (reason === '') {
      await ack(modalErrors({ [IGNORE_DRIFT_BLOCK_ID]: 'Say why this drift is expected; the reason is kept in the ledger.' }));
      return;
    }
    const found = unclaimedOfPost(ctx, driftPostValue(postId));
    if ('problem' in found) {
      await ack({ response_action: 'update', view: noticeModal('Nothing to ignore', found.problem) });
      return;
    }
    let change;
    try {
      change = await ctx.ignores.ignoreSoon(found.fields.map((f) => f.finding), user, reason, ctx.now());
    } catch (err) {
      const busy = ctx.writeFailed(err, { user });
      await ack(modalErrors({ [IGNORE_DRIFT_BLOCK_ID]: busy ? 'The ledger is busy; nothing was saved. Submit again in a moment.' : `Stopgap could not save this: ${(err as Error).message}` }));
      return;
    }
    await ack();
    ctx.logger.info({ change: change.key, user, findings: found.fields.map((f) => f.finding.id) }, 'drift marked expected');
  });
}
