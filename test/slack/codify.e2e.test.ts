import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedCall, SharedFile } from '../../src/demo/fake-slack.js';
import { startFakeKube, writeKubeconfig, type FakeKube } from '../../src/demo/fake-kube.js';
import { desiredConfigMap, desiredDeployment, desiredSecret, liveConfigMap, liveDeployment, liveSecret } from '../../src/demo/kube-objects.js';
import { listActiveFindings } from '../../src/store/findings-store.js';
import { startTestApp, TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import { startDriftApp, type DriftApp } from '../support/drift-app.js';
import { ownBlockActions, ownSlashCommandFields, sendInteraction, sendSlashCommand } from '../support/slack-signing.js';
import { waitFor } from '../k8s/helpers.js';

const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';
const SECRET_VALUE = 'hunter2-rotated-in-the-incident';

const text = (c: RecordedCall) => `${c.fields.text ?? ''}\n${JSON.stringify(c.blocks ?? (c.json as { blocks?: unknown } | undefined)?.blocks ?? '')}`;
const ackText = (res: { json?: unknown }) => {
  const body = (res.json ?? {}) as { text?: string; blocks?: unknown };
  return `${body.text ?? ''}\n${JSON.stringify(body.blocks ?? '')}`;
};

let seq = 0;
/** `/fix <text>` as `user`, with a response_url of its own; the acknowledgement and that URL's id. */
async function command(app: TestApp, line: string, user = ALICE, fields: Record<string, string> = {}) {
  const rid = `codify-${++seq}`;
  const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: line, user_id: user, response_url: app.slack.responseUrl(rid), ...fields }));
  expect(res.status).toBe(200);
  return { res, ack: ackText(res), rid };
}

/** The private answer that came later by the request's response_url. */
function answerAt(app: TestApp, rid: string, contains: string): Promise<RecordedCall> {
  return app.slack.waitForCall('response_url', (c) => c.path.endsWith(`/${rid}`) && text(c).includes(contains), 10_000);
}

const patchFor = (app: TestApp, key: string, channel?: string) => app.slack.waitForFile((f) => f.filename === `codify-${key}.patch` && (channel === undefined || f.channel === channel), 10_000);

