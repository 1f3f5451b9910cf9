import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMigratedDb, type Db } from '../../src/store/db.js';
import { LedgerStore } from '../../src/store/ledger-store.js';

const NOW = new Date('2026-11-26T10:00:00Z');
const later = (hours: number) => new Date(NOW.getTime() + hours * 3_600_000);

let dir: string;
let db: Db;
let ledger: LedgerStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stopgap-ledger-'));
  db = openMigratedDb(join(dir, 'l.db'));
  ledger = new LedgerStore(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function log(actor = 'U0ALICE', extra: Partial<Parameters<LedgerStore['create']>[0]> = {}) {
  return ledger.create(
    { description: 'scaled deploy/payments-api to 12', actor, resources: [{ kind: 'deployment', name: 'payments-api', namespace: 'shop' }], ...extra },
    { now: NOW, defaultDueDays: 7 },
  ).change;
}

describe('ledger store', () => {
  it('numbers changes SG-1, SG-2 and defaults owner to the actor and due to a week later', () => {
    const a = log();
    const b = log('U0BOB', { owner: 'U0CAROL' });
    expect(a.key).toBe('SG-1');
    expect(b.key).toBe('SG-2');
    expect(a.owner).toBe('U0ALICE');
    expect(b.owner).toBe('U0CAROL');
    expect(a.status).toBe('open');
    expect(a.dueAt).toBe('2026-12-03T10:00:00.000Z');
    expect(a.resources).toEqual([{ kind: 'deployment', name: 'payments-api', namespace: 'shop' }]);
  });

  it('returns the first change for a repeated request key instead of creating another', () => {
    const first = ledger.create({ description: 'x', actor: 'U1' }, { now: NOW, defaultDueDays: 7, requestKeys: ['trigger:abc'] });
    const again = ledger.create({ description: 'x', actor: 'U1' }, { now: NOW, defaultDueDays: 7, requestKeys: ['trigger:abc'] });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.change.id).toBe(first.change.id);
    expect(ledger.count()).toBe(1);
  });

  it('walks the lifecycle open → in_review → reverted and records an event for each step', () => {
    const c = log();
    // With drift still live, a person's "codified" waits for the scanner in review.
    const r1 = ledger.act(c.id, { type: 'codified', prUrl: 'https://github.com/acme/infra/pull/1' }, { by: 'U0ALICE', now: later(1), isAdmin: false, liveDrift: true });
    expect(r1.ok && r1.change.status).toBe('in_review');
    expect(r1.ok && r1.change.prUrl).toBe('https://github.com/acme/infra/pull/1');
    const r2 = ledger.act(c.id, { type: 'reverted' }, { by: 'U0ALICE', now: later(2), isAdmin: false });
    expect(r2.ok && r2.change.status).toBe('reverted');
    expect(r2.ok && r2.change.closedAt).toBe(later(2).toISOString());
    expect(ledger.events(c.id).map((e) => e.type)).toEqual(['created', 'codified_claimed', 'reverted']);
  });

  it('refuses illegal transitions and says why', () => {
    const c = log();
    ledger.act(c.id, { type: 'dismiss', reason: 'autoscaler owns it' }, { by: 'U0ALICE', now: later(1), isAdmin: false });
    const r = ledger.act(c.id, { type: 'reverted' }, { by: 'U0ALICE', now: later(2), isAdmin: false });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.code).toBe('illegal_transition');
    expect(!r.ok && r.message).toMatch(/SG-1 is already dismissed/);
    const snooze = ledger.act(c.id, { type: 'snooze', until: later(48).toISOString() }, { by: 'U0ALICE', now: later(2), isAdmin: false });
    expect(!snooze.ok && snooze.code).toBe('illegal_transition');
  });

  it('lets only the owner, the actor or an admin manage a change', () => {
    const c = log('U0ALICE', { owner: 'U0BOB' });
    const stranger = ledger.act(c.id, { type: 'reverted' }, { by: 'U0MALLORY', now: later(1), isAdmin: false });
    expect(!stranger.ok && stranger.code).toBe('forbidden');
    expect(ledger.get(c.id)?.status).toBe('open');
    expect(ledger.act(c.id, { type: 'assign', owner: 'U0CAROL' }, { by: 'U0BOB', now: later(1), isAdmin: false }).ok).toBe(true);
    expect(ledger.act(c.id, { type: 'snooze', until: later(72).toISOString() }, { by: 'U0ALICE', now: later(1), isAdmin: false }).ok).toBe(true);
    expect(ledger.act(c.id, { type: 'dismiss', reason: 'duplicate' }, { by: 'U0ADMIN', now: later(1), isAdmin: true }).ok).toBe(true);
  });

  it('lists mine, all and overdue (snoozed changes are not overdue)', () => {
    const a = log('U0ALICE');
    log('U0BOB');
    const c = log('U0ALICE');
    ledger.act(c.id, { type: 'snooze', until: later(24 * 30).toISOString() }, { by: 'U0ALICE', now: NOW, isAdmin: false });
    const inTwoWeeks = later(24 * 14);
    expect(ledger.list({ scope: 'mine', user: 'U0ALICE', now: NOW }).total).toBe(2);
    expect(ledger.list({ scope: 'all', user: 'U0ALICE', now: NOW }).total).toBe(3);
    const overdue = ledger.list({ scope: 'overdue', user: 'U0ALICE', now: inTwoWeeks });
    expect(overdue.changes.map((x) => x.key)).toEqual([a.key, 'SG-2']);
    ledger.act(a.id, { type: 'reverted' }, { by: 'U0ALICE', now: NOW, isAdmin: false });
    expect(ledger.list({ scope: 'mine', user: 'U0ALICE', now: NOW }).total).toBe(1);
  });
});

