import type { App as BoltApp, MessageShortcut } from '@slack/bolt';
import { extractChangeDraft } from '../../../ledger/change-draft.js';
import type { SlackContext } from '../../context.js';
import { FORM_UNAVAILABLE, messageLink, openLogChangeModal, resourceText } from '../../open-log-change.js';

export const LOG_SHORTCUT_CALLBACK_ID = 'log_temporary_fix';

/** The message shortcut "Log as temporary fix": opens the log form filled in from the message. */
export function registerLogShortcut(app: BoltApp, ctx: SlackContext): void {
  app.shortcut<MessageShortcut>({ callback_id: LOG_SHORTCUT_CALLBACK_ID, type: 'message_action' }, async ({ shortcut, ack, client }) => {
    await ack();
    const text = shortcut.message?.text ?? '';
    const draft = extractChangeDraft(text, ctx.parseContext({ channelName: shortcut.channel?.name }));
    const namespaces = [...new Set(draft.resources.map((r) => r.namespace).filter((n): n is string => !!n))];
    const opened = await openLogChangeModal(ctx, {
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
    if (opened) return;
    // A message shortcut has no response_url: the person hears it by DM.
    try {
      await client.chat.postMessage({ channel: shortcut.user.id, text: FORM_UNAVAILABLE('/fix') });
    } catch (err) {
      ctx.deliveryFailed('author_dm', err, { user: shortcut.user.id });
    }
  });
}
