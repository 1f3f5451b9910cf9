import type { App as BoltApp } from '@slack/bolt';
import { extractChangeDraft } from '../../../ledger/change-draft.js';
import { isNamespaced } from '../../../ledger/resource-refs.js';
import type { ResourceRef } from '../../../ledger/model.js';
import { redactSecrets } from '../../../redact.js';
import { ackStateOf } from '../../supervise.js';
import { parseIsoDay } from '../../../ledger/dates.js';
import type { SlackContext } from '../../context.js';
import { notifyNewOwner } from '../../notify.js';
import { announceChange } from '../../announce.js';
import { LogChangeMetadata } from '../../open-log-change.js';
import { modalErrors, noticeModal, readLogChangeState, LOG_CHANGE_CALLBACK_ID } from '../../views/index.js';

/** Submission of the "Log a change" form: validated per field, committed, then acknowledged and announced. */
export function registerLogChangeSubmission(app: BoltApp, ctx: SlackContext): void {
  app.view(LOG_CHANGE_CALLBACK_ID, async ({ ack, view, body, client, context }) => {
    const now = ctx.now();
    const user = body.user.id;
    const meta = LogChangeMetadata.safeParse(safeJson(view.private_metadata));
    const metadata: LogChangeMetadata = meta.success ? meta.data : { source: 'modal', commandName: '/fix' };
    if (!view.state?.values) {
      await ack({
        response_action: 'update',
        view: noticeModal('Not saved', 'Slack sent this form without its contents, so nothing was saved. Close it and log the change again with /fix.'),
      });
      return;
    }
    const state = readLogChangeState(view.state.values, { now });
    if (!state.ok) {
      await ack(modalErrors(state.errors));
      return;
    }
    const values = state.values;
    const problems: Record<string, string> = {};
    const parseCtx = ctx.parseContext({ now, channelName: metadata.channelName });
    const resources: ResourceRef[] = [];
    for (const token of (values.resources ?? '').split(/[\s,]+/).filter(Boolean)) {
      const found = extractChangeDraft(token, parseCtx).resources;
      const ref = found[0];
      if (found.length !== 1 || !ref) {
        problems.resources = `“${redactSecrets(token).slice(0, 60)}” is not a resource. Write kind/name, e.g. deploy/payments-api, node/ip-10-0-1-7.`;
        break;
      }
      resources.push(values.namespace && !ref.namespace && isNamespaced(ref.kind) ? { ...ref, namespace: values.namespace } : ref);
    }
    const clusters = ctx.config.file.clusters.map((c) => c.name);
    if (values.cluster && clusters.length > 0 && !clusters.includes(values.cluster)) {
      problems.cluster = `Unknown cluster “${values.cluster}”. Configured clusters: ${clusters.join(', ')}.`;
    }
    // A due date is a day: the change is due when the person's working day starts then, in their zone.
    const dueDay = values.dueDate ? parseIsoDay(values.dueDate) : undefined;
    if (dueDay) await ctx.knowZoneOf(body.user.id);
    let dueAt: string | undefined;
    if (dueDay) {
      const start = ctx.daysOf(body.user.id).startOf({ year: dueDay.getUTCFullYear(), month: dueDay.getUTCMonth() + 1, day: dueDay.getUTCDate() });
      // Today, once the working day has begun: due at its end (else an hour from now), not overdue at once.
      const hours = ctx.config.file.nagging.workingHours;
      const end = new Date(start.getTime() + (hours.end - hours.start) * 60_000);
      const soonest = now.getTime() + 3_600_000;
      dueAt = (start.getTime() > now.getTime() ? start : new Date(Math.max(end.getTime(), soonest))).toISOString();
    }
    if (Object.keys(problems).length > 0) {
      await ack(modalErrors(problems));
      return;
    }
    let result;
    try {
      result = await ctx.ledger.createSoon(
        {
          description: values.description,
          actor: user,
          owner: values.owner,
          cluster: values.cluster,
          resources,
          incident: values.incident,
          channelId: metadata.channelId,
          channelName: metadata.channelName,
          source: metadata.source,
          dueAt,
          messageLink: metadata.messageLink,
        },
        { now, defaultDueDays: ctx.config.file.defaultDueDays, requestKeys: [`view:${view.id}`] },
      );
    } catch (err) {
      const busy = ctx.writeFailed(err, { user, source: metadata.source });
      if (ackStateOf(context)?.acked) {
        // The form already closed with "still working": the person hears the outcome by DM.
        try {
          await client.chat.postMessage({ channel: user, text: `Your change was *not saved*${busy ? ' (the ledger was busy)' : ''}. Log it again with /fix.` });
        } catch (dmErr) {
          ctx.deliveryFailed('author_dm', dmErr, { user });
        }
        return;
      }
      await ack(
        modalErrors({
          description: busy
            ? 'The ledger is busy and this change was not saved. Your text is still here: Submit again in a moment.'
            : 'Stopgap could not save this change. Your text is still here: try Submit again.',
        }),
      );
      return;
    }
    await ack();
    if (!result.created) {
      ctx.logger.info({ change: result.change.key, view: view.id }, 'duplicate modal submission ignored');
      return;
    }
    ctx.metrics.changesCreated.inc({ source: metadata.source });
    ctx.logger.info({ change: result.change.key, user, source: metadata.source }, 'change logged');
    if (metadata.claimFindings?.length) {
      // Opened from an unclaimed-drift message: the new change takes that drift, whatever else it names.
      try {
        await ctx.links.claimSoon(metadata.claimFindings, result.change.id, user, now);
      } catch (err) {
        ctx.writeFailed(err, { user, change: result.change.key });
      }
    }
    await ctx.linkNewChange(result.change.id);
    await announceChange(ctx, client, result.change, { user, channelId: result.change.channelId ?? undefined, commandName: metadata.commandName, now });
    await notifyNewOwner(ctx, client, result.change.owner, user, result.change.key, result.change.description);
  });
}

function safeJson(text: string | undefined): unknown {
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}
