import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMigratedDb, type Db } from '../../src/store/db.js';
import { groupCommit } from '../../src/store/group-commit.js';
import { LedgerStore } from '../../src/store/ledger-store.js';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stopgap-gc-'));
  db = openMigratedDb(join(dir, 'g.db'));
  db.exec('CREATE TABLE t (v INTEGER NOT NULL CHECK (v >= 0))');
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('group commit', () => {
  it('runs calls made in one turn together, inside a transaction, each resolving with its own result', async () => {
    const seen: boolean[] = [];
    const insert = db.transaction((v: number) => {
      seen.push(db.inTransaction);
      return Number(db.prepare('INSERT INTO t (v) VALUES (?)').run(v).lastInsertRowid);
    });
    const write = groupCommit(db, insert);
    const pending = [write(1), write(2), write(3)];
    // Nothing is written until the batch flushes, after the calling turn.
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
    const ids = await Promise.all(pending);
    expect(ids).toEqual([1, 2, 3]);
    expect(seen).toEqual([true, true, true]);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 3 });
  });

  it('rolls back only the call that failed; the others commit', async () => {
    const insert = db.transaction((v: number) => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes);
    const write = groupCommit(db, insert);
    const results = await Promise.allSettled([write(1), write(-1), write(3)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT v FROM t ORDER BY v').all()).toEqual([{ v: 1 }, { v: 3 }]);
  });

  it('rejects queued writes instead of crashing when the database closed first', async () => {
    const write = groupCommit(db, db.transaction((v: number) => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes));
    const pending = write(1);
    db.close();
    await expect(pending).rejects.toThrow(/closed before this write/);
    db = openMigratedDb(join(dir, 'g.db'));
  });

  it('a batch of the same Slack request creates one change', async () => {
    const ledger = new LedgerStore(db);
    const now = new Date('2026-11-26T10:00:00Z');
    const opts = { now, defaultDueDays: 7, requestKeys: ['trigger:same'] };
    const [a, b] = await Promise.all([
      ledger.createSoon({ description: 'scaled deploy/x', actor: 'U1' }, opts),
      ledger.createSoon({ description: 'scaled deploy/x', actor: 'U1' }, opts),
    ]);
    expect(a?.created).toBe(true);
    expect(b?.created).toBe(false);
    expect(b?.change.id).toBe(a?.change.id);
    expect(ledger.count()).toBe(1);
    expect(ledger.verify().ok).toBe(true);
  });
});
