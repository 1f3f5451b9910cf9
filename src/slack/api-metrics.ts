/**
 * The Slack Web API transport, counted: every WebClient the app makes sends through this fetch, so a
 * 429 or an error is counted once per answer, whichever client (Bolt's, the reminder sender's, the
 * digest poster's) made the call and whether or not it retries.
 */
import type { FetchFunction } from '@slack/web-api';
import { Agent, request, type Dispatcher } from 'undici';
import type { Metrics } from '../http/metrics.js';

type FetchResponse = Awaited<ReturnType<FetchFunction>>;

// One keep-alive pool for every Web API call. Node's global fetch (web streams, a Request and a Response
// object per call) costs several times the CPU of a plain request, and every logged change posts an
// announcement: under a burst of /fix that CPU is taken from the acknowledgements still to be sent.
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });

/**
 * WebClient's `fetch` over undici's `request`: the answer (a small JSON document) is read whole, so it
 * can be read more than once (here for the error count, then by the client). Multipart bodies (file
 * uploads) go through the global fetch, which builds them.
 */
export const slackFetch: FetchFunction = async (url, init = {}) => {
  if (init.body !== undefined && typeof init.body !== 'string') return fetch(url, init);
  // A redirect is handed back as it came, not followed: WebClient asks for `redirect: 'error'` and
  // treats any answer but 200 and 429 as an error.
  const res = await request(url, {
    method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
    headers: init.headers,
    body: init.body,
    signal: init.signal,
    dispatcher: agent,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  // undici names the headers in lower case; a repeated one comes as a list.
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) values.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const headers = { get: (name: string) => values.get(name.toLowerCase()) ?? null, entries: () => values.entries() };
  return {
    ok: res.statusCode >= 200 && res.statusCode < 300,
    status: res.statusCode,
    statusText: '',
    url: String(url),
    headers,
    arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
    text: async () => body.toString('utf8'),
    json: async () => JSON.parse(body.toString('utf8')) as unknown,
  } satisfies FetchResponse;
};

/** `chat.postMessage` from `https://slack.com/api/chat.postMessage`; `other` for anything else. */
function methodOf(url: string | URL): string {
  const path = (typeof url === 'string' ? url : url.href).split('?')[0] ?? '';
  const last = path.slice(path.lastIndexOf('/') + 1);
  return /^[a-z]+(\.[A-Za-z]+)+$/.test(last) ? last : 'other';
}

/** Slack's error codes are short snake_case words; anything else is not a label value. */
function errorLabel(body: string): string | undefined {
  // Most answers are `"ok":true` with the whole posted message echoed: not parsed twice for nothing.
  if (!/"ok"\s*:\s*false/.test(body)) return undefined;
  try {
    const parsed = JSON.parse(body) as { ok?: unknown; error?: unknown };
    if (parsed.ok !== false) return undefined;
    return typeof parsed.error === 'string' && /^[a-z0-9_]{1,64}$/.test(parsed.error) ? parsed.error : 'unknown';
  } catch {
    return undefined;
  }
}

export function countingSlackFetch(metrics: Pick<Metrics, 'slackApiErrors' | 'slackRateLimited' | 'slackApi'>, inner: FetchFunction = slackFetch): FetchFunction {
  return async (url, init) => {
    const method = methodOf(url);
    let res: FetchResponse;
    try {
      res = await inner(url, init);
    } catch (err) {
      metrics.slackApiErrors.inc({ method, error: 'network' });
      metrics.slackApi.state = 'down';
      throw err;
    }
    // Any answer but a server error means Slack's API is there (an error code or a 429 is Slack answering).
    metrics.slackApi.state = res.status >= 500 ? 'down' : 'up';
    if (res.status === 429) metrics.slackRateLimited.inc({ method });
    else if (res.status !== 200) metrics.slackApiErrors.inc({ method, error: `http_${res.status}` });
    else {
      // Read from a copy where the body is a stream: the client reads the answer itself.
      const text = res instanceof Response ? res.clone().text() : res.text();
      const error = errorLabel(await text.catch(() => ''));
      if (error) metrics.slackApiErrors.inc({ method, error });
    }
    return res;
  };
}

/** The Web API base URL every client uses: `SLACK_API_URL` (a proxy, or a test's fake) with the slash WebClient needs; Slack's own when unset. */
export function slackApiUrlOf(config: { slackApiUrl?: string }): string | undefined {
  const url = config.slackApiUrl;
  if (!url) return undefined;
  return url.endsWith('/') ? url : `${url}/`;
}
