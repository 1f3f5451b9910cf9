/**
 * Requests an attacker or a confused client could send, correctly signed: none may crash the server,
 * hang, write anything twice, or go unanswered past Slack's three seconds.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { rawHttp, startTestApp, TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import {
  FORM_CONTENT_TYPE,
  JSON_CONTENT_TYPE,
  logChangeStateValues,
  ownBlockActions,
  ownSlashCommandFields,
  ownViewSubmission,
  sendEvent,
  sendInteraction,
  sendSigned,
  sendSlashCommand,
} from '../support/slack-signing.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ config: 'admins: [U0ADMIN]\n' });
});
afterAll(async () => {
  await app?.stop();
});
beforeEach(() => {
  app.slack.reset();
});

/** Slack shows an error to the person if it has no answer within 3 s; we must answer well before. */
const SLACK_DEADLINE_MS = 3_000;

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await f();
  return { value, ms: performance.now() - started };
}

async function stillServing(): Promise<void> {
  const res = await fetch(`${app.url}/healthz`);
  expect(res.status).toBe(200);
  const fix = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: 'help' }));
  expect(fix.status).toBe(200);
}

async function logChange(text = 'scaled deploy/api -n shop to 3', user = 'U0ALICE'): Promise<string> {
  const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text, user_id: user }));
  const key = /SG-\d+/.exec(JSON.stringify(res.json))?.[0];
  if (!key) throw new Error(`no change logged: ${res.body}`);
  return key;
}

describe('malformed bodies, correctly signed', () => {
  const cases: [string, string, string][] = [
    ['payload=null (form)', 'payload=null', FORM_CONTENT_TYPE],
    ['payload=[] (form)', 'payload=%5B%5D', FORM_CONTENT_TYPE],
    ['payload="text" (form)', 'payload=%22text%22', FORM_CONTENT_TYPE],
    ['payload that is not JSON', 'payload=%7Bnot-json', FORM_CONTENT_TYPE],
    ['null (JSON)', 'null', JSON_CONTENT_TYPE],
    ['an array (JSON)', '[1,2,3]', JSON_CONTENT_TYPE],
    ['a number (JSON)', '42', JSON_CONTENT_TYPE],
    ['truncated JSON', '{"type":"event_callback","event":', JSON_CONTENT_TYPE],
    ['an unknown content type', 'hello', 'text/plain'],
  ];
  for (const [name, body, type] of cases) {
    it(`answers ${name} with 400 and keeps serving`, async () => {
      const res = await sendSigned(app.url, TEST_SIGNING_SECRET, body, type);
      expect(res.status).toBe(400);
      await stillServing();
    });
  }

  const shapes: [string, object][] = [
    ['block_actions without actions', { type: 'block_actions', user: { id: 'U0ALICE' } }],
    ['block_actions whose actions is null', { type: 'block_actions', user: { id: 'U0ALICE' }, actions: null }],
    ['block_actions with a null action', { type: 'block_actions', user: { id: 'U0ALICE' }, actions: [null] }],
    ['view_submission without a view', { type: 'view_submission', user: { id: 'U0ALICE' } }],
    ['a shortcut without a user', { type: 'shortcut', callback_id: 'x', trigger_id: 't' }],
    ['a payload with no type', { hello: 'world' }],
  ];
  for (const [name, payload] of shapes) {
    it(`refuses ${name} at once without calling a listener`, async () => {
      const { value: res, ms } = await timed(() => sendInteraction(app.url, TEST_SIGNING_SECRET, payload));
      expect(res.status).toBe(400);
      expect(ms).toBeLessThan(SLACK_DEADLINE_MS);
      await stillServing();
    });
  }

  it('answers an event_callback without an event, and a slash command without a user, with 400', async () => {
    const event = await sendEvent(app.url, TEST_SIGNING_SECRET, { type: 'event_callback', event_id: 'Ev0BROKEN' });
    expect(event.status).toBe(400);
    const command = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, { command: '/fix', text: 'scaled deploy/x' });
    expect(command.status).toBe(400);
    await stillServing();
  });

  it('refuses a body over the size limit with 413 before reading it all', async () => {
    const before = app.server.ledger.count();
    const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: `scaled deploy/x ${'a'.repeat(2 * 1024 * 1024)}` }));
    expect(res.status).toBe(413);
    expect(app.server.ledger.count()).toBe(before);
    await stillServing();
  });

  it('refuses requests with no signature headers, and other HTTP methods on the Slack path', async () => {
    const res = await fetch(`${app.url}/slack/events`, { method: 'POST', headers: { 'content-type': FORM_CONTENT_TYPE }, body: 'command=%2Ffix' });
    expect(res.status).toBe(401);
    expect((await fetch(`${app.url}/slack/events`)).status).toBe(405);
    expect((await fetch(`${app.url}/nope`)).status).toBe(404);
  });
});

