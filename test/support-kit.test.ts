import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel, isValidSlackRequest } from '@slack/bolt';
import { WebAPIHTTPError, WebAPIPlatformError, WebClient } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../src/demo/fake-slack.js';
import {
  loadSlackFixture,
  ownBlockActions,
  ownMessageShortcut,
  ownSlashCommandFields,
  ownViewSubmission,
  parseFormFixture,
  sendEvent,
  sendInteraction,
  sendSlashCommand,
  sharedSlackFixturesPresent,
  signSlackRequest,
} from './support/slack-signing.js';

const silent = LogLevel.ERROR;

describe('fake Slack Web API', () => {
  let fake: FakeSlack;
  let client: WebClient;

  beforeAll(async () => {
    fake = await startFakeSlack();
    client = new WebClient('xoxb-test-token', {
      slackApiUrl: fake.apiUrl,
      logLevel: silent,
      retryConfig: { retries: 0 },
    });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it('answers auth.test as the bot user UBOT', async () => {
    const res = await client.auth.test();
    expect(res).toMatchObject({ ok: true, user_id: 'UBOT' });
    expect(res.bot_id).toBeTruthy();
    expect(res.team_id).toBeTruthy();
  });

  it('records a chat.postMessage with its fields, decoded blocks and bearer token', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*SG-1* logged' } }];
    const res = await client.chat.postMessage({ channel: 'C1', text: 'SG-1 logged', blocks });
    expect(res.ok).toBe(true);
    expect(res.channel).toBe('C1');
    expect(res.ts).toMatch(/^\d+\.\d{6}$/);

    const [call] = fake.callsTo('chat.postMessage');
    expect(call).toMatchObject({ method: 'chat.postMessage', token: 'xoxb-test-token', status: 200, ok: true });
    expect(call?.fields.text).toBe('SG-1 logged');
    expect(call?.blocks).toEqual(blocks);
    expect(call?.at).toBeGreaterThan(0);
  });

  it('gives every chat.postMessage a distinct ts', async () => {
    const a = await client.chat.postMessage({ channel: 'C1', text: 'a' });
    const b = await client.chat.postMessage({ channel: 'C1', text: 'b' });
    expect(a.ts).not.toBe(b.ts);
  });

  it('answers the other default methods with sensible successes', async () => {
    expect((await client.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'x' })).message_ts).toBeTruthy();
    expect((await client.chat.update({ channel: 'C1', ts: '1.000001', text: 'y' })).ts).toBe('1.000001');
    expect((await client.chat.getPermalink({ channel: 'C1', message_ts: '1700000000.000100' })).permalink).toContain(
      '/archives/C1/p1700000000000100',
    );
    expect((await client.conversations.open({ users: 'U7' })).channel?.id).toBe('DU7');
    expect((await client.users.info({ user: 'U7' })).user?.id).toBe('U7');
    const home = await client.views.publish({ user_id: 'U7', view: { type: 'home', blocks: [] } });
    expect(home.view?.type).toBe('home');
    expect(fake.calls.map((c) => c.method)).toEqual([
      'chat.postEphemeral',
      'chat.update',
      'chat.getPermalink',
      'conversations.open',
      'users.info',
      'views.publish',
    ]);
  });

  it('opens views with fresh V-prefixed ids and records the decoded view', async () => {
    const view = { type: 'modal' as const, callback_id: 'log_change', title: { type: 'plain_text' as const, text: 'Log' }, blocks: [] };
    const first = await client.views.open({ trigger_id: '1.2.abc', view });
    const second = await client.views.open({ trigger_id: '1.3.abc', view });
    expect(first.view?.id).toMatch(/^V\d+$/);
    expect(second.view?.id).not.toBe(first.view?.id);
    expect(first.view?.callback_id).toBe('log_change');
    expect(fake.callsTo('views.open')[0]?.view).toEqual(view);

    const updated = await client.views.update({ view_id: first.view?.id ?? '', view });
    expect(updated.view?.id).toBe(first.view?.id);
  });

  it('names channels from the configured map in conversations.info', async () => {
    fake.setChannel('C0INC', 'inc-4821-payments');
    const res = await client.conversations.info({ channel: 'C0INC' });
    expect(res.channel?.name).toBe('inc-4821-payments');
  });

  it('fails the next call with ok:false, which WebClient raises as WebAPIPlatformError', async () => {
    fake.failNext('chat.postMessage', { error: 'channel_not_found' });
    const err = await client.chat.postMessage({ channel: 'C404', text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebAPIPlatformError);
    expect((err as WebAPIPlatformError).data.error).toBe('channel_not_found');
    // Only once: the next call succeeds, and both were recorded.
    await expect(client.chat.postMessage({ channel: 'C404', text: 'x' })).resolves.toMatchObject({ ok: true });
    expect(fake.callsTo('chat.postMessage').map((c) => c.ok)).toEqual([false, true]);
  });

  it('keeps failing a method told to fail always, until reset', async () => {
    fake.failAlways('users.info', { error: 'user_not_found' });
    await expect(client.users.info({ user: 'U1' })).rejects.toBeInstanceOf(WebAPIPlatformError);
    await expect(client.users.info({ user: 'U1' })).rejects.toBeInstanceOf(WebAPIPlatformError);
    fake.reset();
    await expect(client.users.info({ user: 'U1' })).resolves.toMatchObject({ ok: true });
  });

  it('answers HTTP 500 when told to', async () => {
    fake.failNext('chat.postMessage', { status: 500 });
    const err = await client.chat.postMessage({ channel: 'C1', text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebAPIHTTPError);
    expect((err as WebAPIHTTPError).statusCode).toBe(500);
  });

  it('answers 429 with Retry-After, and WebClient waits that long before retrying', async () => {
    const patient = new WebClient('xoxb-test-token', {
      slackApiUrl: fake.apiUrl,
      logLevel: silent,
      rejectRateLimitedCalls: false,
      retryConfig: { retries: 2, factor: 1, minTimeout: 0, maxTimeout: 10 },
    });
    fake.failNext('chat.postMessage', { retryAfter: 1 });
    const res = await patient.chat.postMessage({ channel: 'C1', text: 'after the storm' });
    expect(res.ok).toBe(true);
    const [limited, retried] = fake.callsTo('chat.postMessage');
    expect(limited?.status).toBe(429);
    expect(retried?.fields.text).toBe('after the storm');
    expect((retried?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('decodes JSON bodies too', async () => {
    const res = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer xoxb-json' },
      body: JSON.stringify({ channel: 'C9', text: 'json', blocks: [{ type: 'divider' }], unfurl_links: false }),
    });
    expect(res.status).toBe(200);
    const call = await fake.waitForCall('chat.postMessage');
    expect(call.token).toBe('xoxb-json');
    expect(call.fields).toMatchObject({ channel: 'C9', text: 'json', unfurl_links: 'false' });
    expect(call.blocks).toEqual([{ type: 'divider' }]);
  });

  it('records POSTs to response URLs as response_url calls', async () => {
    const url = fake.responseUrl('cmd-1');
    expect(url.startsWith(fake.url)).toBe(true);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text: 'SG-1 logged', blocks: [{ type: 'divider' }] }),
    });
    expect(res.status).toBe(200);
    const call = await fake.waitForCall('response_url', (c) => c.path === '/response/cmd-1');
    expect(call.fields).toMatchObject({ response_type: 'ephemeral', text: 'SG-1 logged' });
    expect(call.blocks).toEqual([{ type: 'divider' }]);
  });

  it('waitForCall resolves on a later call and rejects with the calls seen after the timeout', async () => {
    const pending = fake.waitForCall('chat.update', (c) => c.fields.ts === '9.000009');
    await client.chat.update({ channel: 'C1', ts: '9.000001', text: 'no' });
    await client.chat.update({ channel: 'C1', ts: '9.000009', text: 'yes' });
    expect((await pending).fields.text).toBe('yes');
    await expect(fake.waitForCall('views.open', undefined, 50)).rejects.toThrow(/no matching views\.open call within 50 ms.*chat\.update/);
  });
});

