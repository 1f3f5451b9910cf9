import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { whenNotBusy } from '../../src/k8s/busy.js';
import { isBusyError } from '../../src/store/busy.js';
import { openDb } from '../../src/store/db.js';
import type { Db } from '../../src/store/db.js';
import { FakeScheduler } from '../support/fake-scheduler.js';
import { waitFor } from './helpers.js';

let dir: string;
let db: Db;
let other: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stopgap-busy-'));
  db = openDb(join(dir, 'busy.db'));
  // As with a short busy timeout: a locked database answers SQLITE_BUSY at once.
  db.pragma('busy_timeout = 0');
  db.exec('CREATE TABLE t (n INTEGER)');
  other = openDb(join(dir, 'busy.db'));
});
afterEach(() => {
  if (other.inTransaction) other.exec('ROLLBACK');
  other.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (): number => db.transaction(() => Number(db.prepare('INSERT INTO t (n) VALUES (1)').run().lastInsertRowid)).immediate();

describe('writes while the database is busy', () => {
  it('tries a busy write again on timers with growing delays, and it lands once the lock is released', async () => {
    other.exec('BEGIN IMMEDIATE'); // another process is writing
    const scheduler = new FakeScheduler();
    let settled = false;
    const write = whenNotBusy(insert, { scheduler, random: () => 1 }).finally(() => {
      settled = true;
    });
    expect(scheduler.pending()).toEqual([10]);
    scheduler.advance(10);
    await waitFor(() => scheduler.pending().length > 0, 'the second retry');
    expect(scheduler.pending()).toEqual([10 + 20]);
    expect(settled).toBe(false);
    other.exec('COMMIT');
    scheduler.advance(20);
    expect(await write).toBe(1);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
  });

  it('throws any other error at once, and the busy error after the last try', async () => {
    const scheduler = new FakeScheduler();
    await expect(whenNotBusy(() => db.exec('INSERT INTO nowhere VALUES (1)'), { scheduler })).rejects.toThrow(/no such table/);
    expect(scheduler.pending()).toEqual([]);

    other.exec('BEGIN IMMEDIATE');
    const error = whenNotBusy(insert, { scheduler, attempts: 3, random: () => 1 }).catch((e: unknown) => e);
    for (const delay of [10, 20]) {
      await waitFor(() => scheduler.pending().length > 0, 'a retry');
      scheduler.advance(delay);
    }
    expect(isBusyError(await error)).toBe(true);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
  });
});
