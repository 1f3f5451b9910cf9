import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, TEST_BOT_TOKEN, TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import {
  loadSlackFixture,
  ownSlashCommandFields,
  parseFormFixture,
  sendSlashCommand,
  sharedSlackFixturesPresent,
  type SendOptions,
} from '../support/slack-signing.js';

const CONFIG = `
admins: [U0ADMIN]
defaultDueDays: 7
clusters:
  - name: prod-eu
    context: prod-eu
  - name: staging
`;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ config: CONFIG });
});
afterAll(async () => {
  await app?.stop();
});
beforeEach(() => {
  app.slack.reset();
});

let seq = 0;
/** Sends `/fix <text>` as `user` and returns the ephemeral/in-channel reply posted to its response_url. */
async function fix(text: string, opts: { user?: string; command?: string; channel?: { id: string; name: string }; send?: SendOptions } = {}) {
  const id = `r${++seq}`;
  const fields = ownSlashCommandFields({
    text,
    user_id: opts.user ?? 'U0ALICE',
    command: opts.command ?? '/fix',
    response_url: app.slack.responseUrl(id),
    ...(opts.channel ? { channel_id: opts.channel.id, channel_name: opts.channel.name } : {}),
  });
  const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, fields, opts.send);
  return { res, fields, reply: async () => ackReply(res) };
}

/** The answer to a command is its acknowledgement (sent after the ledger committed), not a later post. */
function ackReply(res: { status: number; json?: unknown }): { json?: unknown; fields: Record<string, string>; blocks?: unknown } {
  expect(res.status).toBe(200);
  expect(res.json, 'the command was acknowledged with an answer').toBeDefined();
  return { json: res.json, fields: {} };
}

function replyText(call: { json?: unknown; fields: Record<string, string> }): string {
  const body = (call.json ?? {}) as { text?: string; blocks?: unknown };
  return `${body.text ?? call.fields.text ?? ''}\n${JSON.stringify(body.blocks ?? '')}`;
}

function responseType(call: { json?: unknown }): string | undefined {
  return (call.json as { response_type?: string } | undefined)?.response_type;
}

