/**
 * "Logged" must survive `kill -9`: the built server in its own process takes 100 concurrent signed
 * `/fix` requests and is killed while they are in flight; every request that was answered 200 with a
 * change ID must find that change after a restart, and the ledger's chain must verify.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, serveEnv, TEST_SIGNING_SECRET } from '../support/app.js';
import { requireBuiltCli, runBuiltCliAsync, spawnCli, waitReady } from '../support/built-cli.js';
import { startFakeSlack, type FakeSlack } from '../../src/demo/fake-slack.js';
import { ownSlashCommandFields, sendSlashCommand } from '../support/slack-signing.js';

const REQUESTS = 100;
/** Kill once this many answers are back, so the rest are in flight (queued, mid-commit, or unanswered). */
const KILL_AFTER = 25;

describe('kill -9 with 100 /fix in flight', () => {
  let slack: FakeSlack;
  let dir: string;
  let env: Record<string, string>;
  let url: string;
  beforeAll(async () => {
    requireBuiltCli();
    slack = await startFakeSlack();
    dir = mkdtempSync(join(tmpdir(), 'stopgap-crash-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = serveEnv({ slackApiUrl: slack.apiUrl, dbPath: join(dir, 'stopgap.db'), port, logLevel: 'warn' });
  });
  afterAll(async () => {
    await slack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged change, and the chain verifies', async () => {
    const server = spawnCli(['serve'], env);
    await waitReady(url, server);

    const acked = new Map<string, string>();
    let answered = 0;
    const requests = Array.from({ length: REQUESTS }, async (_, i) => {
      // Started a few milliseconds apart, so that whenever the kill lands some are mid-commit and some unanswered.
      await new Promise((r) => setTimeout(r, i * 5));
      const description = `crash test change ${i}: scaled deploy/crash-${i} -n shop to 3`;
      try {
        const res = await sendSlashCommand(url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: description, trigger_id: `crash-${i}` }));
        answered += 1;
        if (answered === KILL_AFTER) server.child.kill('SIGKILL');
        // A 200 is an acknowledgement unless it explicitly told the person nothing was saved.
        if (res.status === 200 && !/not saved/.test(res.body)) acked.set(`crash-${i}`, `crash test change ${i}:`);
      } catch {
        // the connection died with the process: not acknowledged
      }
    });
    await Promise.all(requests);
    expect(await server.exited).toBe('SIGKILL');

    // Restart on the same database, as an orchestrator would.
    const restarted = spawnCli(['serve'], env);
    await waitReady(url, restarted);
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);

    const db = new Database(env.STOPGAP_DB as string, { readonly: true });
    const rows = db.prepare('SELECT id, description FROM changes').all() as { id: number; description: string }[];
    db.close();
    const missing = [...acked.values()].filter((text) => !rows.some((r) => r.description.startsWith(text)));
    console.log(`kill -9 crash test: ${REQUESTS} sent, ${acked.size} acknowledged before the kill, ${acked.size - missing.length} of them found after restart, ${rows.length} changes stored`);
    expect(acked.size).toBeGreaterThan(0);
    expect(acked.size, 'the kill landed while requests were still in flight').toBeLessThan(REQUESTS);
    expect(missing).toEqual([]);

    const verify = await runBuiltCliAsync(['verify'], env);
    expect(verify.stdout).toMatch(/^OK/);
    expect(verify.code).toBe(0);
  }, 60_000);
});