describe('codify from Slack, on a cluster whose desired state is a manifests directory', () => {
  let drift: DriftApp;
  let app: TestApp;
  let clock = new Date('2026-11-30T10:00:00Z'); // a Monday, in working hours (UTC until people's zones are known)

  const deployments = ['payments-api', 'worker', 'cart', 'search', 'checkout', 'web'];
  beforeAll(async () => {
    drift = await startDriftApp({
      desired: [...deployments.map((name) => desiredDeployment({ name, replicas: 3 })), desiredConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info', DB_PASSWORD: 'git-pass' } }), desiredSecret({ name: 'db-creds', data: { password: 'old-password' } })],
      live: [...deployments.map((name) => liveDeployment({ name, replicas: 3 })), liveConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info', DB_PASSWORD: 'git-pass' } }), liveSecret({ name: 'db-creds', data: { password: 'old-password' } })],
      kinds: ['Deployment', 'ConfigMap', 'Secret'],
      top: 'nagging: { firstAfter: 1d }',
      drift: "resyncSeconds: 1\nsensitivePointers: ['/data/DB_PASSWORD']",
      now: () => clock,
    });
    app = drift.app;
  });
  afterAll(async () => {
    await drift?.close();
  });

  const linkedTo = (findingId: number) => (app.server.db.prepare('SELECT change_id FROM drift_links WHERE finding_id = ?').get(findingId) as { change_id: number } | undefined)?.change_id;

  /** Someone scales `name` to `replicas` by hand and logs it; resolves once the scale is linked to the change. */
  async function scaledAndLogged(name: string, replicas: number): Promise<{ id: number; key: string }> {
    drift.fake.put(liveDeployment({ name, replicas: 3, liveReplicas: replicas, scaledBy: { manager: 'kubectl', time: clock.toISOString() } }));
    const finding = await waitFor(() => listActiveFindings(app.server.db, { cluster: 'prod-eu', name })[0], `${name} scaled`);
    const { ack } = await command(app, `scaled deploy/${name} -n shop to ${replicas} for INC-7`);
    const id = Number(/SG-(\d+)/.exec(ack)?.[1]);
    await waitFor(() => linkedTo(finding.id) === id, `${name}'s drift linked to SG-${id}`);
    return { id, key: `SG-${id}` };
  }

  it('/fix codify sends the patch as a file in the DM with how to apply it; applied and merged, the change closes verified', async () => {
    const { id, key } = await scaledAndLogged('payments-api', 12);
    const { ack } = await command(app, `codify ${key}`);
    expect(ack).toContain(`Making a patch for the manifests from ${key}'s live drift. It comes to you as a file in your DM with Stopgap.`);

    const file = await patchFor(app, key);
    // A file goes to a conversation, not a person: the DM conversations.open gave.
    expect(file.channel).toBe(`D${ALICE}`);
    expect(file).toMatchObject({ title: `${key}: patch for the prod-eu manifests`, snippetType: 'diff' });
    expect(file.content).toContain('--- a/manifests.yaml\n+++ b/manifests.yaml\n');
    expect(file.content).toMatch(/^-\s+replicas: 3$/m);
    expect(file.content).toMatch(/^\+\s+replicas: 12$/m);
    const comment = file.initialComment ?? '';
    expect(comment).toContain(`*Patch for ${key}* on \`prod-eu\`: sets 1 field in \`manifests.yaml\` to what the cluster runs now.`);
    // The manifests directory is no git checkout here: the person is told which directory the paths start in.
    expect(comment).toContain(`git apply --directory=&lt;manifests directory&gt; codify-${key}.patch`);
    expect(comment).toContain(`\`/fix codified ${key} &lt;PR URL&gt;\``);
    expect(comment).not.toContain('Not in the patch');

    // The patch is what git needs: applied to the manifests (the PR merged), the scanner confirms it.
    const manifests = (app.server.config.file.clusters[0]?.desired as { path: string }).path;
    execFileSync('git', ['apply', '-'], { cwd: manifests, input: file.content });
    expect(await drift.fix(`codified ${key} https://github.com/acme/infra/pull/881`)).toContain('in review');
    const closed = await waitFor(() => (app.server.ledger.get(id)?.status === 'codified' ? app.server.ledger.get(id) : undefined), `${key} codified`, 10_000);
    expect(closed).toMatchObject({ verified: true, prUrl: 'https://github.com/acme/infra/pull/881' });
  });

  it('the Codify button on the announcement sends the patch to whoever clicked, once however often Slack delivers the click', async () => {
    const { key } = await scaledAndLogged('worker', 7);
    const announcement = await app.slack.waitForCall('chat.postMessage', (c) => c.fields.channel === 'C0INC4821' && text(c).includes(`${key} logged`));
    const blocks = announcement.blocks as { type: string; block_id?: string; elements?: { action_id?: string }[] }[];
    const actions = blocks.find((b) => b.type === 'actions');
    expect(actions?.elements?.[0]?.action_id).toBe('change_codify');
    const click = (user: string, triggerId: string, rid: string) =>
      sendInteraction(
        app.url,
        TEST_SIGNING_SECRET,
        ownBlockActions({ actionId: 'change_codify', value: key, blockId: actions?.block_id, user: { id: user }, channel: { id: 'C0INC4821' }, messageTs: '1796000000.000200', messageBlocks: blocks, responseUrl: app.slack.responseUrl(rid), triggerId }),
      );

    expect((await click(ALICE, 'trig-codify-worker', 'worker-click')).status).toBe(200);
    const file = await patchFor(app, key, `D${ALICE}`);
    expect(file.content).toMatch(/^\+\s+replicas: 7$/m);
    // Clicked in a channel: told privately where the patch went.
    await answerAt(app, 'worker-click', `The patch for ${key} is in your DM with Stopgap.`);

    // Slack delivers the same click again: it is acknowledged, and no second patch is made.
    const uploadsBefore = app.slack.callsTo('files.getUploadURLExternal').length;
    expect((await click(ALICE, 'trig-codify-worker', 'worker-click-again')).status).toBe(200);
    expect(app.slack.callsTo('files.getUploadURLExternal').length).toBe(uploadsBefore);
    // Anyone may ask for the patch; a new click is a new request.
    await click(BOB, 'trig-codify-worker-bob', 'worker-click-bob');
    await patchFor(app, key, `D${BOB}`);
    expect(app.slack.files.filter((f: SharedFile) => f.filename === `codify-${key}.patch`)).toHaveLength(2);
    expect(app.slack.callsTo('response_url').some((c) => c.path.endsWith('/worker-click-again'))).toBe(false);
  });

  it('the Codify button on the reminder DM sends the patch into that DM', async () => {
    const { key } = await scaledAndLogged('cart', 9);
    // A day later, a working day: the owner's first reminder, carrying the change's actions.
    clock = new Date(clock.getTime() + 24 * 3_600_000);
    await app.server.reminders.tick();
    await app.server.reminders.send();
    const dm = await app.slack.waitForCall('chat.postMessage', (c) => c.ok && c.fields.channel === ALICE && text(c).includes('reminder_head') && text(c).includes(key), 10_000);
    const blocks = dm.blocks as { type: string; block_id?: string; elements?: { action_id?: string }[] }[];
    const actions = blocks.find((b) => b.type === 'actions');
    expect(actions?.elements?.map((e) => e.action_id)).toContain('change_codify');
    const res = await sendInteraction(
      app.url,
      TEST_SIGNING_SECRET,
      ownBlockActions({ actionId: 'change_codify', value: key, blockId: actions?.block_id, user: { id: ALICE }, channel: { id: `D${ALICE}` }, messageTs: '1796000000.000300', messageBlocks: blocks, responseUrl: app.slack.responseUrl('reminder-click') }),
    );
    expect(res.status).toBe(200);
    const file = await patchFor(app, key, `D${ALICE}`);
    expect(file.content).toMatch(/^\+\s+replicas: 9$/m);
    expect(file.initialComment).toContain(`\`/fix codified ${key} &lt;PR URL&gt;\``);
  });

  /** `live` edited by hand and logged; `/fix codify` must be refused for the secret values its patch would show, and send no file. */
  async function codifyRefused(live: ReturnType<typeof liveSecret>, description: string): Promise<{ key: string; answer: RecordedCall }> {
    drift.fake.put(live);
    const name = String((live['metadata'] as { name: string }).name);
    const finding = await waitFor(() => listActiveFindings(app.server.db, { cluster: 'prod-eu', name })[0], `${name} edited`);
    const { ack } = await command(app, description);
    const key = /SG-\d+/.exec(ack)?.[0] ?? '';
    await waitFor(() => linkedTo(finding.id) === Number(key.slice(3)), `${name} drift linked`);
    const filesBefore = app.slack.files.length;
    const { rid } = await command(app, `codify ${key}`);
    const answer = await answerAt(app, rid, `The patch for ${key} could not be sent`);
    expect(text(answer)).toContain('it would show secret values that `manifests.yaml` holds in clear');
    expect(app.slack.files.length).toBe(filesBefore);
    return { key, answer };
  }

  it('puts no Secret value into Slack, not even the one in git: a patch that would show it is not sent, and the person is told why', async () => {
    // The patch would replace git's `password: old-password` line: the diff must show it to apply.
    const { key, answer } = await codifyRefused(
      liveSecret({ name: 'db-creds', data: { password: 'old-password' }, liveData: { password: SECRET_VALUE }, editedBy: { manager: 'kubectl-edit', time: clock.toISOString() } }),
      'rotated the password in secret/db-creds -n shop for INC-8',
    );
    expect(text(answer)).toContain(`stopgap codify ${key}`);
    for (const value of [SECRET_VALUE, 'old-password']) {
      expect(JSON.stringify(app.slack.calls)).not.toContain(value);
      expect(JSON.stringify(app.slack.calls)).not.toContain(Buffer.from(value).toString('base64'));
      expect(app.logs()).not.toContain(value);
    }
  });

  it('sends no patch whose context shows a value at a configured sensitive pointer (drift.sensitivePointers)', async () => {
    // The LOG_LEVEL line's context is the DB_PASSWORD line, which the configuration calls sensitive.
    await codifyRefused(
      liveConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info', DB_PASSWORD: 'git-pass' }, liveData: { LOG_LEVEL: 'debug', DB_PASSWORD: 'git-pass' }, editedBy: { manager: 'kubectl-edit', time: clock.toISOString() } }),
      'LOG_LEVEL=debug on configmap/app-config -n shop for INC-10',
    );
    expect(JSON.stringify(app.slack.calls)).not.toContain('git-pass');
  });

  it('answers a change with no drift: nothing to codify, and why', async () => {
    const { ack } = await command(app, 'restarted the payments pods for INC-9');
    const key = /SG-\d+/.exec(ack)?.[0] ?? '';
    const filesBefore = app.slack.files.length;
    const { rid } = await command(app, `codify ${key}`);
    const answer = await answerAt(app, rid, `Nothing to codify for ${key}`);
    expect(text(answer)).toContain(`Stopgap has seen no drift for ${key}`);
    expect((answer.json as { response_type?: string }).response_type).toBe('ephemeral');
    expect(app.slack.files.length).toBe(filesBefore);
    expect(app.slack.callsTo('files.getUploadURLExternal').filter((c) => (c.fields.filename ?? '').includes(key))).toHaveLength(0);
  });

  it('answers an unknown change clearly, from the command and from a stale button', async () => {
    const { ack } = await command(app, 'codify SG-999');
    expect(ack).toContain('There is no change SG-999.');
    expect(ack).toContain('/fix list all');
    await sendInteraction(app.url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: 'change_codify', value: 'SG-999', user: { id: ALICE }, responseUrl: app.slack.responseUrl('stale-click') }));
    await answerAt(app, 'stale-click', 'There is no change SG-999 any more');
  });

  it('answers a repeated /fix codify request once', async () => {
    const { key } = await scaledAndLogged('search', 4);
    const fields = { trigger_id: 'trig-codify-search-once' };
    const first = await command(app, `codify ${key}`, ALICE, fields);
    expect(first.ack).toContain('Making a patch');
    const again = await command(app, `codify ${key}`, ALICE, fields);
    expect(again.ack).toContain(`The patch for ${key} is already on its way from this request.`);
    await patchFor(app, key);
    // A later, different request gets its own patch: only the replay was dropped.
    await command(app, `codify ${key}`);
    await waitFor(() => app.slack.files.filter((f) => f.filename === `codify-${key}.patch`).length === 2 || undefined, 'a second patch');
    expect(app.slack.files.filter((f) => f.filename === `codify-${key}.patch`)).toHaveLength(2);
  });

  it('tells the person when Slack refuses the upload (429, an error, a failed upload), counts it, and changes nothing', async () => {
    const { id, key } = await scaledAndLogged('checkout', 5);
    const events = app.server.ledger.events(id).length;
    const cases: { fail: () => void; says: string }[] = [
      { fail: () => app.slack.failNext('files.getUploadURLExternal', { retryAfter: 30 }), says: 'Slack is limiting how fast Stopgap may upload files just now. Try again in 30 seconds.' },
      { fail: () => app.slack.failNext('files.completeUploadExternal', { error: 'not_in_channel' }), says: 'Slack answered `not_in_channel`. Try again in a moment.' },
      {
        // The bytes' POST fails, and so does the one retry.
        fail: () => {
          app.slack.failNext('file_upload', { status: 500 });
          app.slack.failNext('file_upload', { status: 500 });
        },
        says: 'Slack answered HTTP 500. Try again in a moment.',
      },
    ];
    for (const c of cases) {
      c.fail();
      const { rid } = await command(app, `codify ${key}`);
      const answer = await answerAt(app, rid, `The patch for ${key} could not be sent`);
      expect(text(answer)).toContain(c.says);
      expect(text(answer)).toContain('Nothing was changed.');
    }
    expect(app.slack.files.filter((f) => f.filename === `codify-${key}.patch`)).toHaveLength(0);
    expect(app.server.ledger.get(id)).toMatchObject({ status: 'open', verified: false });
    expect(app.server.ledger.events(id)).toHaveLength(events);
    await expect
      .poll(async () => Number((await (await fetch(`${app.url}/metrics`)).text()).match(/stopgap_slack_delivery_failures_total\{kind="codify_upload"\} (\d+)/)?.[1] ?? 0))
      .toBeGreaterThanOrEqual(3);
    // Slack takes it again: the patch goes out.
    await command(app, `codify ${key}`);
    await patchFor(app, key);
  });
});

