import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebClient, type WebAPICallResult } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/http/metrics.js';
import { countingSlackFetch, slackFetch } from '../../src/slack/api-metrics.js';
import { SILENT } from '../../src/doctor/slack-checks.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';


/** A Web API stand-in: each path answers as one case needs. */
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/api/chat.postMessage') {
        res.writeHead(200, { 'content-type': 'application/json', 'x-oauth-scopes': 'chat:write, commands' });
        res.end(JSON.stringify({ ok: true, channel: 'C1', ts: '1.2', echo: new URLSearchParams(body).get('text') }));
      } else if (req.url === '/api/chat.update') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok": false, "error": "message_not_found"}');
      } else if (req.url === '/api/users.info') {
        res.writeHead(302, { location: 'https://elsewhere.example/' });
        res.end();
      } else {
        // Never answers: for the timeout.
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('the Slack Web API transport', () => {
  it('gives WebClient the answer, its headers and what it posted, and counts nothing for an ok answer', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const client = new WebClient('xoxb-test', { slackApiUrl: base, retryConfig: { retries: 0 }, fetch: countingSlackFetch(metrics) });
    const res = (await client.chat.postMessage({ channel: 'C1', text: 'hello & goodbye' })) as WebAPICallResult & { echo?: string };
    expect(res).toMatchObject({ ok: true, ts: '1.2', echo: 'hello & goodbye' });
    // Read from the response headers, case-insensitively, by WebClient.
    expect(res.response_metadata?.scopes).toEqual(['chat:write', 'commands']);
    expect(sampleValue(parsePrometheusText(await metrics.registry.metrics()), 'stopgap_slack_api_errors_total', { method: 'chat.postMessage' })).toBeUndefined();
  });

  it('counts an error answer by method and code, and the client still reads it', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const client = new WebClient('xoxb-test', { slackApiUrl: base, retryConfig: { retries: 0 }, fetch: countingSlackFetch(metrics) });
    await expect(client.chat.update({ channel: 'C1', ts: '1.2', text: 'x' })).rejects.toMatchObject({ data: { error: 'message_not_found' } });
    expect(sampleValue(parsePrometheusText(await metrics.registry.metrics()), 'stopgap_slack_api_errors_total', { method: 'chat.update', error: 'message_not_found' })).toBe(1);
  });

  it('hands a redirect back instead of following it', async () => {
    const res = await slackFetch(`${base}users.info`, { method: 'POST', body: 'user=U1' });
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toBe('https://elsewhere.example/');
  });

  it('gives up when the client times out', async () => {
    const client = new WebClient('xoxb-test', { slackApiUrl: base, retryConfig: { retries: 0 }, timeout: 100, fetch: slackFetch, logger: SILENT });
    await expect(client.apiCall('never.answers')).rejects.toMatchObject({ code: 'slack_webapi_request_error' });
  });
});

