/** What a `/fix` subcommand answers: the acknowledgement body, and slow work to do after it. */
import type { SlashCommand } from '@slack/bolt';
import { redactSecrets } from '../../../redact.js';
import type { SlackContext } from '../../context.js';
import { errorMessage, escapeAndTruncate } from '../../views/index.js';

export interface CommandReply {
  /** The acknowledgement body: the person's answer, sent only after the ledger committed. */
  ack?: { response_type: 'ephemeral' | 'in_channel'; text: string; blocks?: unknown[] };
  /** Slow follow-up work after the ack (DMs, opening a modal). */
  after?: () => Promise<void>;
}

export function reply(message: { text: string; blocks?: unknown[] }, inChannel = false): CommandReply['ack'] {
  return { response_type: inChannel ? 'in_channel' : 'ephemeral', text: message.text, blocks: message.blocks };
}

/** The answer when a ledger write failed: busy (try again) or broken; either way nothing was saved. */
export function busyOrFailed(ctx: SlackContext, err: unknown, command: SlashCommand): CommandReply {
  if (ctx.writeFailed(err, { user: command.user_id, command: command.command })) {
    return {
      ack: reply(
        errorMessage(
          `The ledger is busy (another process is holding the database) and your change was *not saved*. Try again in a moment. Your text was: “${escapeAndTruncate(redactSecrets(command.text), 500)}”`,
          `${command.command} ${redactSecrets(command.text).slice(0, 200)}`,
        ),
      ),
    };
  }
  return {
    ack: reply(
      errorMessage(
        `Something went wrong on our side and nothing was recorded. Your text was: “${escapeAndTruncate(redactSecrets(command.text), 500)}”`,
        `${command.command} ${redactSecrets(command.text).slice(0, 200)}`,
      ),
    ),
  };
}

