/**
 * Announces a new change where it was logged, as a message of the bot's own (`chat.postMessage`), whose
 * channel and ts are kept so later news about the change (its drift linked, its verified close) goes
 * into that thread. Where the bot cannot post (not in the channel, a DM), the announcement goes back by
 * the command's response_url, or to the person by DM, and there is no thread.
 */
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Change } from '../ledger/model.js';
import type { SlackContext } from './context.js';
import { responderFor } from './response-url.js';
import { changeLoggedMessage } from './views/index.js';

export async function announceChange(
  ctx: SlackContext,
  client: WebClient,
  change: Change,
  opts: { user: string; channelId?: string; responseUrl?: string; commandName: string; now: Date },
): Promise<void> {
  const message = changeLoggedMessage(change, { now: opts.now, commandName: opts.commandName, withActions: true });
  const blocks = message.blocks as KnownBlock[];
  const channel = opts.channelId;
  if (channel && !channel.startsWith('D')) {
    let posted: { channel: string; ts: string } | undefined;
    try {
      const res = await client.chat.postMessage({ channel, text: message.text, blocks });
      posted = { channel: res.channel ?? channel, ts: res.ts ?? '' };
    } catch (err) {
      ctx.deliveryFailed('announcement', err, { channel, change: change.key });
    }
    if (posted) {
      const where = posted;
      // Through the ledger's queue: a database locked by another process is waited out, not thrown.
      if (where.ts) await ctx.ledger.writeSoon(() => ctx.messages.record(change.id, where)).catch((err: unknown) => ctx.logger.warn({ err, change: change.key }, 'could not keep where the change was announced; its thread gets no notes'));
      return;
    }
  }
  if (opts.responseUrl) {
    try {
      await responderFor(opts.responseUrl)({ response_type: 'in_channel', text: message.text, blocks });
      return;
    } catch (err) {
      ctx.deliveryFailed('announcement', err, { change: change.key });
    }
  }
  try {
    await client.chat.postMessage({ channel: opts.user, text: message.text, blocks });
  } catch (err) {
    ctx.deliveryFailed('author_dm', err, { user: opts.user });
  }
}
