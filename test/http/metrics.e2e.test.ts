/**
 * /metrics counts what really happened: each figure is driven through the running app (a 429 from the
 * fake Slack, a watch the fake cluster breaks, an audit batch, a change getting old on the app's clock)
 * and read back from a strictly parsed scrape.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import { startDriftApp, type DriftApp } from '../support/drift-app.js';
import { sampleValue, scrape } from '../support/prometheus-text.js';
import { ownSlashCommandFields, sendSlashCommand } from '../support/slack-signing.js';
import { kubectlEvent } from '../../src/demo/kubectl-audit.js';
import { desiredConfigMap, desiredDeployment, liveConfigMap, liveDeployment } from '../../src/demo/kube-objects.js';
import { startFakeKube, writeKubeconfig, type FakeKube } from '../../src/demo/fake-kube.js';

/** Scrapes until the series has a value that passes (a condition, never a fixed sleep). */
async function metricWhen(url: string, series: string, labels: Record<string, string>, ok: (v: number | undefined) => boolean, timeoutMs = 8000): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = sampleValue(await scrape(url), series, labels);
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${series}${JSON.stringify(labels)} (last: ${value})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Slack, reminders, the ledger and readiness in /metrics', () => {
  let app: TestApp;
  let clock = new Date('2026-11-30T10:00:00Z'); // a Monday
  const at = (iso: string) => (clock = new Date(iso));
  const metric = async (series: string, labels: Record<string, string> = {}) => sampleValue(await scrape(app.url), series, labels);

  beforeAll(async () => {
    app = await startTestApp({ now: () => clock, config: 'defaultChannel: C0DEFAULT1\nnagging:\n  firstAfter: 1d\n  every: 1d\n' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const logChange = async (text: string) => {
    const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text, user_id: 'U0ALICE01', response_url: app.slack.responseUrl('metrics') }));
    expect(res.status).toBe(200);
    const key = /SG-(\d+)/.exec(JSON.stringify(res.json))?.[1];
    expect(key).toBeDefined();
    // Its announcement lands before the test makes Slack fail on purpose.
    await app.slack.waitForCall('chat.postMessage', (c) => String(c.fields.text ?? '').includes(`SG-${key} `));
    return Number(key);
  };

  it('counts open changes by age on the app clock, moving them to an older bucket as time passes', async () => {
    await logChange('scaled deploy/web -n shop to 5 for INC-1');
    expect(await metric('stopgap_open_changes_by_age', { status: 'open', age: 'under_1w' })).toBe(1);
    expect(await metric('stopgap_open_changes_by_age', { status: 'open', age: '1w_to_4w' })).toBe(0);
    expect(await metric('stopgap_changes', { status: 'open' })).toBe(1);
    at('2026-12-08T10:00:00Z'); // eight days later
    expect(await metric('stopgap_open_changes_by_age', { status: 'open', age: 'under_1w' })).toBe(0);
    expect(await metric('stopgap_open_changes_by_age', { status: 'open', age: '1w_to_4w' })).toBe(1);
    at('2026-11-30T10:00:00Z');
  });

  it('counts a 429 from Slack by method, and the reminder it held back as rate limited', async () => {
    at('2026-12-01T10:00:00Z');
    const before = (await metric('stopgap_slack_api_rate_limited_total', { method: 'chat.postMessage' })) ?? 0;
    app.slack.failNext('chat.postMessage', { retryAfter: 3 });
    expect(await app.server.reminders.tick()).toBe(1);
    expect(await app.server.reminders.send()).toBe(0);
    const refused = app.slack.callsTo('chat.postMessage').filter((c) => c.status === 429).length;
    expect(refused).toBe(1);
    expect(await metric('stopgap_slack_api_rate_limited_total', { method: 'chat.postMessage' })).toBe(before + refused);
    expect(await metric('stopgap_reminders_total', { kind: 'reminder', outcome: 'rate_limited' })).toBe(1);
    // A 429 is not counted as an error as well.
    expect(await metric('stopgap_slack_api_errors_total', { method: 'chat.postMessage' })).toBeUndefined();
  });

  it("counts Slack's errors by method and code, and HTTP failures by status", async () => {
    at('2026-12-01T10:00:05Z');
    app.slack.failNext('chat.postMessage', { status: 502 });
    expect(await app.server.reminders.send()).toBe(0);
    expect(await metric('stopgap_slack_api_errors_total', { method: 'chat.postMessage', error: 'http_502' })).toBe(1);
    expect(await metric('stopgap_reminders_total', { kind: 'reminder', outcome: 'retry' })).toBe(1);
    at('2026-12-01T10:01:00Z');
    app.slack.failNext('chat.postMessage', { error: 'user_disabled' });
    await app.server.reminders.send();
    expect(await metric('stopgap_slack_api_errors_total', { method: 'chat.postMessage', error: 'user_disabled' })).toBe(1);
    expect(await metric('stopgap_reminders_total', { kind: 'reminder', outcome: 'failed' })).toBe(1);
    // The reminder nobody could receive went to the default channel instead: sent, as an escalation.
    expect(await metric('stopgap_reminders_total', { kind: 'escalation', outcome: 'sent' })).toBe(1);
  });

  it('counts failures of calls made by the request listeners too (a modal Slack would not open)', async () => {
    app.slack.failNext('views.open', { error: 'expired_trigger_id' });
    const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: '', user_id: 'U0ALICE01', trigger_id: 'trig-expired', response_url: app.slack.responseUrl('modal') }));
    expect(res.status).toBe(200);
    await app.slack.waitForCall('views.open');
    await metricWhen(app.url, 'stopgap_slack_api_errors_total', { method: 'views.open', error: 'expired_trigger_id' }, (v) => v === 1);
  });

  it('reports not ready while another process holds the database locked, and ready again once it lets go', async () => {
    expect(await metric('stopgap_ready')).toBe(1);
    const other = new Database(app.dbPath);
    try {
      other.exec('BEGIN IMMEDIATE');
      expect((await fetch(`${app.url}/readyz`)).status).toBe(503);
      expect(await metric('stopgap_ready')).toBe(0);
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect(await metric('stopgap_ready')).toBe(1);
  });

  it("reports Slack's Web API down on /readyz while it fails, without taking the serving checks down, and up once it answers", async () => {
    const readyz = async (query = '') => {
      const res = await fetch(`${app.url}/readyz${query}`);
      return { status: res.status, body: (await res.json()) as { slackApi?: string; failing?: string[]; error?: string } };
    };
    await app.server.checkSlack();
    expect(await readyz()).toMatchObject({ status: 200, body: { slackApi: 'up', failing: [] } });
    app.slack.failNext('auth.test', { status: 503 });
    await app.server.checkSlack();
    expect(await readyz()).toMatchObject({ status: 503, body: { slackApi: 'down', failing: ['slack-api'] } });
    expect(await metric('stopgap_slack_api_up')).toBe(0);
    // What the Deployment's probe asks, and stopgap_ready: /fix still works.
    expect((await readyz('?exclude=slack-api&exclude=clusters')).status).toBe(200);
    expect(await metric('stopgap_ready')).toBe(1);
    await app.server.checkSlack();
    expect(await readyz()).toMatchObject({ status: 200, body: { slackApi: 'up' } });
    expect(await metric('stopgap_slack_api_up')).toBe(1);
    expect(await readyz('?exclude=nonsense')).toMatchObject({ status: 400, body: { error: expect.stringContaining("unknown check 'nonsense'") } });
  });
});

