import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FileConfig, type ServeConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { createReminders, scheduleReminders, type Reminders } from '../../src/slack/reminders.js';
import type { Zones } from '../../src/slack/zones.js';
import { openMigratedDb, type Db } from '../../src/store/db.js';
import { LedgerStore } from '../../src/store/ledger-store.js';
import { LinksStore } from '../../src/store/links-store.js';
import { NagStore } from '../../src/store/nag-store.js';

const NOW = new Date('2026-12-01T10:00:00Z'); // a Tuesday
const config = { slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: 'test-secret' }, file: FileConfig.parse({}) } as unknown as ServeConfig;
const zones: Zones = { zoneOf: () => 'UTC', asked: () => true, learn: async () => undefined, ensure: async () => undefined };
const logger = createLogger({ level: 'silent', destination: new PassThrough() });

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function ledgerOf(count: number): { db: Db; ledger: LedgerStore; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-tick-'));
  dirs.push(dir);
  const path = join(dir, 'stopgap.db');
  const db = openMigratedDb(path);
  const ledger = new LedgerStore(db);
  const old = new Date(NOW.getTime() - 2 * 86_400_000);
  db.transaction(() => {
    for (let i = 0; i < count; i++) ledger.create({ description: `scaled deploy/api-${i} -n shop`, actor: 'U0ALICE01', source: 'command' }, { now: old, defaultDueDays: 30 });
  })();
  return { db, ledger, path };
}
const remindersOn = (db: Db, ledger: LedgerStore, store = new NagStore(db)): Reminders =>
  createReminders({ config, store, zones, ledger, links: new LinksStore(db, ledger), logger, now: () => NOW });

describe('a reminder tick', () => {
  it('loses nothing and repeats nothing when the process dies halfway through a tick', async () => {
    const { db, ledger, path } = ledgerOf(1_200);
    // The first process commits its first chunk of decisions, then dies.
    class Dying extends NagStore {
      private chunks = 0;
      override commitDecisions(...args: Parameters<NagStore['commitDecisions']>): number {
        if (++this.chunks === 2) throw new Error('killed');
        return super.commitDecisions(...args);
      }
    }
    await expect(remindersOn(db, ledger, new Dying(db)).tick()).rejects.toThrow('killed');
    db.close();
    const count = (d: Db) => d.prepare('SELECT count(*) AS n, count(DISTINCT change_id) AS changes FROM outbox').get();
    // The next process ticks: what the first one committed stays, the rest is decided now, once.
    const again = openMigratedDb(path);
    try {
      expect(count(again)).toEqual({ n: 500, changes: 500 });
      const next = remindersOn(again, new LedgerStore(again));
      expect(await next.tick()).toBe(700);
      expect(await next.tick()).toBe(0);
      expect(count(again)).toEqual({ n: 1_200, changes: 1_200 });
    } finally {
      again.close();
    }
  });

  it('runs on its schedule in serve, each tick followed by the sender', async () => {
    const calls: string[] = [];
    const fake: Reminders = {
      tick: async () => (calls.push('tick'), 0),
      send: async () => (calls.push('send'), 0),
      pausedUntil: () => undefined,
      stop: async () => undefined,
    };
    // Every second instead of every minute, so the test need not wait a minute.
    const stop = scheduleReminders(fake, logger, '* * * * * *');
    try {
      const deadline = Date.now() + 5_000;
      while (!calls.includes('tick') || calls.indexOf('send', calls.indexOf('tick')) === -1) {
        if (Date.now() > deadline) throw new Error(`no tick within 5 s: ${calls.join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      stop();
    }
    expect(calls[calls.indexOf('tick') + 1]).toBe('send');
  });
});
