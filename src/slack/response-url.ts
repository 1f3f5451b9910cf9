import { Agent, request } from 'undici';

// One keep-alive pool for every response_url post: Bolt's respond() opens a fetch per reply, which
// costs more CPU per /fix than the ledger write itself.
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });

export interface ResponseMessage {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
  blocks?: unknown[];
  replace_original?: boolean;
}

export type Respond = (message: ResponseMessage) => Promise<void>;

/** Replies through the response_url Slack sent with a command (valid 30 minutes, 5 uses). */
export function responderFor(responseUrl: string): Respond {
  return async (message) => {
    const res = await request(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      dispatcher: agent,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    await res.body.dump();
    if (res.statusCode >= 300) {
      throw new Error(`response_url answered HTTP ${res.statusCode}`);
    }
  };
}

/**
 * Tells the person who pressed a button: privately where they pressed it when Slack gave a response_url,
 * else by DM. A failure is counted and logged, never thrown.
 */
export async function tellClicker(
  deps: { deliveryFailed(kind: string, err: unknown, fields?: Record<string, unknown>): void },
  client: { chat: { postMessage(args: { channel: string; text: string }): Promise<unknown> } },
  body: { response_url?: string; user: { id: string } },
  text: string,
): Promise<void> {
  try {
    if (body.response_url) await responderFor(body.response_url)({ response_type: 'ephemeral', text, replace_original: false });
    else await client.chat.postMessage({ channel: body.user.id, text });
  } catch (err) {
    deps.deliveryFailed('button_reply', err, { user: body.user.id });
  }
}
