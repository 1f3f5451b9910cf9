/**
 * Reminders: one tick over 100,000 open changes of which 10,000 are due (read the candidates, decide,
 * write the outbox and the nagging state; target under 500 ms), against the same tick with nothing due
 * as the baseline; then the sender draining 1,000 reminders into a Web API that allows 50 a second and
 * answers 429 with Retry-After beyond that (it must never get more accepted than that in any second).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { WebClient } from '@slack/web-api';
import { FileConfig, type ServeConfig } from '../src/config/config.js';
import { createLogger } from '../src/log.js';
import { createReminders } from '../src/slack/reminders.js';
import type { Zones } from '../src/slack/zones.js';
import { openMigratedDb } from '../src/store/db.js';
import { LedgerStore } from '../src/store/ledger-store.js';
import { LinksStore } from '../src/store/links-store.js';
import { NagStore } from '../src/store/nag-store.js';
import { percentile } from './build.js';

const OPEN = 100_000;
const DUE = 10_000;
const RUNS = 5;
const SENT = 1_000;
const LIMIT_PER_SECOND = 50;
// A Tuesday, 10:00 UTC: within everyone's (UTC) working hours.
const NOW = new Date('2026-12-01T10:00:00Z');

const config = { slack: { mode: 'http', botToken: 'xoxb-bench', signingSecret: 'bench-secret' }, file: FileConfig.parse({ defaultChannel: 'C0BENCH01' }) } as unknown as ServeConfig;
const zones: Zones = { zoneOf: () => 'UTC', asked: () => true, learn: async () => undefined, ensure: async () => undefined };
const silent = createLogger({ level: 'silent', destination: new PassThrough() });

export async function benchNagging(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-bench-nag-'));
  try {
    await tickBench(join(dir, 'tick.db'));
    await senderBench(join(dir, 'send.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function tickBench(path: string): Promise<void> {
  const db = openMigratedDb(path);
  const ledger = new LedgerStore(db);
  const t0 = performance.now();
  const old = new Date(NOW.getTime() - 2 * 86_400_000);
  db.transaction(() => {
    for (let i = 0; i < OPEN; i++) {
      // One in ten was logged two days ago (its first reminder is due); the rest within the last hour.
      const at = i % (OPEN / DUE) === 0 ? old : new Date(NOW.getTime() - 3_600_000 + (i % 3_600) * 1_000);
      ledger.create({ description: `scaled deploy/api-${i % 500} -n shop for INC-${i}`, actor: `U${String(i % 300).padStart(8, '0')}`, resources: [{ kind: 'deployment', name: `api-${i % 500}`, namespace: 'shop' }], source: 'command' }, { now: at, defaultDueDays: 30 });
    }
  })();
  console.log(`ledger of ${OPEN} open changes (${DUE} due a first reminder) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const reminders = createReminders({ config, store: new NagStore(db), zones, ledger, links: new LinksStore(db, ledger), logger: silent, now: () => NOW });
  const due: number[] = [];
  const idle: number[] = [];
  let added = 0;
  for (let r = 0; r < RUNS; r++) {
    db.exec('DELETE FROM outbox; DELETE FROM nag_state;');
    let t = performance.now();
    added = await reminders.tick();
    due.push(performance.now() - t);
    // Baseline in the same run: the same tick again, when everything due has been queued.
    t = performance.now();
    await reminders.tick();
    idle.push(performance.now() - t);
  }
  due.sort((a, b) => a - b);
  idle.sort((a, b) => a - b);
  console.log(`reminder tick over ${OPEN} open changes, ${added} messages queued, median of ${RUNS}:`);
  console.log(`  ${DUE} due: ${percentile(due, 50).toFixed(1)} ms (min ${due[0]?.toFixed(1)}, max ${due.at(-1)?.toFixed(1)})   target < 500 ms`);
  console.log(`  nothing due (baseline): ${percentile(idle, 50).toFixed(1)} ms   ratio ${(percentile(due, 50) / percentile(idle, 50)).toFixed(1)}x`);
  db.close();
}

async function senderBench(path: string): Promise<void> {
  // A Web API that accepts LIMIT_PER_SECOND messages per wall-clock second and answers 429 beyond that.
  const acceptedPerSecond = new Map<number, number>();
  const requestsPerSecond = new Map<number, number>();
  let refused = 0;
  let ts = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const second = Math.floor(Date.now() / 1000);
      requestsPerSecond.set(second, (requestsPerSecond.get(second) ?? 0) + 1);
      const n = acceptedPerSecond.get(second) ?? 0;
      if (n >= LIMIT_PER_SECOND) {
        refused += 1;
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      acceptedPerSecond.set(second, n + 1);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, channel: 'D0BENCH', ts: `1796000000.${String(++ts).padStart(6, '0')}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const db = openMigratedDb(path);
  const ledger = new LedgerStore(db);
  const store = new NagStore(db);
  const old = new Date(Date.now() - 2 * 86_400_000);
  db.transaction(() => {
    for (let i = 0; i < SENT; i++) {
      const { change } = ledger.create({ description: `scaled deploy/api-${i} -n shop`, actor: `U${String(i % 50).padStart(8, '0')}`, source: 'command' }, { now: old, defaultDueDays: 30 });
      store.enqueue({ changeId: change.id, kind: 'reminder', slot: 'reminder:1', recipient: change.owner }, old);
    }
  })();
  const client = new WebClient('xoxb-bench', { slackApiUrl: `http://127.0.0.1:${port}/api/`, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
  const reminders = createReminders({ config, store, zones, ledger, links: new LinksStore(db, ledger), logger: silent, now: () => new Date(), client });
  const t0 = performance.now();
  let sent = 0;
  while (sent < SENT) {
    sent += await reminders.send();
    const until = reminders.pausedUntil();
    if (until !== undefined) await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now()) + 5));
  }
  const wall = (performance.now() - t0) / 1000;
  const most = Math.max(...acceptedPerSecond.values());
  const mostAsked = Math.max(...requestsPerSecond.values());
  console.log(`reminder sender: ${SENT} DMs into a Web API allowing ${LIMIT_PER_SECOND}/s (429 with Retry-After beyond):`);
  console.log(`  ${(SENT / wall).toFixed(1)} sent/s over ${wall.toFixed(1)} s   most accepted in one second ${most} (limit ${LIMIT_PER_SECOND})   most asked in one second ${mostAsked}   429s ${refused}`);
  db.close();
  await new Promise((resolve) => server.close(resolve));
}
