import type { WebClient } from '@slack/web-api';
import type { SlackContext } from './context.js';
import { escapeAndTruncate } from './views/index.js';

/** Tells a person by DM that someone else made them the owner of a change; a failure is counted, not thrown. */
export async function notifyNewOwner(
  ctx: SlackContext,
  client: WebClient,
  owner: string,
  by: string,
  key: string,
  description: string,
): Promise<void> {
  if (owner === by) return;
  try {
    await client.chat.postMessage({
      channel: owner,
      text: `<@${by}> made you the owner of ${key}: ${escapeAndTruncate(description, 300)}. Codify it or revert it, then tell me with \`/fix codified ${key} &lt;PR&gt;\` or \`/fix reverted ${key}\`.`,
    });
  } catch (err) {
    ctx.deliveryFailed('owner_dm', err, { change: key });
  }
}

