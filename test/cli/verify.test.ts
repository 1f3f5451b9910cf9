import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openMigratedDb, type Db } from '../../src/store/db.js';
import { LedgerStore } from '../../src/store/ledger-store.js';
import { runCliCaptured } from '../support/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const NOW = new Date('2026-11-26T10:00:00Z');
const by = (user: string) => ({ by: user, now: new Date(NOW.getTime() + 3_600_000), isAdmin: false });

/**
 * A ledger of six events: 1 SG-1 created, 2 SG-2 created, 3 SG-1 reverted, 4 SG-3 created,
 * 5 SG-4 created, 6 SG-2 assigned to U0BOB. Returns the open database for tampering.
 */
function seed(): { path: string; db: Db } {
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-verify-'));
  dirs.push(dir);
  const path = join(dir, 'stopgap.db');
  const db = openMigratedDb(path);
  const ledger = new LedgerStore(db);
  const log = (description: string) => ledger.create({ description, actor: 'U0ALICE' }, { now: NOW, defaultDueDays: 7 });
  log('scaled deploy/payments-api to 12');
  log('cordoned node/ip-10-0-1-7');
  ledger.act(1, { type: 'reverted' }, by('U0ALICE'));
  log('raised memory limit of deploy/search');
  log('rolled back deploy/checkout');
  ledger.act(2, { type: 'assign', owner: 'U0BOB' }, by('U0ALICE'));
  return { path, db };
}

/** Tampering as someone with write access to the file would: around the append-only triggers. */
function deleteEvents(db: Db, where: string): void {
  db.exec('DROP TRIGGER IF EXISTS change_events_no_delete');
  db.prepare(`DELETE FROM change_events WHERE ${where}`).run();
}
function deleteChangeRows(db: Db, where: string): void {
  db.pragma('foreign_keys = OFF');
  db.prepare(`DELETE FROM changes WHERE ${where}`).run();
  db.pragma('foreign_keys = ON');
}
function setHead(db: Db, head: { seq: number; hash: string }): void {
  db.prepare("UPDATE settings SET value = ? WHERE key = 'ledger.chain_head'").run(JSON.stringify(head));
}
const hashOf = (db: Db, seq: number) => (db.prepare('SELECT hash FROM change_events WHERE seq = ?').get(seq) as { hash: string }).hash;

async function verify(path: string) {
  return runCliCaptured(['verify'], { STOPGAP_DB: path });
}

