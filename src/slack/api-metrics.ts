/**
 * The Slack Web API transport, counted: every WebClient the app makes sends through this fetch, so a
 * 429 or an error is counted once per answer, whichever client (Bolt's, the reminder sender's, the
 * digest poster's) made the call and whether or not it retries.
 */
import type { FetchFunction } from '@slack/web-api';
import type { Metrics } from '../http/metrics.js';

/** `chat.postMessage` from `https://slack.com/api/chat.postMessage`; `other` for anything else. */
function methodOf(url: string | URL): string {
  const path = (typeof url === 'string' ? url : url.href).split('?')[0] ?? '';
  const last = path.slice(path.lastIndexOf('/') + 1);
  return /^[a-z]+(\.[A-Za-z]+)+$/.test(last) ? last : 'other';
}

/** Slack's error codes are short snake_case words; anything else is not a label value. */
function errorLabel(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { ok?: unknown; error?: unknown };
    if (parsed.ok !== false) return undefined;
    return typeof parsed.error === 'string' && /^[a-z0-9_]{1,64}$/.test(parsed.error) ? parsed.error : 'unknown';
  } catch {
    return undefined;
  }
}

export function countingSlackFetch(metrics: Pick<Metrics, 'slackApiErrors' | 'slackRateLimited' | 'slackApi'>, inner: FetchFunction = (url, init) => fetch(url, init)): FetchFunction {
  return async (url, init) => {
    const method = methodOf(url);
    let res: Awaited<ReturnType<FetchFunction>>;
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
    else if (res instanceof Response) {
      // Read from a copy: the client reads the answer itself.
      const error = errorLabel(await res.clone().text().catch(() => ''));
      if (error) metrics.slackApiErrors.inc({ method, error });
    }
    return res;
  };
}
