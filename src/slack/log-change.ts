import type { App as BoltApp, MessageShortcut } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { extractChangeDraft, incidentFromChannel } from '../ledger/change-draft.js';
import type { ResourceRef } from '../ledger/model.js';
import { isNamespaced } from '../ledger/resource-refs.js';
import type { SlackContext } from './context.js';
import { notifyNewOwner } from './notify.js';
import { isStopgapError } from '../errors.js';
import {
  changeLoggedMessage,
  logChangeModal,
  modalErrors,
  noticeModal,
  readLogChangeState,
  LOG_CHANGE_CALLBACK_ID,
  type LogChangePrefill,
} from './views/index.js';

export const LOG_SHORTCUT_CALLBACK_ID = 'log_temporary_fix';

/** What the modal carries between opening and submission; validated on the way back in. */
export const LogChangeMetadata = z.object({
  channelId: z.string().optional(),
  channelName: z.string().optional(),
  commandName: z.string().default('/fix'),
  source: z.enum(['modal', 'shortcut']),
  messageLink: z.string().optional(),
});
export type LogChangeMetadata = z.infer<typeof LogChangeMetadata>;

export async function openLogChangeModal(
  ctx: SlackContext,
  client: WebClient,
  args: LogChangeMetadata & { triggerId: string; prefill: LogChangePrefill },
): Promise<void> {
  const { triggerId, prefill, ...metadata } = args;
  const clusters = ctx.config.file.clusters.map((c) => c.name);
  const incident = prefill.incident ?? incidentFromChannel(metadata.channelName, ctx.incidentChannelPattern);
  try {
    await client.views.open({
      trigger_id: triggerId,
      view: logChangeModal({
        prefill: { ...prefill, incident },
        clusters,
        privateMetadata: JSON.stringify(metadata),
        commandName: metadata.commandName,
      }),
    });
  } catch (err) {
    ctx.deliveryFailed('modal_open', err);
  }
}

function resourceText(refs: ResourceRef[]): string {
  return refs.map((r) => `${r.group ? `${r.kind}.${r.group}` : r.kind}/${r.name}`).join(', ');
}

/** Slack's archive link for a message, built without an API call so the modal opens within the trigger's life. */
export function messageLink(teamDomain: string | undefined, channelId: string | undefined, ts: string | undefined): string | undefined {
  if (!teamDomain || !channelId || !ts) return undefined;
  return `https://${teamDomain}.slack.com/archives/${channelId}/p${ts.replace('.', '')}`;
}

export function registerLogChangeModal(app: BoltApp, ctx: SlackContext): void {
  app.shortcut<MessageShortcut>({ callback_id: LOG_SHORTCUT_CALLBACK_ID, type: 'message_action' }, async ({ shortcut, ack, client }) => {
    await ack();
    const text = shortcut.message?.text ?? '';
    const draft = extractChangeDraft(text, ctx.parseContext({ channelName: shortcut.channel?.name }));
    const namespaces = [...new Set(draft.resources.map((r) => r.namespace).filter((n): n is string => !!n))];
    await openLogChangeModal(ctx, client, {
      triggerId: shortcut.trigger_id,
      channelId: shortcut.channel?.id,
      channelName: shortcut.channel?.name,
      commandName: '/fix',
      source: 'shortcut',
      messageLink: messageLink(shortcut.team?.domain, shortcut.channel?.id, shortcut.message_ts ?? shortcut.message?.ts),
      prefill: {
        description: (draft.description || text).slice(0, 3000),
        resources: resourceText(draft.resources) || undefined,
        namespace: namespaces.length === 1 ? namespaces[0] : undefined,
        cluster: draft.cluster,
        owner: draft.owner,
        incident: draft.incident,
      },
    });
  });

  app.view(LOG_CHANGE_CALLBACK_ID, async ({ ack, view, body, client }) => {
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
        problems.resources = `“${token.slice(0, 60)}” is not a resource. Write kind/name, e.g. deploy/payments-api, node/ip-10-0-1-7.`;
        break;
      }
      resources.push(values.namespace && !ref.namespace && isNamespaced(ref.kind) ? { ...ref, namespace: values.namespace } : ref);
    }
    const clusters = ctx.config.file.clusters.map((c) => c.name);
    if (values.cluster && clusters.length > 0 && !clusters.includes(values.cluster)) {
      problems.cluster = `Unknown cluster “${values.cluster}”. Configured clusters: ${clusters.join(', ')}.`;
    }
    // A due date is a day: the change is due by the end of it.
    const dueAt = values.dueDate ? new Date(`${values.dueDate}T23:59:59Z`).toISOString() : undefined;
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
      const busy = isStopgapError(err) && err.code === 'ledger_busy';
      if (busy) ctx.metrics.refusals.inc({ code: 'ledger_busy' });
      ctx.logger.error({ err, user }, 'could not record a change from the modal');
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
    await announce(ctx, client, result.change.channelId ?? undefined, user, changeLoggedMessage(result.change, { now, commandName: metadata.commandName, withActions: true }));
    await notifyNewOwner(ctx, client, result.change.owner, user, result.change.key, result.change.description);
  });
}

/** Posts to the channel the change came from; if the bot cannot post there, tells the person directly. */
async function announce(
  ctx: SlackContext,
  client: WebClient,
  channelId: string | undefined,
  user: string,
  message: { text: string; blocks?: unknown[] },
): Promise<void> {
  const blocks = message.blocks as KnownBlock[] | undefined;
  if (channelId && !channelId.startsWith('D')) {
    try {
      await client.chat.postMessage({ channel: channelId, text: message.text, blocks });
      return;
    } catch (err) {
      ctx.deliveryFailed('announcement', err, { channel: channelId });
    }
  }
  try {
    await client.chat.postMessage({ channel: user, text: message.text, blocks });
  } catch (err) {
    ctx.deliveryFailed('author_dm', err, { user });
  }
}

function safeJson(text: string | undefined): unknown {
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}
