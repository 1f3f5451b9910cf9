import { mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/demo/wait.js';
import { createLogger } from '../../src/log.js';
import { startCheckpointer, type Checkpointer } from '../../src/store/checkpointer.js';
import { openMigratedDb, type Db } from '../../src/store/db.js';
import { LedgerStore } from '../../src/store/ledger-store.js';

let dir: string;
let path: string;
let db: Db;
let checkpointer: Checkpointer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stopgap-ckpt-'));
  path = join(dir, 'c.db');
  db = openMigratedDb(path);
});
afterEach(async () => {
  await checkpointer?.stop();
  checkpointer = undefined;
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const logger = () => createLogger({ level: 'warn', destination: new PassThrough() });

function logChange(ledger: LedgerStore, description: string): void {
  ledger.create({ description, actor: 'U0ALICE01', resources: [{ kind: 'deployment', name: 'api', namespace: 'shop' }] }, { now: new Date('2026-11-30T10:00:00Z'), defaultDueDays: 7 });
}

/** The log's salts (WAL header bytes 16 to 23): SQLite draws new ones each time the log starts over. */
function logSalts(): string {
  const fd = openSync(`${path}-wal`, 'r');
  try {
    const header = Buffer.alloc(24);
    readSync(fd, header, 0, 24, 0);
    return header.subarray(16, 24).toString('hex');
  } finally {
    closeSync(fd);
  }
}

describe('checkpoints off the event loop', () => {
  it('copies what the server committed into the database file without the server checkpointing', async () => {
    // Migrations left the log long; start from an empty one, so only the write below is in it.
    db.pragma('wal_checkpoint(TRUNCATE)');
    checkpointer = startCheckpointer(db, { logger: logger(), intervalMs: 10 });
    const ledger = new LedgerStore(db);
    const marker = `checkpoint marker ${Date.now()}`;
    logChange(ledger, marker);
    // A one-page commit never reaches SQLite's own threshold: only the worker puts it in the main file.
    await waitFor(() => readFileSync(path).includes(marker), 'the commit in the database file');
  });

  it('starts the log over while writes keep coming', async () => {
    checkpointer = startCheckpointer(db, { logger: logger(), intervalMs: 5, restartPages: 50 });
    const ledger = new LedgerStore(db);
    logChange(ledger, 'first');
    const first = logSalts();
    // Commits back to back, as a burst of requests makes them: between two of them the worker never finds
    // the log fully copied, so a copy alone would let it grow for as long as the burst lasts.
    const deadline = Date.now() + 10_000;
    let written = 0;
    while (logSalts() === first) {
      if (Date.now() > deadline) throw new Error(`the log never started over in ${written} changes`);
      db.transaction(() => {
        for (let i = 0; i < 20; i++) logChange(ledger, `burst change ${written++}`);
      }).immediate();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(written).toBeGreaterThan(0);
  });

  it('hands checkpointing back to the server connection when stopped', async () => {
    const own = db.pragma('wal_autocheckpoint', { simple: true });
    checkpointer = startCheckpointer(db, { logger: logger() });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).not.toBe(own);
    await checkpointer.stop();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(own);
  });

  it('does nothing for an in-memory database', async () => {
    const memory = openMigratedDb(':memory:');
    const own = memory.pragma('wal_autocheckpoint', { simple: true });
    const none = startCheckpointer(memory, { logger: logger() });
    expect(memory.pragma('wal_autocheckpoint', { simple: true })).toBe(own);
    await none.stop();
    memory.close();
  });
});
