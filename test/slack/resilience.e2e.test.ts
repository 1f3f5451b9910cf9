/**
 * The bot under conditions it does not control: another process holding the database's write lock,
 * Slack refusing the token or failing at start-up, metrics on their own port.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/main.js';
import { isStopgapError } from '../../src/errors.js';
import { rawHttp, serveEnv, startTestApp, TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import { startFakeSlack } from '../../src/demo/fake-slack.js';
import { ownBlockActions, ownSlashCommandFields, sendInteraction, sendSlashCommand } from '../support/slack-signing.js';

async function timedFetch(url: string): Promise<{ status: number; ms: number; json: unknown }> {
  const started = performance.now();
  const res = await fetch(url);
  const json = (await res.json()) as unknown;
  return { status: res.status, ms: performance.now() - started, json };
}

describe('another process holds the database write lock', () => {
  let app: TestApp;
  let other: Database.Database;
  beforeAll(async () => {
    app = await startTestApp();
    other = new Database(app.dbPath);
  });
  afterAll(async () => {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
    await app?.stop();
  });

  it('tells the person their change was not saved, within Slack’s deadline, and keeps health checks fast', async () => {
    const before = app.server.ledger.count();
    other.exec('BEGIN IMMEDIATE');
    try {
      const started = performance.now();
      const pending = sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: 'scaled deploy/locked -n shop to 2' }));
      // While the command waits for the lock, the process still answers at once.
      const health = await timedFetch(`${app.url}/healthz`);
      expect(health.status).toBe(200);
      expect(health.ms).toBeLessThan(500);
      const ready = await timedFetch(`${app.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.json).toMatchObject({ database: 'locked' });
      expect(ready.ms).toBeLessThan(500);
      const res = await pending;
      const elapsed = performance.now() - started;
      expect(res.status).toBe(200);
      expect(elapsed).toBeLessThan(3_000);
      expect(JSON.stringify(res.json)).toMatch(/ledger is busy/);
      expect(JSON.stringify(res.json)).toMatch(/not saved/);
      expect((res.json as { response_type?: string }).response_type).toBe('ephemeral');
    } finally {
      other.exec('ROLLBACK');
    }
    expect(app.server.ledger.count()).toBe(before);
    expect((await timedFetch(`${app.url}/readyz`)).status).toBe(200);
  });

  it('acknowledges Mark reverted only once the status move is committed', async () => {
    const key = /SG-\d+/.exec((await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: 'scaled deploy/rev -n shop to 2' }))).body)?.[0] ?? '';
    other.exec('BEGIN IMMEDIATE');
    const release = setTimeout(() => other.exec('COMMIT'), 300);
    try {
      const res = await sendInteraction(app.url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: 'change_reverted', value: key, responseUrl: app.slack.responseUrl('rev') }));
      expect(res.status).toBe(200);
      expect(app.server.ledger.get(Number(key.slice(3)))?.status).toBe('reverted');
    } finally {
      clearTimeout(release);
      if (other.inTransaction) other.exec('COMMIT');
    }
  });

  it('commits writes in the order they were asked for while the lock is held', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const key = /SG-\d+/.exec((await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: `scaled deploy/o${trial} -n shop to 1` }))).body)?.[0] ?? '';
      other.exec('BEGIN IMMEDIATE');
      const assigns = await commandCount(app.url, 'assign');
      const first = sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: `assign ${key} <@U0BOB>` }));
      // Each is waiting for the lock (counted, not yet answered) before the next is sent.
      await expect.poll(() => commandCount(app.url, 'assign')).toBe(assigns + 1);
      const second = sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: `assign ${key} <@U0CAROL>` }));
      await expect.poll(() => commandCount(app.url, 'assign')).toBe(assigns + 2);
      other.exec('COMMIT');
      const [a, b] = await Promise.all([first, second]);
      expect(a.body).toMatch(/now belongs to <@U0BOB>/);
      expect(b.body).toMatch(/now belongs to <@U0CAROL>/);
      expect(app.server.ledger.get(Number(key.slice(3)))?.owner).toBe('U0CAROL');
    }
  });

  it('saves the change once a short lock is released, and times the ack from arrival', async () => {
    const before = app.server.ledger.count();
    const metricsBefore = await ackSum(app.url);
    other.exec('BEGIN IMMEDIATE');
    const release = setTimeout(() => other.exec('COMMIT'), 400);
    const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: 'scaled deploy/waited -n shop to 2' }));
    clearTimeout(release);
    if (other.inTransaction) other.exec('COMMIT');
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.json)).toContain(`SG-${before + 1}`);
    expect(app.server.ledger.count()).toBe(before + 1);
    // The histogram covers the wait for the lock, not just the call to ack().
    expect((await ackSum(app.url)) - metricsBefore).toBeGreaterThanOrEqual(0.35);
  });
});

describe('a listener slower than the acknowledgement deadline', () => {
  let app: TestApp;
  let other: Database.Database;
  beforeAll(async () => {
    app = await startTestApp({ timings: { ackDeadlineMs: 200 } });
    other = new Database(app.dbPath);
  });
  afterAll(async () => {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
    await app?.stop();
  });

  it('is acknowledged in time with an honest holding answer, then the real answer follows', async () => {
    const before = app.server.ledger.count();
    other.exec('BEGIN IMMEDIATE');
    const release = setTimeout(() => other.exec('COMMIT'), 700);
    try {
      const res = await sendSlashCommand(
        app.url,
        TEST_SIGNING_SECRET,
        ownSlashCommandFields({ text: 'scaled deploy/slow -n shop to 2', response_url: app.slack.responseUrl('late') }),
      );
      expect(res.status).toBe(200);
      // Not "logged": the write has not committed yet.
      expect(JSON.stringify(res.json)).toMatch(/taking longer than usual/);
      expect(JSON.stringify(res.json)).not.toMatch(/SG-\d+/);
      const late = await app.slack.waitForCall('response_url', (c) => c.path.endsWith('/late'));
      expect(JSON.stringify(late.json)).toContain(`SG-${before + 1}`);
      expect(app.server.ledger.count()).toBe(before + 1);
    } finally {
      clearTimeout(release);
      if (other.inTransaction) other.exec('COMMIT');
    }
  });
});

async function commandCount(url: string, subcommand: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`stopgap_slash_commands_total\\{subcommand="${subcommand}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
}

async function ackSum(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/stopgap_slack_ack_seconds_sum\{kind="command"\} ([\d.e+-]+)/.exec(text)?.[1] ?? 0);
}

describe('start-up against Slack', () => {
  it('refuses to start when Slack rejects the bot token, naming the variable', async () => {
    const slack = await startFakeSlack();
    const dir = mkdtempSync(join(tmpdir(), 'stopgap-auth-'));
    try {
      slack.failAlways('auth.test', { error: 'invalid_auth' });
      const err = await startServer({
        env: serveEnv({ slackApiUrl: slack.apiUrl, dbPath: join(dir, 'db.sqlite') }),
      }).catch((e: unknown) => e);
      expect(isStopgapError(err) && err.code).toBe('slack_auth_failed');
      expect((err as Error).message).toMatch(/SLACK_BOT_TOKEN.*invalid_auth/);
      expect(slack.callsTo('auth.test')).toHaveLength(1);
    } finally {
      await slack.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('retries while Slack fails, then serves without calling Slack per request', async () => {
    const slack = await startFakeSlack();
    const dir = mkdtempSync(join(tmpdir(), 'stopgap-auth-'));
    try {
      slack.failNext('auth.test', { status: 503 });
      slack.failNext('auth.test', { status: 503 });
      const server = await startServer({
        env: serveEnv({ slackApiUrl: slack.apiUrl, dbPath: join(dir, 'db.sqlite') }),
        identity: { attempts: 5, firstDelayMs: 10 },
      });
      try {
        expect(slack.callsTo('auth.test')).toHaveLength(3);
        slack.failAlways('auth.test', { error: 'invalid_auth' });
        const res = await sendSlashCommand(`http://127.0.0.1:${server.port}`, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: 'scaled deploy/x -n y to 1' }));
        expect(res.status).toBe(200);
        expect(server.ledger.count()).toBe(1);
        expect(slack.callsTo('auth.test')).toHaveLength(3);
      } finally {
        await server.stop();
      }
    } finally {
      await slack.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up on an unreachable Slack after its retries, leaving no port open', async () => {
    const slack = await startFakeSlack();
    const dir = mkdtempSync(join(tmpdir(), 'stopgap-auth-'));
    try {
      slack.failAlways('auth.test', { status: 500 });
      const err = await startServer({
        env: serveEnv({ slackApiUrl: slack.apiUrl, dbPath: join(dir, 'db.sqlite') }),
        identity: { attempts: 3, firstDelayMs: 5 },
      }).catch((e: unknown) => e);
      expect(isStopgapError(err) && err.code).toBe('slack_unreachable');
      expect(slack.callsTo('auth.test')).toHaveLength(3);
    } finally {
      await slack.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('METRICS_PORT', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { METRICS_PORT: '0' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('serves /metrics on its own port and not beside Slack’s endpoint', async () => {
    const port = app.server.metricsPort;
    expect(port).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('stopgap_slack_ack_seconds');
    expect((await fetch(`${app.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it('answers a request-target that is not a URL with 400 on the metrics port, and keeps serving', async () => {
    const port = app.server.metricsPort ?? 0;
    expect(await rawHttp(port, 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
  });
});