describe('timestamps', () => {
  it('rejects a request signed more than five minutes in the future, like a stale one', async () => {
    const before = app.server.ledger.count();
    const future = Math.floor(Date.now() / 1000) + 600;
    const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: 'scaled deploy/x to 1' }), { timestamp: future });
    expect(res.status).toBe(401);
    expect(app.server.ledger.count()).toBe(before);
  });

  it('accepts a request a few seconds in the future (clock skew)', async () => {
    const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: 'help' }), {
      timestamp: Math.floor(Date.now() / 1000) + 30,
    });
    expect(res.status).toBe(200);
  });
});

describe('requests no listener handles are answered at once', () => {
  it('an unknown action_id: acknowledged, and the person told nothing changed', async () => {
    const responseUrl = app.slack.responseUrl('unknown-action');
    const { value: res, ms } = await timed(() =>
      sendInteraction(app.url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: 'no_such_button', responseUrl })),
    );
    expect(res.status).toBe(200);
    expect(ms).toBeLessThan(1_000);
    const told = await app.slack.waitForCall('response_url', (c) => c.path.endsWith('/unknown-action'));
    expect(JSON.stringify(told.json)).toMatch(/nothing was changed/);
    expect((told.json as { response_type?: string }).response_type).toBe('ephemeral');
  });

  it('a view_submission with an unknown callback id: the modal says nothing was saved', async () => {
    const before = app.server.ledger.count();
    const { value: res, ms } = await timed(() =>
      sendInteraction(app.url, TEST_SIGNING_SECRET, ownViewSubmission({ callbackId: 'no_such_form', stateValues: {} })),
    );
    expect(ms).toBeLessThan(1_000);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ response_action: 'update' });
    expect(JSON.stringify(res.json)).toMatch(/nothing was changed/);
    expect(app.server.ledger.count()).toBe(before);
  });

  it('a view_submission of the log form without state: answered, nothing saved', async () => {
    const before = app.server.ledger.count();
    const payload = ownViewSubmission({ callbackId: 'log_change', stateValues: {} }) as { view: Record<string, unknown> };
    delete payload.view.state;
    const { value: res, ms } = await timed(() => sendInteraction(app.url, TEST_SIGNING_SECRET, payload));
    expect(ms).toBeLessThan(1_000);
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.json)).toMatch(/nothing was saved/);
    expect(app.server.ledger.count()).toBe(before);
  });

  it('view_closed, block_suggestion and an unknown shortcut are acknowledged at once', async () => {
    const closed = await timed(() =>
      sendInteraction(app.url, TEST_SIGNING_SECRET, { ...ownViewSubmission({ callbackId: 'log_change', stateValues: {} }), type: 'view_closed' }),
    );
    expect(closed.value.status).toBe(200);
    expect(closed.ms).toBeLessThan(1_000);
    const suggestion = await timed(() =>
      sendInteraction(app.url, TEST_SIGNING_SECRET, { type: 'block_suggestion', user: { id: 'U0ALICE' }, action_id: 'owner', block_id: 'b', value: 'al' }),
    );
    expect(suggestion.value.status).toBe(200);
    expect(suggestion.value.json).toEqual({ options: [] });
    expect(suggestion.ms).toBeLessThan(1_000);
    const shortcut = await timed(() =>
      sendInteraction(app.url, TEST_SIGNING_SECRET, { type: 'shortcut', callback_id: 'no_such_shortcut', trigger_id: 'trig-unknown-shortcut', user: { id: 'U0ALICE' }, team: { id: 'T0' } }),
    );
    expect(shortcut.value.status).toBe(200);
    expect(shortcut.ms).toBeLessThan(1_000);
    const notice = await app.slack.waitForCall('views.open', (c) => c.fields.trigger_id === 'trig-unknown-shortcut');
    expect(JSON.stringify(notice.view)).toMatch(/nothing was changed/);
  });

  it('an event type with no listener is acknowledged at once', async () => {
    const { value: res, ms } = await timed(() =>
      sendEvent(app.url, TEST_SIGNING_SECRET, { type: 'event_callback', event_id: 'Ev0NOLISTENER', event: { type: 'reaction_added' } }),
    );
    expect(res.status).toBe(200);
    expect(ms).toBeLessThan(1_000);
  });
});

