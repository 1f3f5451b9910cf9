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
