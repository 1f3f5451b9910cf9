import type { WebClient } from '@slack/web-api';
import type { SlackContext } from './context.js';
import { responderFor } from './response-url.js';
import type { RequestKind } from './supervise.js';
import { noticeModal } from './views/index.js';

const OUTDATED = 'That button or form is not one this version of Stopgap knows (it may come from an older message), so nothing was changed. `/fix help` lists what you can do.';

/**
 * The answer for a request no listener took: acknowledged at once (Slack would otherwise show an error
 * after 3 s), and where a person is waiting, told that nothing happened.
 */
export function respondUnhandled(
  ctx: SlackContext,
  client: WebClient,
  body: Record<string, unknown>,
  kind: RequestKind,
): { ack?: unknown; followUp?: () => Promise<void> } {
  const user = (body.user as { id?: string } | undefined)?.id;
  ctx.logger.info({ kind, type: body.type, callback: body.callback_id ?? (body.view as { callback_id?: string } | undefined)?.callback_id, user }, 'Slack request with no handler');
  ctx.metrics.refusals.inc({ code: 'unhandled_request' });
  switch (kind) {
    case 'view_submission':
      return { ack: { response_action: 'update', view: noticeModal('Not saved', OUTDATED.replace(/`/g, '')) } };
    case 'block_suggestion':
      return { ack: { options: [] } };
    case 'block_actions': {
      const responseUrl = typeof body.response_url === 'string' ? body.response_url : undefined;
      if (!responseUrl) return {};
      return {
        followUp: async () => {
          try {
            await responderFor(responseUrl)({ response_type: 'ephemeral', text: OUTDATED, replace_original: false });
          } catch (err) {
            ctx.deliveryFailed('unhandled_reply', err, { user });
          }
        },
      };
    }
    case 'shortcut':
    case 'message_action': {
      const triggerId = typeof body.trigger_id === 'string' ? body.trigger_id : undefined;
      if (!triggerId) return {};
      return {
        followUp: async () => {
          try {
            await client.views.open({ trigger_id: triggerId, view: noticeModal('Unknown shortcut', OUTDATED.replace(/`/g, '')) });
          } catch (err) {
            ctx.deliveryFailed('unhandled_reply', err, { user });
          }
        },
      };
    }
    default:
      return {};
  }
}