describe('stopgap verify', () => {
  it('prints OK and exits 0 for an untouched ledger', async () => {
    const { path, db } = seed();
    db.close();
    const r = await verify(path);
    expect(r).toEqual({ code: 0, stdout: 'OK: 6 events over 4 changes, hash chain intact\n', stderr: '' });
  });

  it('names every change whose row was deleted while its events remain', async () => {
    const { path, db } = seed();
    deleteChangeRows(db, 'id IN (1, 3)');
    db.close();
    const r = await verify(path);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        'TAMPERED: 2 problems in 6 events over 2 changes',
        "  - SG-1 is gone but 2 events (from event 1) refer to it: its row was deleted behind the ledger's back",
        "  - SG-3 is gone but event 4 refers to it: its row was deleted behind the ledger's back",
        'Restore the database from a backup taken before the tampering.',
        '',
      ].join('\n'),
    );
  });

  it('notices events deleted from the end of the log, with the changes they leave without events', async () => {
    const { path, db } = seed();
    deleteEvents(db, 'seq >= 4');
    db.close();
    const r = await verify(path);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        'TAMPERED: 4 problems in 3 events over 4 changes',
        '  - events 4..6 are missing from the end of the log (the recorded chain head is event 6)',
        `  - SG-2's owner was changed outside the ledger (the event log says "U0ALICE", the row says "U0BOB")`,
        "  - SG-3 has no events: it was inserted behind the ledger's back, or its events were deleted",
        "  - SG-4 has no events: it was inserted behind the ledger's back, or its events were deleted",
        'First bad row: event 4. Restore the database from a backup taken before it.',
        '',
      ].join('\n'),
    );
  });

  it('notices a deleted tail even when the rows it explained were deleted too', async () => {
    const { path, db } = seed();
    deleteEvents(db, 'seq >= 4');
    deleteChangeRows(db, 'id IN (3, 4)');
    db.prepare("UPDATE changes SET owner = 'U0ALICE' WHERE id = 2").run();
    db.close();
    const r = await verify(path);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        'TAMPERED: 1 problem in 3 events over 2 changes',
        '  - events 4..6 are missing from the end of the log (the recorded chain head is event 6)',
        'First bad row: event 4. Restore the database from a backup taken before it.',
        '',
      ].join('\n'),
    );
  });

  it('keeps a deleted tail visible after the ledger records another change', async () => {
    const { path, db } = seed();
    // The tail and every row it explained are gone; then the bot logs the next change as usual.
    deleteEvents(db, 'seq >= 5');
    deleteChangeRows(db, 'id = 4');
    db.prepare("UPDATE changes SET owner = 'U0ALICE' WHERE id = 2").run();
    new LedgerStore(db).create({ description: 'restarted deploy/payments-api', actor: 'U0BOB' }, { now: NOW, defaultDueDays: 7 });
    db.close();
    const r = await verify(path);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        'TAMPERED: 1 problem in 5 events over 4 changes',
        '  - events 5..6 are missing (the next stored event is 7)',
        'First bad row: event 5. Restore the database from a backup taken before it.',
        '',
      ].join('\n'),
    );
  });

  it('notices a chain head that points past the last event, behind it, or at a different hash', async () => {
    const { path, db } = seed();
    setHead(db, { seq: 8, hash: hashOf(db, 6) });
    const beyond = await verify(path);
    expect(beyond.code).toBe(1);
    expect(beyond.stdout).toContain('\n  - events 7..8 are missing from the end of the log (the recorded chain head is event 8)\n');

    setHead(db, { seq: 4, hash: hashOf(db, 4) });
    const behind = await verify(path);
    expect(behind.code).toBe(1);
    expect(behind.stdout).toBe(
      [
        'TAMPERED: 1 problem in 6 events over 4 changes',
        "  - events 5..6 are past the recorded chain head (event 4): added behind the ledger's back",
        'First bad row: event 5. Restore the database from a backup taken before it.',
        '',
      ].join('\n'),
    );

    setHead(db, { seq: 6, hash: 'f'.repeat(64) });
    db.close();
    const mismatch = await verify(path);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout).toBe(
      [
        'TAMPERED: 1 problem in 6 events over 4 changes',
        '  - event 6 does not match the recorded chain head',
        'First bad row: event 6. Restore the database from a backup taken before it.',
        '',
      ].join('\n'),
    );
  });

  it('lists every problem when the ledger was tampered with in several ways at once', async () => {
    const { path, db } = seed();
    db.exec('DROP TRIGGER change_events_no_update');
    db.prepare("UPDATE change_events SET actor = 'U0MALLORY' WHERE seq = 2").run();
    deleteEvents(db, 'seq IN (3, 6)');
    db.prepare("UPDATE changes SET description = 'nothing to see' WHERE id = 3").run();
    deleteChangeRows(db, 'id = 4');
    db.prepare(
      `INSERT INTO changes (description, actor, owner, source, created_at, due_at, updated_at)
       VALUES ('backdated', 'U0MALLORY', 'U0MALLORY', 'command', '2026-01-01T00:00:00Z', '2026-01-08T00:00:00Z', '2026-01-01T00:00:00Z')`,
    ).run();
    db.close();
    const r = await verify(path);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        'TAMPERED: 9 problems in 4 events over 4 changes',
        '  - event 2 (SG-2, created) was altered: its content no longer matches its hash',
        '  - event 3 is missing (the next stored event is 4)',
        '  - event 6 is missing from the end of the log (the recorded chain head is event 6)',
        "  - SG-4 is gone but event 5 refers to it: its row was deleted behind the ledger's back",
        `  - SG-1's closedAt was changed outside the ledger (the event log says null, the row says "2026-11-26T11:00:00.000Z")`,
        `  - SG-1's status was changed outside the ledger (the event log says "open", the row says "reverted")`,
        `  - SG-2's owner was changed outside the ledger (the event log says "U0ALICE", the row says "U0BOB")`,
        `  - SG-3's description was changed outside the ledger (the event log says "raised memory limit of deploy/search", the row says "nothing to see")`,
        "  - SG-5 has no events: it was inserted behind the ledger's back, or its events were deleted",
        'First bad row: event 2. Restore the database from a backup taken before it.',
        '',
      ].join('\n'),
    );
  });
});