describe('signing helper', () => {
  it("reproduces the worked example in Slack's request-signing docs", () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
      '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
      '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', body, 1531420618)).toEqual({
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      'x-slack-request-timestamp': '1531420618',
    });
  });

  it('matches an independent HMAC of v0:ts:body', () => {
    const expected = createHmac('sha256', 's3cret').update('v0:1700000000:payload=%7B%7D').digest('hex');
    expect(signSlackRequest('s3cret', 'payload=%7B%7D', 1700000000)['x-slack-signature']).toBe(`v0=${expected}`);
  });

  it("produces signatures Bolt's verifier accepts, and only for the signed body", () => {
    const body = 'text=hello';
    const ts = Math.floor(Date.now() / 1000);
    const h = signSlackRequest('s3cret', body, ts);
    const headers = { 'x-slack-signature': h['x-slack-signature'], 'x-slack-request-timestamp': ts };
    expect(isValidSlackRequest({ signingSecret: 's3cret', body, headers })).toBe(true);
    expect(isValidSlackRequest({ signingSecret: 's3cret', body: 'text=hellO', headers })).toBe(false);
    expect(isValidSlackRequest({ signingSecret: 'other', body, headers })).toBe(false);
  });
});

describe('signed requests against a real Bolt app', () => {
  const secret = 'kit-signing-secret';
  let fake: FakeSlack;
  let app: App;
  let server: Server;
  let base: string;
  const seen: { kind: string; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    fake = await startFakeSlack();
    app = new App({
      token: 'xoxb-kit',
      signingSecret: secret,
      logLevel: silent,
      clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
    });
    app.command(/.*/, async ({ command, ack, respond }) => {
      seen.push({ kind: 'command', body: { ...command } });
      await ack();
      await respond({ response_type: 'ephemeral', text: `got: ${command.text}` });
    });
    app.action(/.*/, async ({ body, ack }) => {
      seen.push({ kind: 'action', body: body as unknown as Record<string, unknown> });
      await ack();
    });
    app.view(/.*/, async ({ body, ack }) => {
      seen.push({ kind: 'view', body: body as unknown as Record<string, unknown> });
      await ack({ response_action: 'errors', errors: { description: 'kit' } });
    });
    app.shortcut(/.*/, async ({ body, ack }) => {
      seen.push({ kind: 'shortcut', body: body as unknown as Record<string, unknown> });
      await ack();
    });
    app.event('app_home_opened', async ({ event }) => {
      seen.push({ kind: 'event', body: event as unknown as Record<string, unknown> });
    });
    server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    seen.length = 0;
    fake.reset();
  });
  afterAll(async () => {
    await app.stop();
    await fake.close();
  });

  it('delivers a slash command whose respond() lands on the fake response URL', async () => {
    const fields = ownSlashCommandFields({ text: 'scaled deploy/payments-api -n shop to 6 & more ✓', response_url: fake.responseUrl('c1') });
    const res = await sendSlashCommand(base, secret, fields);
    expect(res.status).toBe(200);
    expect(seen[0]?.body).toMatchObject({ command: '/fix', text: fields.text, trigger_id: fields.trigger_id });
    const reply = await fake.waitForCall('response_url');
    expect(reply.fields.text).toBe(`got: ${fields.text}`);
  });

  it('rejects a forged signature and a stale timestamp with 401, running no handler', async () => {
    const forged = await sendSlashCommand(base, secret, ownSlashCommandFields({ text: 'x' }), { forgeSignature: true });
    const stale = await sendSlashCommand(base, secret, ownSlashCommandFields({ text: 'x' }), { staleTimestamp: true });
    expect(forged.status).toBe(401);
    expect(stale.status).toBe(401);
    expect(seen).toEqual([]);
  });

  it('passes extra headers such as Slack retry markers', async () => {
    const fields = ownSlashCommandFields({ text: 'retry', response_url: fake.responseUrl() });
    const res = await sendSlashCommand(base, secret, fields, {
      headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
    });
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    await fake.waitForCall('response_url');
  });

  it('delivers block_actions, view_submission and message shortcuts built by the own builders', async () => {
    const action = await sendInteraction(base, secret, ownBlockActions({ actionId: 'change_codified', value: 'SG-3' }));
    const view = await sendInteraction(
      base,
      secret,
      ownViewSubmission({ callbackId: 'log_change', stateValues: { description: { value: { type: 'plain_text_input', value: 'x' } } } }),
    );
    const shortcut = await sendInteraction(base, secret, ownMessageShortcut({ text: 'kubectl scale deploy/api --replicas=6' }));
    expect([action.status, view.status, shortcut.status]).toEqual([200, 200, 200]);
    expect(view.json).toEqual({ response_action: 'errors', errors: { description: 'kit' } });
    expect(seen.map((s) => s.kind)).toEqual(['action', 'view', 'shortcut']);
    expect(seen[2]?.body).toMatchObject({ type: 'message_action', callback_id: 'log_temporary_fix' });
  });

  it('delivers a JSON event envelope', async () => {
    const envelope = {
      token: 'verification-token-unused',
      team_id: 'T0STOPGAP',
      api_app_id: 'A0STOPGAP',
      event: { type: 'app_home_opened', user: 'U0ALICE', channel: 'D0ALICE', tab: 'home', event_ts: '1700000000.000100' },
      type: 'event_callback',
      event_id: 'Ev0KIT1',
      event_time: 1700000000,
    };
    const res = await sendEvent(base, secret, envelope);
    expect(res.status).toBe(200);
    await expect.poll(() => seen.map((s) => s.kind)).toEqual(['event']);
  });

  // Skipped without ../shared (the own payloads above take the same routes); a failure in CI.
  describe.skipIf(!sharedSlackFixturesPresent())('shared Slack payloads (../shared/fixtures/slack)', () => {
    it('replays the shared slash-command bodies with a varied text', async () => {
      for (const name of [
        'slash_command.docs-example.form-urlencoded.txt',
        'slash_command.real-modified.form-urlencoded.txt',
        'slash_command.bolt-python.form-urlencoded.txt',
      ]) {
        const fields = parseFormFixture(loadSlackFixture(name) ?? '');
        expect(fields.command?.startsWith('/')).toBe(true);
        fields.text = `list mine <${name}>`;
        fields.response_url = fake.responseUrl(name);
        const res = await sendSlashCommand(base, secret, fields);
        expect(res.status).toBe(200);
      }
      expect(seen.map((s) => s.body.text)).toEqual([
        'list mine <slash_command.docs-example.form-urlencoded.txt>',
        'list mine <slash_command.real-modified.form-urlencoded.txt>',
        'list mine <slash_command.bolt-python.form-urlencoded.txt>',
      ]);
    });

    it('replays the shared interactivity and event payloads', async () => {
      const shortcut = loadSlackFixture('message_action.bolt-python.json');
      const submission = loadSlackFixture('view_submission.bolt-python.json');
      const actions = loadSlackFixture('block_actions.button-in-message.bolt-python.json');
      const event = loadSlackFixture('app_home_opened.event_callback.home-tab-with-view.json');
      for (const payload of [shortcut, submission, actions]) {
        expect((await sendInteraction(base, secret, payload ?? {})).status).toBe(200);
      }
      expect((await sendEvent(base, secret, event ?? {})).status).toBe(200);
      await expect.poll(() => seen.map((s) => s.kind)).toEqual(['shortcut', 'view', 'action', 'event']);
    });

    it('gives each loadSlackFixture call a fresh copy to vary', () => {
      const a = loadSlackFixture('message_action.bolt-python.json');
      if (a) a.callback_id = 'changed';
      expect(loadSlackFixture('message_action.bolt-python.json')?.callback_id).toBe('test-shortcut');
    });

    it('builds own payloads with the same top-level shape as the shared ones', () => {
      const pairs: [Record<string, unknown> | undefined, Record<string, unknown>][] = [
        [loadSlackFixture('message_action.bolt-python.json'), ownMessageShortcut({ text: 'x' })],
        [loadSlackFixture('view_submission.bolt-python.json'), ownViewSubmission({ callbackId: 'c', stateValues: {} })],
        [loadSlackFixture('block_actions.button-in-message.bolt-python.json'), ownBlockActions({ actionId: 'a' })],
      ];
      for (const [shared, own] of pairs) {
        const required = ['type', 'user', 'team', 'trigger_id', 'api_app_id'].filter((k) => shared && k in shared);
        for (const key of required) expect(own).toHaveProperty(key);
        expect(own.type).toBe(shared?.type);
      }
      const sharedFields = parseFormFixture(loadSlackFixture('slash_command.docs-example.form-urlencoded.txt') ?? '');
      expect(Object.keys(ownSlashCommandFields())).toEqual(
        expect.arrayContaining(Object.keys(sharedFields).filter((k) => !k.startsWith('enterprise'))),
      );
    });
  });
});