describe('/fix <text> logs a change', () => {
  it('acks the person once saved, records the parsed change and announces it in the channel as the bot\'s own message', async () => {
    const before = app.server.ledger.count();
    const { res, reply } = await fix('scaled deploy/payments-api -n shop to 12 replicas @prod-eu', {
      channel: { id: 'C0INC4821', name: 'inc-4821-payments' },
    });
    expect(res.status).toBe(200);
    const call = await reply();
    expect(responseType(call)).toBe('ephemeral');
    expect(replyText(call)).toContain('Logged');
    // The announcement is a chat.postMessage whose ts is kept, so later news goes into its thread.
    const announcement = await app.slack.waitForCall('chat.postMessage', (c) => c.fields.channel === 'C0INC4821');
    expect(JSON.stringify(announcement.blocks)).toContain('change_codified');
    await expect.poll(() => app.server.db.prepare('SELECT channel, ts FROM change_messages WHERE change_id = ?').get(before + 1)).toMatchObject({ channel: 'C0INC4821' });
    expect(app.server.ledger.count()).toBe(before + 1);
    const change = app.server.ledger.get(before + 1);
    expect(change).toMatchObject({
      actor: 'U0ALICE',
      owner: 'U0ALICE',
      cluster: 'prod-eu',
      incident: '#inc-4821-payments',
      status: 'open',
      source: 'command',
      channelId: 'C0INC4821',
    });
    expect(change?.resources).toEqual([{ kind: 'deployment', name: 'payments-api', namespace: 'shop' }]);
    expect(replyText(call)).toContain(change?.key);
    expect(announcement.fields.text).toContain(change?.key);
  });

  it('takes the owner from `owner @x` and the incident from INC-n', async () => {
    const before = app.server.ledger.count();
    const { reply } = await fix('cordoned node/ip-10-0-1-7 for INC-4821, owner <@U0BOB|bob> --cluster staging');
    await reply();
    expect(app.server.ledger.get(before + 1)).toMatchObject({ owner: 'U0BOB', incident: 'INC-4821', cluster: 'staging' });
  });

  it('tells the owner by DM when a change is logged for someone else, and only then', async () => {
    const before = app.server.ledger.count();
    await (await fix('bumped memory on deploy/search -n shop to 2Gi owner <@U0DANA>')).reply();
    const dm = await app.slack.waitForCall('chat.postMessage', (c) => c.fields.channel === 'U0DANA');
    expect(dm.fields.text).toContain(`SG-${before + 1}`);
    expect(dm.fields.text).toContain('<@U0ALICE>');
    app.slack.reset();
    await (await fix('bumped memory on deploy/search -n shop to 3Gi')).reply();
    await (await fix('help')).reply();
    // The second change is announced in its channel; nobody is sent a DM.
    await app.slack.waitForCall('chat.postMessage');
    expect(app.slack.callsTo('chat.postMessage').filter((c) => c.fields.channel?.startsWith('U'))).toHaveLength(0);
  });

  it('keeps the author as owner when someone is only mentioned in passing', async () => {
    const before = app.server.ledger.count();
    const { reply } = await fix('restarted deploy/api -n shop after <@U0BOB|bob> asked');
    await reply();
    expect(app.server.ledger.get(before + 1)).toMatchObject({ owner: 'U0ALICE', description: 'restarted deploy/api after <@U0BOB> asked' });
  });

  it('never creates a second change for a retried request with the same trigger_id', async () => {
    const before = app.server.ledger.count();
    const fields = ownSlashCommandFields({ text: 'set image deploy/checkout to v1.4.2', response_url: app.slack.responseUrl('dup') });
    const first = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, fields);
    const retry = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, fields, {
      headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
    });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    // Both are acknowledged only after the ledger answered, so nothing is still in flight here.
    expect(app.server.ledger.count()).toBe(before + 1);
    expect(replyText(ackReply(first))).toContain(`SG-${before + 1}`);
    expect(replyText(ackReply(retry))).toMatch(new RegExp(`SG-${before + 1} was already logged`));
  });

  it('works whatever the command is called in the workspace', async () => {
    const before = app.server.ledger.count();
    const { reply } = await fix('help', { command: '/tempfix' });
    expect(replyText(await reply())).toContain('/tempfix');
    const logged = await fix('restarted ds/fluent-bit -n logging', { command: '/tempfix' });
    await logged.reply();
    expect(app.server.ledger.count()).toBe(before + 1);
  });

  it('logs text that starts with a keyword when prefixed with log', async () => {
    const before = app.server.ledger.count();
    const { reply } = await fix('log list of nodes cordoned: node/ip-10-0-1-7');
    await reply();
    expect(app.server.ledger.get(before + 1)?.description).toBe('list of nodes cordoned: node/ip-10-0-1-7');
  });

  it('masks a credential pasted into the text in the ledger and in Slack', async () => {
    const before = app.server.ledger.count();
    const { reply } = await fix('kubectl create secret generic db --from-literal=password=hunter2-prod -n shop');
    const call = await reply();
    const change = app.server.ledger.get(before + 1);
    expect(change?.description).toContain('password=[redacted]');
    expect(JSON.stringify(change)).not.toContain('hunter2-prod');
    expect(replyText(call)).not.toContain('hunter2-prod');
    expect(app.logs()).not.toContain('hunter2-prod');
  });

  it('still records the change, and counts the failure, when Slack’s Web API is down', async () => {
    const before = app.server.ledger.count();
    app.slack.failAlways('response_url', { status: 500 });
    app.slack.failAlways('chat.postMessage', { status: 500 });
    app.slack.failAlways('auth.test', { status: 500 });
    // Logged for someone else, so Stopgap must DM them: that DM fails.
    const { res, reply } = await fix('bumped memory on sts/db-0 -n data to 4Gi owner <@U0DANA>');
    expect(res.status).toBe(200);
    expect(replyText(await reply())).toContain(`SG-${before + 1}`);
    expect(app.server.ledger.get(before + 1)?.owner).toBe('U0DANA');
    await app.slack.waitForCall('chat.postMessage');
    // The announcement fails first (channel, response_url, author DM, each retried), then the owner's DM.
    await expect
      .poll(async () => (await (await fetch(`${app.url}/metrics`)).text()).match(/stopgap_slack_delivery_failures_total\{kind="owner_dm"\} (\d+)/)?.[1], { timeout: 15_000 })
      .toBe('1');
    expect(app.slack.callsTo('auth.test'), 'requests never wait on auth.test').toHaveLength(0);
    const listed = replyText(await (await fix('list all')).reply());
    expect(listed).toContain(`SG-${before + 1}`);
  });
});

