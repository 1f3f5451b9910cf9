/**
 * SIGTERM as an orchestrator sends it: the built server in its own process, a burst of signed /fix in
 * flight and a reminder half-sent (the fake Slack holds chat.postMessage unanswered). Every change
 * acknowledged is stored, the reminder being sent is finished and recorded before the database closes,
 * the one not yet started waits in the outbox, and after a restart it goes out once: no message twice.
 * Past shutdownTimeout the process exits 1 anyway, saying so.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, serveEnv, TEST_SIGNING_SECRET } from '../support/app.js';
import { requireBuiltCli, runBuiltCliAsync, spawnCli, waitReady } from '../support/built-cli.js';
import { startFakeSlack, type FakeSlack } from '../../src/demo/fake-slack.js';
import { ownSlashCommandFields, sendSlashCommand } from '../support/slack-signing.js';
import { openMigratedDb } from '../../src/store/db.js';
import { LedgerStore } from '../../src/store/ledger-store.js';
import { NagStore } from '../../src/store/nag-store.js';

const REQUESTS = 60;
/** SIGTERM once this many answers are back, so the rest are in flight or not yet sent. */
const TERM_AFTER = 20;

/** Resolves once the port refuses connections: the server takes no more requests. */
async function waitRefusing(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error('the server kept taking requests after SIGTERM');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('graceful shutdown on SIGTERM', () => {
  let slack: FakeSlack;
  let dir: string;
  beforeAll(async () => {
    requireBuiltCli();
    slack = await startFakeSlack();
    dir = mkdtempSync(join(tmpdir(), 'stopgap-shutdown-'));
  });
  afterAll(async () => {
    await slack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function setUp(name: string, configText: string): Promise<{ env: Record<string, string>; url: string }> {
    const dbPath = join(dir, `${name}.db`);
    // Two changes whose first reminders are due now, waiting in the outbox: alice's first, then bob's.
    const db = openMigratedDb(dbPath);
    const ledger = new LedgerStore(db);
    const nag = new NagStore(db);
    const now = new Date();
    for (const [owner, what] of [
      ['UALICE', 'scaled deploy/api -n shop to 6'],
      ['UBOB', 'cordoned node/ip-10-0-1-7'],
    ] as const) {
      const { change } = ledger.create({ description: what, actor: owner, source: 'command' }, { now, defaultDueDays: 7 });
      nag.enqueue({ changeId: change.id, kind: 'reminder', slot: 'reminder:1', recipient: owner }, now);
    }
    db.close();
    const configPath = join(dir, `${name}.yml`);
    writeFileSync(configPath, configText);
    const port = await freePort();
    const env = { ...serveEnv({ slackApiUrl: slack.apiUrl, dbPath, port, logLevel: 'info' }), STOPGAP_CONFIG: configPath };
    return { env, url: `http://127.0.0.1:${port}` };
  }

  it('keeps every acknowledged change, finishes the reminder being sent, and the restart sends the rest once', async () => {
    slack.reset();
    const { env, url } = await setUp('clean', 'shutdownTimeout: 20s\n');
    const held = slack.holdNext('chat.postMessage');
    const server = spawnCli(['serve'], env);
    await waitReady(url, server);
    // The outbox sender polls every few seconds: alice's reminder is now in Slack's hands, unanswered.
    const first = await Promise.race([held.arrived, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no reminder sent: ${server.stdout()}`)), 15_000))]);
    expect(first.channel).toBe('UALICE');

    const acked = new Map<string, string>();
    let answered = 0;
    const burst = Array.from({ length: REQUESTS }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 4));
      const text = `shutdown test ${i}: scaled deploy/web-${i} -n shop to 3`;
      try {
        const res = await sendSlashCommand(url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text, trigger_id: `term-${i}` }));
        answered += 1;
        if (answered === TERM_AFTER) server.child.kill('SIGTERM');
        if (res.status === 200 && !/not saved/.test(res.body)) acked.set(`term-${i}`, `shutdown test ${i}:`);
      } catch {
        // refused: the server had stopped taking requests
      }
    });
    await Promise.all(burst);
    await waitRefusing(url);
    // Still running: it waits for the reminder Slack has not answered yet.
    expect(server.child.exitCode).toBeNull();
    held.release();
    expect(await server.exited).toBe(0);
    expect(server.stdout()).toContain('stopping: finishing requests and sends in flight');
    expect(server.stdout()).toContain('stopgap stopped');

    const db = new Database(env.STOPGAP_DB as string, { readonly: true });
    const outbox = db.prepare('SELECT recipient, state FROM outbox ORDER BY id').all();
    const stored = (db.prepare('SELECT description FROM changes').pluck().all() as string[]);
    db.close();
    expect(outbox).toEqual([
      { recipient: 'UALICE', state: 'sent' },
      { recipient: 'UBOB', state: 'pending' },
    ]);
    const missing = [...acked.values()].filter((prefix) => !stored.some((d) => d.startsWith(prefix)));
    console.log(`SIGTERM test: ${REQUESTS} /fix sent, ${acked.size} acknowledged, ${missing.length} of them missing after shutdown`);
    expect(acked.size).toBeGreaterThanOrEqual(TERM_AFTER);
    expect(acked.size, 'SIGTERM landed while requests were still coming').toBeLessThan(REQUESTS);
    expect(missing).toEqual([]);

    // The restart picks up where it stopped: bob's reminder goes out, alice's is not sent again.
    const restarted = spawnCli(['serve'], env);
    await waitReady(url, restarted);
    await slack.waitForCall('chat.postMessage', (c) => c.fields.channel === 'UBOB', 15_000);
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);

    const posts = slack.callsTo('chat.postMessage');
    expect(posts.filter((c) => c.fields.channel === 'UALICE')).toHaveLength(1);
    expect(posts.filter((c) => c.fields.channel === 'UBOB')).toHaveLength(1);
    const texts = posts.map((c) => `${c.fields.channel} ${c.fields.text}`);
    expect(texts.length, 'no message was sent twice').toBe(new Set(texts).size);

    const verify = await runBuiltCliAsync(['verify'], env);
    expect(verify.stdout).toMatch(/^OK/);
    expect(verify.code).toBe(0);
  }, 90_000);

  it('exits 1 with a log line when the shutdown outlasts shutdownTimeout', async () => {
    slack.reset();
    const { env, url } = await setUp('deadline', 'shutdownTimeout: 1s\n');
    const held = slack.holdNext('chat.postMessage');
    const server = spawnCli(['serve'], env);
    try {
      await waitReady(url, server);
      await held.arrived;
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(1);
      const took = Date.now() - signalled;
      expect(took).toBeGreaterThanOrEqual(1_000);
      expect(took).toBeLessThan(5_000);
      expect(server.stdout()).toContain('shutdown did not finish within 1s; exiting anyway');
    } finally {
      held.release();
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  }, 60_000);
});