describe('the audit webhook in /metrics', () => {
  const TOKEN = 'audit-token-0123456789abcdef';
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      env: { STOPGAP_AUDIT_TOKEN: TOKEN },
      config: 'clusters:\n  - name: prod-eu\n    context: nowhere\n    kinds: [Deployment, ConfigMap, Node]\ndrift:\n  backoffInitialSeconds: 5\n',
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('counts the events of each batch it reads: kept, ignored and rejected', async () => {
    const items = [
      kubectlEvent('scale', { auditId: 'm-1' }),
      kubectlEvent('edit', { auditId: 'm-2' }),
      { ...kubectlEvent('scale', { auditId: 'm-3' }), verb: 'get' }, // a read: ignored
      { not: 'an audit event' }, // rejected
    ];
    const res = await fetch(`${app.url}/k8s/audit?cluster=prod-eu`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items }),
    });
    expect(await res.json()).toEqual({ events: 3, kept: 2, stored: 2, skipped: 1 });
    const families = await scrape(app.url);
    expect(sampleValue(families, 'stopgap_audit_events_total', { outcome: 'kept' })).toBe(2);
    expect(sampleValue(families, 'stopgap_audit_events_total', { outcome: 'ignored' })).toBe(1);
    expect(sampleValue(families, 'stopgap_audit_events_total', { outcome: 'rejected' })).toBe(1);
    expect(sampleValue(families, 'stopgap_audit_batches_total', { outcome: 'accepted' })).toBe(1);
  });
});