describe('real Slack slash-command payloads', () => {
  const names = [
    'slash_command.docs-example.form-urlencoded.txt',
    'slash_command.bolt-python.form-urlencoded.txt',
    'slash_command.real-modified.form-urlencoded.txt',
  ];
  // Skipped without ../shared (own payloads above cover the behaviour); a failure in CI.
  describe.skipIf(!sharedSlackFixturesPresent())('from ../shared/fixtures/slack', () => {
    for (const name of names) {
      it(`logs a change from ${name} with its text varied`, async () => {
        const fields = parseFormFixture(loadSlackFixture(name) as string);
        const before = app.server.ledger.count();
        fields.text = 'rolled back deployment.apps/checkout to v1.4.2 -n shop';
        fields.response_url = app.slack.responseUrl(`fixture-${name}`);
        const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, fields);
        expect(res.status).toBe(200);
        const call = ackReply(res);
        const change = app.server.ledger.get(before + 1);
        expect(change).toMatchObject({ actor: fields.user_id, channelId: fields.channel_id });
        expect(change?.resources).toEqual([{ kind: 'deployment', group: 'apps', name: 'checkout', namespace: 'shop' }]);
        expect(replyText(call)).toContain(change?.key);
      });
    }
    it('opens the modal for the real payload whose text is empty', async () => {
      const fields = parseFormFixture(loadSlackFixture('slash_command.real-modified.form-urlencoded.txt') as string);
      fields.trigger_id = 'fixture.empty.trigger';
      const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, fields);
      expect(res.status).toBe(200);
      const open = await app.slack.waitForCall('views.open');
      expect(open.fields.trigger_id).toBe('fixture.empty.trigger');
      expect((open.view as { callback_id?: string }).callback_id).toBe('log_change');
    });
  });
});

describe('subcommands', () => {
  async function logOne(text = 'scaled deploy/api -n shop to 3', user = 'U0ALICE') {
    const before = app.server.ledger.count();
    const r = await fix(text, { user });
    await r.reply();
    const change = app.server.ledger.get(before + 1);
    if (!change) throw new Error('change was not logged');
    return change;
  }

  it('list mine shows only my open changes, ephemerally', async () => {
    const mine = await logOne('edited cm/app-config -n shop', 'U0LISTER');
    await logOne('edited cm/other -n shop', 'U0SOMEONE');
    const { reply } = await fix('list', { user: 'U0LISTER' });
    const call = await reply();
    expect(responseType(call)).toBe('ephemeral');
    const text = replyText(call);
    expect(text).toContain(mine.key);
    expect(text).not.toContain('cm/other');
  });

  it('list all and list overdue answer, and an unknown scope is explained', async () => {
    const all = await (await fix('list all')).reply();
    expect(responseType(all)).toBe('ephemeral');
    expect(replyText(all)).toMatch(/SG-\d+/);
    const overdue = await (await fix('list overdue')).reply();
    expect(responseType(overdue)).toBe('ephemeral');
    const bad = await (await fix('list everything')).reply();
    expect(replyText(bad)).toMatch(/mine/);
    expect(replyText(bad)).toMatch(/overdue/);
  });

  it('show prints one change and explains an unknown or malformed ID', async () => {
    const c = await logOne('set resources sts/db-0 -n data memory 4Gi');
    const shown = replyText(await (await fix(`show ${c.key}`)).reply());
    expect(shown).toContain(c.key);
    expect(shown).toContain('db-0');
    expect(replyText(await (await fix('show SG-999999')).reply())).toContain('SG-999999');
    const malformed = replyText(await (await fix('show banana')).reply());
    expect(malformed).toMatch(/\/fix show SG-\d+/);
  });

  it('codified needs a real URL; with no live drift linked, the person\'s word closes the change, unverified', async () => {
    const c = await logOne();
    const bad = replyText(await (await fix(`codified ${c.key} github.com/acme/infra`)).reply());
    expect(bad).toMatch(/https:\/\//);
    expect(app.server.ledger.get(c.id)?.status).toBe('open');
    const ok = await (await fix(`codified ${c.key} https://github.com/acme/infra/pull/881`)).reply();
    expect(responseType(ok)).toBe('ephemeral');
    expect(replyText(ok)).toContain('unverified');
    expect(app.server.ledger.get(c.id)).toMatchObject({ status: 'codified', verified: false, prUrl: 'https://github.com/acme/infra/pull/881' });
  });

  it('reverted closes the change; a second close is refused with the reason', async () => {
    const c = await logOne();
    await (await fix(`reverted ${c.key}`)).reply();
    expect(app.server.ledger.get(c.id)?.status).toBe('reverted');
    const again = replyText(await (await fix(`dismiss ${c.key} no longer needed`)).reply());
    expect(again).toContain('already reverted');
  });

  it('dismiss needs a reason', async () => {
    const c = await logOne();
    expect(replyText(await (await fix(`dismiss ${c.key}`)).reply())).toMatch(/say why/i);
    await (await fix(`dismiss ${c.key} autoscaler owns replicas now`)).reply();
    expect(app.server.ledger.get(c.id)).toMatchObject({ status: 'dismissed', reason: 'autoscaler owns replicas now' });
  });

  it('snooze takes a duration and explains a bad one', async () => {
    const c = await logOne();
    expect(replyText(await (await fix(`snooze ${c.key} forever`)).reply())).toMatch(/3d|1w/);
    await (await fix(`snooze ${c.key} 3d`)).reply();
    const snoozed = app.server.ledger.get(c.id)?.snoozedUntil;
    expect(snoozed).toBeTruthy();
    const days = (Date.parse(snoozed as string) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(2.9);
    expect(days).toBeLessThan(3.1);
  });

  it('assign hands the change over and tells the new owner', async () => {
    const c = await logOne();
    await (await fix(`assign ${c.key} <@U0BOB|bob>`)).reply();
    expect(app.server.ledger.get(c.id)?.owner).toBe('U0BOB');
    const dm = await app.slack.waitForCall('chat.postMessage', (call) => call.fields.channel === 'U0BOB');
    expect(dm.fields.text).toContain(c.key);
    expect(replyText(await (await fix(`assign ${c.key} bob`)).reply())).toMatch(/not a Slack mention[\s\S]*Try: \/fix assign SG-\d+ @/);
  });

  it('never lets text typed into a change become a live link or broadcast in what the bot posts', async () => {
    // Slack escapes typed markup in command text; the ledger stores it plain, every post escapes it again.
    const c = await logOne('bumped deploy/x &lt;https://evil.example|PR 881&gt; &lt;!channel&gt;');
    await (await fix(`assign ${c.key} <@U0CAROL>`)).reply();
    const dm = await app.slack.waitForCall('chat.postMessage', (call) => call.fields.channel === 'U0CAROL');
    expect(dm.fields.text).not.toContain('<https://evil.example');
    expect(dm.fields.text).not.toContain('<!channel>');
    const dismissed = replyText(await (await fix(`dismiss ${c.key} see &lt;https://evil.example|the runbook&gt;`)).reply());
    expect(dismissed).not.toContain('<https://evil.example');
  });

  it('only the owner, the actor or an admin may close, dismiss or reassign', async () => {
    const c = await logOne('scaled deploy/api -n shop to 5', 'U0ALICE');
    for (const text of [`reverted ${c.key}`, `dismiss ${c.key} not mine`, `assign ${c.key} <@U0MALLORY>`, `codified ${c.key} https://github.com/a/b/pull/1`]) {
      const refusal = replyText(await (await fix(text, { user: 'U0MALLORY' })).reply());
      expect(refusal).toMatch(/Only the owner/);
    }
    expect(app.server.ledger.get(c.id)).toMatchObject({ status: 'open', owner: 'U0ALICE' });
    await (await fix(`dismiss ${c.key} duplicate of another change`, { user: 'U0ADMIN' })).reply();
    expect(app.server.ledger.get(c.id)?.status).toBe('dismissed');
  });

  it('help lists every subcommand with an example', async () => {
    const text = replyText(await (await fix('help')).reply());
    for (const word of ['list', 'show', 'codified', 'reverted', 'dismiss', 'snooze', 'assign']) expect(text).toContain(word);
  });
});

describe('request authenticity', () => {
  it('rejects a forged signature and writes nothing', async () => {
    const before = app.server.ledger.count();
    const { res } = await fix('scaled deploy/evil to 0', { send: { forgeSignature: true } });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 50));
    expect(app.server.ledger.count()).toBe(before);
    expect(app.slack.calls).toHaveLength(0);
  });

  it('rejects a stale timestamp (replay) and writes nothing', async () => {
    const before = app.server.ledger.count();
    const { res } = await fix('scaled deploy/evil to 0', { send: { staleTimestamp: true } });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 50));
    expect(app.server.ledger.count()).toBe(before);
  });
});

