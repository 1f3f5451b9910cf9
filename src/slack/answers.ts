import type { SlackContext } from './context.js';
import { responderFor } from './response-url.js';
import type { Answer, AnswerReason, RequestKind } from './supervise.js';
import { noticeModal } from './views/index.js';

const TEXT: Record<AnswerReason, string> = {
  unhandled:
    'That button or form is not one this version of Stopgap knows (it may come from an older message), so nothing was changed. `/fix help` lists what you can do.',
  failed: 'Something went wrong on our side while handling that. Check `/fix list` (or the change) before trying again.',
  late: 'Stopgap is taking longer than usual to answer. The answer will follow here; check `/fix list` in a minute before trying again.',
};

const TITLE: Record<AnswerReason, string> = { unhandled: 'Not saved', failed: 'Something went wrong', late: 'Still working' };

/**
 * What the person sees when the supervisor answers for a listener: a request no listener took, a
 * listener that failed before acknowledging, or one still working at Slack's deadline. Always an
 * acknowledgement in time, and where a person is waiting, words saying what happened.
 */
export function answerForListener(
  ctx: SlackContext,
  body: Record<string, unknown>,
  kind: RequestKind,
  reason: AnswerReason,
): Answer {
  const user = (body.user as { id?: string } | undefined)?.id ?? (typeof body.user_id === 'string' ? body.user_id : undefined);
  const callback = body.callback_id ?? (body.view as { callback_id?: string } | undefined)?.callback_id;
  if (reason === 'unhandled') {
    ctx.logger.info({ kind, type: body.type, callback, user }, 'Slack request with no handler');
    ctx.metrics.refusals.inc({ code: 'unhandled_request' });
  }
  const text = TEXT[reason];
  switch (kind) {
    case 'command':
      return { ack: { response_type: 'ephemeral', text } };
    case 'view_submission':
      return { ack: { response_action: 'update', view: noticeModal(TITLE[reason], text.replace(/`/g, '')) } };
    case 'block_suggestion':
      return { ack: { options: [] } };
    case 'block_actions': {
      // A late button answers for itself by response_url once it is done.
      const responseUrl = typeof body.response_url === 'string' ? body.response_url : undefined;
      if (!responseUrl || reason === 'late') return {};
      return {
        followUp: async () => {
          try {
            await responderFor(responseUrl)({ response_type: 'ephemeral', text, replace_original: false });
          } catch (err) {
            ctx.deliveryFailed('listener_answer', err, { user });
          }
        },
      };
    }
    case 'shortcut':
    case 'message_action': {
      const triggerId = typeof body.trigger_id === 'string' ? body.trigger_id : undefined;
      if (!triggerId || reason === 'late') return {};
      return {
        followUp: async () => {
          await ctx.openView(triggerId, noticeModal(reason === 'unhandled' ? 'Unknown shortcut' : TITLE[reason], text.replace(/`/g, '')));
        },
      };
    }
    default:
      return {};
  }
}