describe('change buttons', () => {
  it('a button on a change that does not exist is answered and says so', async () => {
    const responseUrl = app.slack.responseUrl('missing-change');
    const res = await sendInteraction(app.url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: 'change_reverted', value: 'SG-999999', responseUrl }));
    expect(res.status).toBe(200);
    const told = await app.slack.waitForCall('response_url', (c) => c.path.endsWith('/missing-change'));
    expect(JSON.stringify(told.json)).toContain('There is no change SG-999999');
  });

  it('Mark reverted applies once however often Slack delivers the click', async () => {
    const key = await logChange();
    const id = Number(key.slice(3));
    const click = ownBlockActions({ actionId: 'change_reverted', value: key, responseUrl: app.slack.responseUrl('revert') });
    for (let i = 0; i < 5; i++) {
      const res = await sendInteraction(app.url, TEST_SIGNING_SECRET, click, i > 0 ? { headers: { 'x-slack-retry-num': String(i) } } : {});
      expect(res.status).toBe(200);
    }
    await app.slack.waitForCall('response_url', (c) => c.path.endsWith('/revert'));
    await expect.poll(() => app.server.ledger.get(id)?.status).toBe('reverted');
    expect(app.server.ledger.events(id).map((e) => e.type)).toEqual(['created', 'reverted']);
  });

  it('Mark reverted by someone who may not manage the change is refused', async () => {
    const key = await logChange('edited cm/app -n shop', 'U0OWNER');
    const responseUrl = app.slack.responseUrl('forbidden');
    await sendInteraction(app.url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: 'change_reverted', value: key, responseUrl, user: { id: 'U0MALLORY' } }));
    const told = await app.slack.waitForCall('response_url', (c) => c.path.endsWith('/forbidden'));
    expect(JSON.stringify(told.json)).toMatch(/owner|admin/i);
    expect(app.server.ledger.get(Number(key.slice(3)))?.status).toBe('open');
  });

  it('Mark codified asks for the PR in a modal; its submission applies once', async () => {
    const key = await logChange();
    const id = Number(key.slice(3));
    await sendInteraction(app.url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: 'change_codified', value: key, triggerId: 'trig-codify' }));
    const opened = await app.slack.waitForCall('views.open', (c) => c.fields.trigger_id === 'trig-codify');
    const view = opened.view as { callback_id: string; private_metadata: string };
    const bad = await sendInteraction(
      app.url,
      TEST_SIGNING_SECRET,
      ownViewSubmission({ callbackId: view.callback_id, privateMetadata: view.private_metadata, stateValues: { input: { value: { type: 'url_text_input', value: 'not a url' } } } }),
    );
    expect(bad.json).toMatchObject({ response_action: 'errors' });
    const submission = ownViewSubmission({
      callbackId: view.callback_id,
      privateMetadata: view.private_metadata,
      viewId: 'V0CODIFY',
      stateValues: { input: { value: { type: 'url_text_input', value: 'https://github.com/acme/infra/pull/881' } } },
    });
    for (let i = 0; i < 3; i++) expect((await sendInteraction(app.url, TEST_SIGNING_SECRET, submission)).status).toBe(200);
    // No drift is linked to it, so the person's word closes it, unverified.
    expect(app.server.ledger.get(id)).toMatchObject({ status: 'codified', verified: false, prUrl: 'https://github.com/acme/infra/pull/881' });
    expect(app.server.ledger.events(id).map((e) => e.type)).toEqual(['created', 'codified']);
  });
});

describe('replayed subcommands apply once', () => {
  for (const [name, text] of [
    ['snooze', (key: string) => `snooze ${key} 3d`],
    ['codified', (key: string) => `codified ${key} https://github.com/acme/infra/pull/12`],
    ['assign', (key: string) => `assign ${key} <@U0BOB>`],
  ] as const) {
    it(`five deliveries of ${name} with one trigger_id add one event`, async () => {
      const key = await logChange();
      const id = Number(key.slice(3));
      const fields = ownSlashCommandFields({ text: text(key), trigger_id: `trig-replay-${name}` });
      const answers: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, fields);
        expect(res.status).toBe(200);
        answers.push(JSON.stringify(res.json));
      }
      expect(app.server.ledger.events(id)).toHaveLength(2);
      // Every delivery gets the confirmation, not a refusal of the repeat.
      for (const answer of answers) expect(answer).toMatch(new RegExp(`${key} (is snoozed|is marked codified|now belongs)`));
    });
  }
});