describe('operations', () => {
  it('serves health, readiness and metrics', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    // The clusters this app is configured with have no API server: ready to take Slack's requests, not synced.
    expect((await fetch(`${app.url}/readyz?exclude=clusters`)).status).toBe(200);
    const full = await fetch(`${app.url}/readyz`);
    expect([full.status, await full.json()]).toEqual([503, expect.objectContaining({ database: 'ok', slack: 'connected', failing: ['clusters'] })]);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toContain('stopgap_changes_created_total');
    expect(metrics).toContain('stopgap_slack_ack_seconds');
    expect(metrics).toMatch(/stopgap_changes\{status="open"\} \d+/);
  });

  it('never writes the bot token or signing secret to its logs', () => {
    const logs = app.logs();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(TEST_BOT_TOKEN);
    expect(logs).not.toContain(TEST_SIGNING_SECRET);
  });

  it('keeps every change and its event chain across a restart', async () => {
    const { reply } = await fix('scaled deploy/survivor -n shop to 4');
    await reply();
    const count = app.server.ledger.count();
    const key = `SG-${count}`;
    await app.restart();
    expect(app.server.ledger.count()).toBe(count);
    expect(app.server.ledger.get(count)?.description).toContain('deploy/survivor');
    expect(app.server.ledger.verify().ok).toBe(true);
    const shown = replyText(await (await fix(`show ${key}`)).reply());
    expect(shown).toContain('survivor');
  });
});