describe('codify from Slack, on a cluster whose desired state is the last-applied annotation', () => {
  let app: TestApp;
  let fake: FakeKube;
  let kubeconfig: string;

  beforeAll(async () => {
    fake = await startFakeKube();
    fake.put(liveDeployment({ name: 'api', replicas: 3 }));
    kubeconfig = writeKubeconfig([{ name: 'prod', server: fake.url, token: fake.token }]);
    app = await startTestApp({
      env: { KUBECONFIG: kubeconfig },
      config: `
clusters:
  - name: prod-us
    context: prod
    desired: { type: last-applied }
    kinds: [Deployment]
drift:
  backoffInitialSeconds: 0.05
  backoffMaxSeconds: 0.2
  requestTimeoutSeconds: 2
`,
    });
    await waitFor(() => /drift kind listed/.test(app.logs()) || undefined, 'first list');
  });
  afterAll(async () => {
    await app?.stop();
    await fake?.close();
    rmSync(dirname(kubeconfig), { recursive: true, force: true });
  });

  it('explains that there are no manifests to patch, field by field, and sends no file', async () => {
    fake.put(liveDeployment({ name: 'api', replicas: 3, liveReplicas: 8, scaledBy: { manager: 'kubectl', time: new Date().toISOString() } }));
    const finding = await waitFor(() => listActiveFindings(app.server.db, { cluster: 'prod-us', name: 'api' })[0], 'scale finding');
    const { ack } = await command(app, 'scaled deploy/api -n shop to 8 for INC-3');
    const id = Number(/SG-(\d+)/.exec(ack)?.[1]);
    await waitFor(() => (app.server.db.prepare('SELECT change_id FROM drift_links WHERE finding_id = ?').get(finding.id) as { change_id: number } | undefined)?.change_id === id || undefined, 'linked');
    const { rid } = await command(app, `codify SG-${id}`);
    const answer = await answerAt(app, rid, `No patch for SG-${id}`);
    expect(text(answer)).toContain("desired state comes from the live object's last-applied annotation");
    expect(text(answer)).toContain('`/spec/replicas`');
    expect(text(answer)).toContain(`/fix codified SG-${id} &lt;PR URL&gt;`);
    expect(app.slack.files).toHaveLength(0);
  });
});