describe('event log integrity', () => {
  function build() {
    const a = log();
    const b = log('U0BOB');
    ledger.act(a.id, { type: 'codified', prUrl: 'https://github.com/acme/infra/pull/7' }, { by: 'U0ALICE', now: later(1), isAdmin: false, liveDrift: true });
    ledger.act(b.id, { type: 'dismiss', reason: 'test' }, { by: 'U0BOB', now: later(2), isAdmin: false });
    return { a, b };
  }

  it('verifies an untouched ledger', () => {
    build();
    const report = ledger.verify();
    expect(report).toMatchObject({ ok: true, events: 4, changes: 2 });
  });

  it('refuses UPDATE and DELETE on the event log', () => {
    build();
    expect(() => db.prepare("UPDATE change_events SET actor = 'U0MALLORY' WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM change_events WHERE seq = 2').run()).toThrow(/append-only/);
  });

  it('names an event edited around the triggers', () => {
    build();
    db.exec('DROP TRIGGER change_events_no_update');
    db.prepare("UPDATE change_events SET data = replace(data, 'pull/7', 'pull/8') WHERE seq = 3").run();
    const report = ledger.verify();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      { kind: 'tampered', seq: 3, message: 'event 3 (SG-1, codified_claimed) was altered: its content no longer matches its hash' },
      // The row still holds what was written; the edited event no longer replays to it.
      {
        kind: 'state_mismatch',
        seq: 3,
        message: `SG-1's prUrl was changed outside the ledger (the event log says "https://github.com/acme/infra/pull/8", the row says "https://github.com/acme/infra/pull/7")`,
      },
    ]);
  });

  it('names a missing row when an event was deleted from the middle', () => {
    build();
    db.exec('DROP TRIGGER change_events_no_delete');
    db.prepare('DELETE FROM change_events WHERE seq = 2').run();
    const report = ledger.verify();
    expect(report.problems).toEqual([{ kind: 'missing', seq: 2, message: 'event 2 is missing (the next stored event is 3)' }]);
  });

  it('notices events deleted from the end of the log', () => {
    build();
    db.exec('DROP TRIGGER change_events_no_delete');
    db.prepare('DELETE FROM change_events WHERE seq = 4').run();
    const report = ledger.verify();
    expect(report.problems[0]).toMatchObject({ kind: 'truncated', seq: 4 });
  });

  it('notices a change row edited behind the ledger', () => {
    const { a } = build();
    db.prepare("UPDATE changes SET status = 'codified', verified = 1 WHERE id = ?").run(a.id);
    const report = ledger.verify();
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.message)).toEqual([
      `SG-1's status was changed outside the ledger (the event log says "in_review", the row says "codified")`,
      `SG-1's verified was changed outside the ledger (the event log says false, the row says true)`,
    ]);
  });

  it('verifies one snapshot: events another connection commits while verify runs are neither seen nor half seen', () => {
    build();
    // better-sqlite3 calls `verbose` synchronously before each statement of the verifying connection
    // runs: the writer commits a new change (row and event) between every two reads verify makes.
    let writes = 0;
    const reader = new Database(join(dir, 'l.db'), {
      verbose: () => {
        writes += 1;
        log(`U0W${writes}`);
      },
    });
    try {
      const report = new LedgerStore(reader).verify();
      expect(writes).toBeGreaterThan(3);
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      // The ledger as of one instant: the writes after it began are not counted, and every change it
      // saw came with its event (two changes have two events each).
      expect(report.events).toBeLessThan(4 + writes);
      expect(report.changes).toBe(report.events - 2);
    } finally {
      reader.close();
    }
    expect(ledger.verify()).toMatchObject({ ok: true, events: 4 + writes, changes: 2 + writes });
  });
});