describe('drift watching in /metrics', () => {
  let drift: DriftApp;
  beforeAll(async () => {
    drift = await startDriftApp({
      desired: [desiredDeployment({ name: 'payments-api', replicas: 3 }), desiredDeployment({ name: 'web', replicas: 2 }), desiredConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info' } })],
      live: [
        liveDeployment({ name: 'payments-api', replicas: 3, liveReplicas: 12, scaledBy: { manager: 'kubectl-scale', time: new Date().toISOString() } }),
        liveDeployment({ name: 'web', replicas: 2 }),
        liveConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info' } }),
      ],
      drift: 'unclaimedAfter: 1s',
    });
  });
  afterAll(async () => {
    await drift?.close();
  });

  it('reports objects and scan time per cluster and kind, and the cluster synced now', async () => {
    const { url } = drift.app;
    const families = await scrape(url);
    expect(sampleValue(families, 'stopgap_scan_objects', { cluster: 'prod-eu', kind: 'Deployment' })).toBe(2);
    expect(sampleValue(families, 'stopgap_scan_objects', { cluster: 'prod-eu', kind: 'ConfigMap' })).toBe(1);
    expect(sampleValue(families, 'stopgap_scan_duration_seconds_count', { cluster: 'prod-eu', kind: 'Deployment', mode: 'list' })).toBe(1);
    expect(sampleValue(families, 'stopgap_cluster_synced', { cluster: 'prod-eu' })).toBe(1);
    const synced = sampleValue(families, 'stopgap_cluster_last_synced_timestamp_seconds', { cluster: 'prod-eu' }) ?? 0;
    expect(Math.abs(Date.now() / 1000 - synced)).toBeLessThan(5);
  });

  it('counts drift nobody claimed once the grace period is over, and not once a change explains it', async () => {
    const { url } = drift.app;
    await metricWhen(url, 'stopgap_drift_findings', { cluster: 'prod-eu' }, (v) => v === 1);
    await metricWhen(url, 'stopgap_unclaimed_drift_findings', { cluster: 'prod-eu' }, (v) => v === 1);
    expect(await drift.fix('scaled deploy/payments-api -n shop to 12 for INC-7')).toContain('SG-');
    await metricWhen(url, 'stopgap_unclaimed_drift_findings', { cluster: 'prod-eu' }, (v) => v === 0);
    expect(sampleValue(await scrape(url), 'stopgap_drift_findings', { cluster: 'prod-eu' })).toBe(1);
  });

  it('counts watch restarts by reason, and goes unsynced while a watch fails, synced again once it works', async () => {
    const { app, fake } = drift;
    const failedBefore = sampleValue(await scrape(app.url), 'stopgap_watch_restarts_total', { cluster: 'prod-eu', reason: 'failed' }) ?? 0;
    // The API server starts refusing Deployments (RBAC taken away), and the open watch is cut.
    fake.inject('deployments', { type: 'status', code: 403, on: 'any', times: Infinity });
    fake.dropWatches('deployments');
    await metricWhen(app.url, 'stopgap_cluster_synced', { cluster: 'prod-eu' }, (v) => v === 0);
    // /readyz says which cluster; the serving checks (the Deployment's probe) stay ready.
    const unready = await fetch(`${app.url}/readyz`);
    expect([unready.status, await unready.json()]).toEqual([503, expect.objectContaining({ clusters: { 'prod-eu': 'not synced' }, failing: ['clusters'] })]);
    expect((await fetch(`${app.url}/readyz?exclude=clusters,slack-api`)).status).toBe(200);
    const families = await scrape(app.url);
    expect(sampleValue(families, 'stopgap_watch_restarts_total', { cluster: 'prod-eu', reason: 'dropped' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(families, 'stopgap_watch_restarts_total', { cluster: 'prod-eu', reason: 'failed' })).toBeGreaterThan(failedBefore);
    // The last-synced time stands still while unsynced.
    const stuck = sampleValue(families, 'stopgap_cluster_last_synced_timestamp_seconds', { cluster: 'prod-eu' });
    const later = await metricWhen(app.url, 'stopgap_watch_restarts_total', { cluster: 'prod-eu', reason: 'failed' }, (v) => (v ?? 0) > (sampleValue(families, 'stopgap_watch_restarts_total', { cluster: 'prod-eu', reason: 'failed' }) ?? 0));
    expect(later).toBeGreaterThan(0);
    expect(sampleValue(await scrape(app.url), 'stopgap_cluster_last_synced_timestamp_seconds', { cluster: 'prod-eu' })).toBe(stuck);
    // Access restored: the next watch runs, and ends as the server ends watches; the cluster is synced again.
    fake.clearFaults();
    await metricWhen(app.url, 'stopgap_watch_restarts_total', { cluster: 'prod-eu', reason: 'failed' }, () => fake.openWatches('deployments') > 0);
    fake.closeWatches('deployments');
    await metricWhen(app.url, 'stopgap_cluster_synced', { cluster: 'prod-eu' }, (v) => v === 1);
    const ready = await fetch(`${app.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, expect.objectContaining({ clusters: { 'prod-eu': 'synced' }, failing: [] })]);
  });
});

describe('a cluster with one kind listed and another not yet', () => {
  let fake: FakeKube;
  let app: TestApp;
  beforeAll(async () => {
    fake = await startFakeKube();
    fake.put(liveDeployment({ name: 'web', replicas: 2 }));
    // ConfigMaps never answer their list: headers, then nothing.
    fake.inject('configmaps', { type: 'stall', on: 'list', times: Infinity });
    app = await startTestApp({
      env: { KUBECONFIG: writeKubeconfig([{ name: 'prod', server: fake.url, token: fake.token }]) },
      config: 'clusters:\n  - name: prod-eu\n    context: prod\n    desired: { type: last-applied }\n    kinds: [Deployment, ConfigMap]\ndrift:\n  requestTimeoutSeconds: 30\n',
    });
  });
  afterAll(async () => {
    await app?.stop();
    await fake?.close();
  });

  it('is not synced, and /readyz says so, until every kind it watches has been listed', async () => {
    await metricWhen(app.url, 'stopgap_scan_objects', { cluster: 'prod-eu', kind: 'Deployment' }, (v) => v === 1);
    expect(sampleValue(await scrape(app.url), 'stopgap_cluster_synced', { cluster: 'prod-eu' })).toBe(0);
    const res = await fetch(`${app.url}/readyz`);
    expect([res.status, await res.json()]).toEqual([503, expect.objectContaining({ clusters: { 'prod-eu': 'not synced' }, failing: ['clusters'] })]);
  });
});