describe('requests that are not even HTTP the server expects', () => {
  it('answers a request-target that is not a URL with 400 and keeps serving', async () => {
    const port = Number(new URL(app.url).port);
    expect(await rawHttp(port, 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    await stillServing();
  });

  it('refuses an unsigned body before reading it, closing the connection', async () => {
    const port = Number(new URL(app.url).port);
    // Headers promise a large body that never comes: the refusal must not wait for it.
    const answer = await rawHttp(port, 'POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 900000\r\n\r\n{');
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    await stillServing();
  });
});

describe('a listener that fails before answering', () => {
  it('tells the person something went wrong instead of answering with nothing', async () => {
    const key = await logChange('scaled deploy/broken -n shop to 1');
    const other = new Database(app.dbPath);
    // A row edited behind the ledger's back no longer parses: reading it throws inside the listener.
    other.prepare("UPDATE changes SET resources = '{}' WHERE id = ?").run(Number(key.slice(3)));
    other.close();
    try {
      const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: `show ${key}` }));
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.json)).toMatch(/Something went wrong on our side/);
      await stillServing();
    } finally {
      const fix = new Database(app.dbPath);
      fix.prepare("UPDATE changes SET resources = '[]' WHERE id = ?").run(Number(key.slice(3)));
      fix.close();
    }
  });
});

describe('Slack refusing to open a form', () => {
  it('/fix with no text: the person is told to type the change instead', async () => {
    app.slack.failAlways('views.open', { status: 503 });
    const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: '', response_url: app.slack.responseUrl('no-form') }));
    expect(res.status).toBe(200);
    const told = await app.slack.waitForCall('response_url', (c) => c.path.endsWith('/no-form'));
    expect(JSON.stringify(told.json)).toMatch(/would not open the form/);
    // The trigger lives three seconds: opening is tried once, not retried past it.
    expect(app.slack.callsTo('views.open')).toHaveLength(1);
  });

  it('Mark codified: the person is told the command to type', async () => {
    const key = await logChange();
    app.slack.failAlways('views.open', { error: 'expired_trigger_id' });
    await sendInteraction(app.url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: 'change_codified', value: key, responseUrl: app.slack.responseUrl('no-codify-form') }));
    const told = await app.slack.waitForCall('response_url', (c) => c.path.endsWith('/no-codify-form'));
    expect(JSON.stringify(told.json)).toContain(`/fix codified ${key}`);
  });
});

describe('what goes back to Slack is what the ledger stored', () => {
  it('a dismissal confirms the masked reason, never the pasted credential', async () => {
    const key = await logChange();
    const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: `dismiss ${key} rotated, old password=hunt3rEIGHT` }));
    expect(JSON.stringify(res.json)).toContain('password=[redacted]');
    expect(res.body).not.toContain('hunt3rEIGHT');
  });

  it('a credential Slack turned into a link is masked whole, in the ledger and the answer', async () => {
    const key = await logChange();
    const res = await sendSlashCommand(
      app.url,
      TEST_SIGNING_SECRET,
      ownSlashCommandFields({ text: `dismiss ${key} leaked api_key=<https://hooks.example.com/T0/B0/s3cretPart9x|hooks.example.com/T0/B0/s3cretPart9x> in the runbook` }),
    );
    expect(res.body).not.toContain('s3cretPart9x');
    const change = app.server.ledger.get(Number(key.slice(3)));
    expect(change?.reason).toContain('api_key=[redacted]');
    expect(JSON.stringify([change, app.server.ledger.events(change?.id ?? 0)])).not.toContain('s3cretPart9x');
  });

  it('a form error never echoes a pasted token', async () => {
    const token = `ghp_${'A1b2C3d4E5f6G7h8I9j0K1l2'}`;
    const res = await sendInteraction(
      app.url,
      TEST_SIGNING_SECRET,
      ownViewSubmission({ callbackId: 'log_change', stateValues: logChangeStateValues({ description: 'rotated the key', resources: `token=${token}` }, { clusterAs: 'text' }) }),
    );
    expect(res.json).toMatchObject({ response_action: 'errors' });
    expect(res.body).not.toContain(token.slice(4, 20));
  });
});

describe('delivery failures are counted', () => {
  it('a Home tab that cannot be published', async () => {
    app.slack.failAlways('views.publish', { error: 'internal_error' });
    const res = await sendEvent(app.url, TEST_SIGNING_SECRET, { type: 'event_callback', event_id: 'Ev0HOMEFAIL', team_id: 'T0', event: { type: 'app_home_opened', user: 'U0ALICE', tab: 'home', channel: 'D1' } });
    expect(res.status).toBe(200);
    await expect
      .poll(async () => (await (await fetch(`${app.url}/metrics`)).text()).match(/stopgap_slack_delivery_failures_total\{kind="home_tab"\} (\d+)/)?.[1])
      .toBe('1');
  });
});
