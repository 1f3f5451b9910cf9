import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { freePort, rawHttp, startTestApp, type TestApp } from '../support/app.js';
import { ownSlashCommandFields } from '../support/slack-signing.js';

// Slack's Socket Mode: apps.connections.open hands out a WebSocket URL; Slack says hello, then sends
// envelopes that the app must acknowledge by envelope_id.
describe('Socket Mode (SLACK_APP_TOKEN set)', () => {
  let wss: WebSocketServer;
  let app: TestApp;
  let socket: WebSocket | undefined;
  const acks: { envelope_id: string; payload?: unknown }[] = [];
  let port: number;

  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/link`;
    wss.on('connection', (ws) => {
      socket = ws;
      ws.on('message', (data) => acks.push(JSON.parse(String(data)) as { envelope_id: string }));
      ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake' }, connection_info: { app_id: 'A0STOPGAP' } }));
    });
    port = await freePort();
    app = await startTestApp({
      env: { SLACK_SIGNING_SECRET: '', SLACK_APP_TOKEN: 'xapp-1-A0STOPGAP-secret-app-token', PORT: String(port) },
      beforeStart: (slack) => slack.respondWith('apps.connections.open', () => ({ ok: true, url: wsUrl })),
    });
  });
  afterAll(async () => {
    await app?.stop();
    for (const c of wss?.clients ?? []) c.terminate();
    await new Promise((r) => wss?.close(r));
  });

  it('connects with the app token, receives /fix over the socket, acks the envelope and logs the change', async () => {
    const open = await app.slack.waitForCall('apps.connections.open');
    expect(open.token).toBe('xapp-1-A0STOPGAP-secret-app-token');
    await expect.poll(() => socket !== undefined).toBe(true);
    const before = app.server.ledger.count();
    const fields = ownSlashCommandFields({ text: 'scaled deploy/ws-api -n shop to 6', response_url: app.slack.responseUrl('socket') });
    socket?.send(JSON.stringify({ envelope_id: 'env-1', type: 'slash_commands', accepts_response_payload: true, payload: fields }));
    await expect.poll(() => acks.find((a) => a.envelope_id === 'env-1')).toBeTruthy();
    // The answer rides on the envelope's ack, which is sent only after the change is committed.
    const ack = acks.find((a) => a.envelope_id === 'env-1');
    expect(app.server.ledger.count()).toBe(before + 1);
    expect(JSON.stringify(ack?.payload)).toContain(`SG-${before + 1}`);
    expect((ack?.payload as { response_type?: string }).response_type).toBe('ephemeral');
    // The channel hears of it from the bot's own message.
    await app.slack.waitForCall('chat.postMessage', (c) => (c.fields.text ?? '').includes(`SG-${before + 1}`));
  });

  it('still serves health checks on PORT, answering a malformed request with 400', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    expect(await rawHttp(port, 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
  });

  it('never logs the app token', () => {
    expect(app.logs()).not.toContain('xapp-1-A0STOPGAP-secret-app-token');
  });

  it('is ready while the socket is connected and not ready while it is down', async () => {
    await expect.poll(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    // Slack drops the socket and refuses new ones for a while: readiness must say so.
    app.slack.failAlways('apps.connections.open', { status: 503 });
    for (const c of wss.clients) c.terminate();
    await expect.poll(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status, { timeout: 5_000 }).toBe(503);
    const body = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { slack?: string };
    expect(body.slack).toBe('disconnected');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});

describe('Socket Mode that cannot connect', () => {
  it('fails start-up and leaves no health server answering', async () => {
    const port = await freePort();
    const err = await startTestApp({
      env: { SLACK_SIGNING_SECRET: '', SLACK_APP_TOKEN: 'xapp-1-A0STOPGAP-secret-app-token', PORT: String(port) },
      beforeStart: (slack) => slack.respondWith('apps.connections.open', () => ({ ok: false, error: 'invalid_auth' })),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
