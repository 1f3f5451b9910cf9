import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileConfig } from '../../src/config/config.js';
import { SYSTEM_ACTOR } from '../../src/ledger/lifecycle.js';
import { openMigratedDb, type Db } from '../../src/store/db.js';
import { DigestStore } from '../../src/store/digest-store.js';
import { buildDigest, type DigestChange } from '../../src/digest/model.js';
import { teamFor } from '../../src/config/teams.js';
import { LedgerStore } from '../../src/store/ledger-store.js';
import { digestMessage } from '../../src/slack/views/digest.js';
import { LIMITS } from '../../src/slack/views/mrkdwn.js';
import { messageAsText } from '../../src/slack/views/plain-text.js';
import { runCliCaptured } from '../support/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function fresh(): { db: Db; ledger: LedgerStore; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-digest-'));
  dirs.push(dir);
  const path = join(dir, 'stopgap.db');
  const db = openMigratedDb(path);
  return { db, ledger: new LedgerStore(db), path };
}
const d = (iso: string) => new Date(iso);
const as = (by: string, now: string, isAdmin = false) => ({ by, now: d(now), isAdmin, liveDrift: false });
const TEAMS = FileConfig.parse({ teams: [{ name: 'payments', channel: 'C0PAYMENTS', match: [{ namespace: 'pay' }] }, { name: 'shop', channel: 'C0SHOPTEAM', match: [{ namespace: 'shop' }] }] }).teams;

/**
 * The digest of Monday 2026-12-07 09:00 UTC ("this week" is Nov 30 09:00 – Dec 7 09:00; "last week" is
 * the seven days before), over a ledger built to exercise each rule.
 */
function seeded() {
  const { db, ledger, path } = fresh();
  const log = (what: string, actor: string, at: string, ns: string, due = 7) =>
    ledger.create({ description: what, actor, cluster: 'prod-eu', resources: [{ kind: 'deployment', name: what.split(' ')[0] as string, namespace: ns }], source: 'command' }, { now: d(at), defaultDueDays: due }).change.id;
  // 1: old, overdue, payments, Alice.
  const old = log('api old fix', 'U0ALICE01', '2026-09-01T10:00:00Z', 'pay');
  // 2: logged last week, reverted this week (unverified): reconciled this week, 6 days to reconcile.
  const reverted = log('web scale', 'U0BOB0001', '2026-11-27T10:00:00Z', 'shop');
  ledger.act(reverted, { type: 'reverted' }, as('U0BOB0001', '2026-12-03T10:00:00Z'));
  // 3: logged this week, closed verified by the scanner this week: 1 day.
  const verified = log('cart bump', 'U0ALICE01', '2026-12-01T10:00:00Z', 'shop');
  ledger.act(verified, { type: 'reconciled', outcome: 'reverted', evidence: [{ finding: 1 }] } as never, as(SYSTEM_ACTOR, '2026-12-02T10:00:00Z', true));
  // 4: closed last week, reopened this week: open now, closed a week ago.
  const reopened = log('pay reopen', 'U0ALICE01', '2026-11-25T10:00:00Z', 'pay', 30);
  ledger.act(reopened, { type: 'reverted' }, as('U0ALICE01', '2026-11-26T10:00:00Z'));
  ledger.act(reopened, { type: 'reopen', reason: 'came back' }, as('U0ALICE01', '2026-12-04T10:00:00Z', true));
  // 5: reassigned from Alice to Bob this week; snoozed past its due date, so not overdue.
  const reassigned = log('search mem', 'U0ALICE01', '2026-11-20T10:00:00Z', 'shop');
  ledger.act(reassigned, { type: 'assign', owner: 'U0BOB0001' }, as('U0ALICE01', '2026-12-05T10:00:00Z'));
  ledger.act(reassigned, { type: 'snooze', until: '2026-12-20T10:00:00.000Z' }, as('U0BOB0001', '2026-12-05T11:00:00Z'));
  // 6: dismissed this week.
  const dismissed = log('batch job', 'U0BOB0001', '2026-12-02T10:00:00Z', 'shop');
  ledger.act(dismissed, { type: 'dismiss', reason: 'the job was deleted' }, as('U0BOB0001', '2026-12-03T12:00:00Z'));
  // 7: logged after the digest's moment: not counted at all.
  log('late one', 'U0ALICE01', '2026-12-08T10:00:00Z', 'pay');
  return { db, ledger, path, ids: { old, reverted, verified, reopened, reassigned, dismissed } };
}

describe('the weekly digest', () => {
  it('matches hand-computed figures, reopened and reassigned changes included', () => {
    const { db, ids } = seeded();
    const digest = new DigestStore(db).digest({ at: d('2026-12-07T09:00:00Z'), team: null, teams: TEAMS });
    expect(digest.open).toEqual({ total: 3, byStatus: { open: 3, in_review: 0 }, byAge: { underOneWeek: 0, oneToFourWeeks: 2, oneToThreeMonths: 0, older: 1 } });
    expect(digest.overdue).toBe(1); // the old one: the reopened one is due in 30 days, the reassigned one snoozed
    expect(digest.thisWeek).toEqual({ new: 2, reconciled: 2, verified: 1, dismissed: 1 });
    expect(digest.medianDaysToReconcile).toEqual({ last30: 3.5, last90: 3.5 }); // 6 days and 1 day; the reverted-then-reopened one is open
    expect(digest.oldest.map((o) => [o.id, o.owner, o.ageDays, o.overdue])).toEqual([
      [ids.old, 'U0ALICE01', 96, true],
      [ids.reassigned, 'U0BOB0001', 16, false],
      [ids.reopened, 'U0ALICE01', 11, false],
    ]);
    expect(digest.perOwner).toEqual([
      { owner: 'U0ALICE01', open: 2, overdue: 1 },
      { owner: 'U0BOB0001', open: 1, overdue: 0 },
    ]);
    expect(digest.perTeam).toEqual([
      { team: 'payments', open: 2, overdue: 1 },
      { team: 'shop', open: 1, overdue: 0 },
    ]);
    // A week before (Nov 30 09:00): open were old, reverted (not yet), reassigned; the reopened one was closed.
    // Last week brought reverted and reopened (new: 2) and closed the reopened one (reconciled: 1).
    expect(digest.deltas).toEqual({ open: 0, overdue: -1, new: 0, reconciled: 1, dismissed: 1 });
    // The anchor is the last event by the digest's moment: the change logged after it is not in it.
    expect(digest.ledgerHead?.seq).toBe(13);
    // One team's digest counts only its changes.
    const pay = new DigestStore(db).digest({ at: d('2026-12-07T09:00:00Z'), team: 'payments', teams: TEAMS });
    expect([pay.team, pay.open.total, pay.overdue, pay.thisWeek.new]).toEqual(['payments', 2, 1, 0]);
    db.close();
  });

  it('renders within Slack\'s limits with 10,000 open changes, and says so when nothing is unreconciled', () => {
    const { db, ledger } = fresh();
    db.transaction(() => {
      for (let i = 0; i < 10_000; i++) {
        ledger.create({ description: `scaled deploy/api-${i} -n shop`, actor: `U${String(i % 700).padStart(8, '0')}`, resources: [{ kind: 'deployment', name: `api-${'x'.repeat(200)}-${i}`, namespace: 'shop' }], source: 'command' }, { now: d('2026-11-01T10:00:00Z'), defaultDueDays: 7 });
      }
    })();
    const digest = new DigestStore(db).digest({ at: d('2026-12-07T09:00:00Z'), team: null, teams: [] });
    const message = digestMessage(digest);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    for (const b of message.blocks as { type: string; text?: { text: string }; fields?: { text: string }[] }[]) {
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(b.type === 'header' ? LIMITS.headerText : LIMITS.sectionText);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(LIMITS.sectionField);
    }
    expect(message.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
    expect(messageAsText(message)).toContain('…and 9990 more: `/fix list all`');
    expect(messageAsText(message)).toContain('and 690 more');
    db.close();

    const empty = fresh();
    const quiet = messageAsText(digestMessage(new DigestStore(empty.db).digest({ at: d('2026-12-07T09:00:00Z'), team: null, teams: [] })));
    expect(quiet).toContain('Nothing unreconciled');
    expect(quiet).toContain('Ledger head: empty ledger.');
    empty.db.close();
  });

  it('prints the digest and its JSON from the command line, and refuses what it cannot do', async () => {
    const { db, path } = seeded();
    db.close();
    const env = { STOPGAP_DB: path };
    const text = await runCliCaptured(['digest', '--print', '--at', '2026-12-07T09:00:00Z'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('UNRECONCILED CHANGES, EVERYONE');
    expect(text.stdout).toMatch(/Open: 3 \(±0\)/);
    expect(text.stdout).toMatch(/stopgap verify --anchor 13:[0-9a-f]{64}/);
    const json = await runCliCaptured(['digest', '--print', '--json', '--at', '2026-12-07T09:00:00Z'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ at: '2026-12-07T09:00:00.000Z', team: null, open: { total: 3 }, overdue: 1, ledgerHead: { seq: 13 } });
    expect((await runCliCaptured(['digest'], env)).code).toBe(2);
    const badAt = await runCliCaptured(['digest', '--print', '--at', 'monday'], env);
    expect([badAt.code, badAt.stderr]).toEqual([2, expect.stringContaining('not a date-time with a zone')]);
    const badTeam = await runCliCaptured(['digest', '--print', '--team', 'nobody'], env);
    expect([badTeam.code, badTeam.stderr]).toEqual([2, expect.stringContaining("unknown team 'nobody'")]);
    const noDb = await runCliCaptured(['digest', '--print'], { STOPGAP_DB: join(tmpdir(), 'no-such-stopgap.db') });
    expect([noDb.code, noDb.stderr]).toEqual([2, expect.stringContaining('no database at')]);
  });
});

/** A small deterministic generator (mulberry32): the same ledger for the same seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The digest as the model defines it, from first principles: every change replayed from its events up to
 * each moment, none counted in groups. The store must agree with it whatever it counts in SQL.
 */
function reference(db: Db, at: Date, team: string | null): ReturnType<typeof buildDigest> {
  const events = db.prepare('SELECT change_id AS id, at, data FROM change_events ORDER BY change_id, seq').all() as { id: number; at: string; data: string }[];
  const asOf = (moment: string): DigestChange[] => {
    const states = new Map<number, DigestChange>();
    for (const e of events) {
      if (e.at > moment) continue;
      const patch = (JSON.parse(e.data) as { patch?: Partial<DigestChange> }).patch ?? {};
      states.set(e.id, { ...(states.get(e.id) as DigestChange), ...patch, id: e.id });
    }
    return [...states.values()];
  };
  const live = new Set((db.prepare('SELECT DISTINCT l.change_id AS id FROM drift_links l JOIN drift_findings f ON f.id = l.finding_id WHERE f.resolved_at IS NULL').all() as { id: number }[]).map((r) => r.id));
  return buildDigest({
    at,
    team,
    changes: asOf(at.toISOString()),
    weekAgo: asOf(new Date(at.getTime() - 7 * 86_400_000).toISOString()),
    driftLive: live,
    unclaimedDrift: 0,
    teamOf: (s) => teamFor(TEAMS, s)?.name ?? null,
    ledgerHead: new DigestStore(db).headAt(at),
  });
}

describe('the digest of a large ledger', () => {
  it('counts steady open changes in SQL and agrees with a full replay of every change, for everyone and each team, now and at past moments', () => {
    for (const seed of [1, 2, 3]) {
      const { db, ledger } = fresh();
      const next = random(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
      const START = Date.parse('2026-06-01T00:00:00Z');
      const END = Date.parse('2026-12-07T09:00:00Z');
      // Changes logged over six months, some closed, reopened,
      // reassigned, snoozed or dismissed later; each action after the one before.
      const ops: { at: number; run: () => void }[] = [];
      for (let i = 0; i < 400; i++) {
        // On the hour: a few changes share a moment, so the oldest ten are ordered by id among equals.
        const created = START + Math.floor((next() * (END - START)) / 3_600_000) * 3_600_000;
        const ns = pick(['pay', 'shop', 'ops', undefined]);
        const actor = pick(['U0ALICE01', 'U0BOB0001', 'U0CAROL01']);
        ops.push({
          at: created,
          run: () => {
            const id = ledger.create(
              { description: `change ${i}`, actor, cluster: pick(['prod-eu', 'prod-us', undefined]), resources: ns === undefined && next() < 0.5 ? [] : [{ kind: pick(['deployment', 'configmap', 'node']), name: `obj-${i}`, ...(ns ? { namespace: ns } : {}) }], source: 'command' },
              { now: new Date(created), defaultDueDays: pick([1, 7, 30]) },
            ).change.id;
            let t = created;
            for (let k = Math.floor(next() * 4); k > 0; k--) {
              t += Math.floor(next() * 40 * 86_400_000);
              if (t > END + 3 * 86_400_000) break;
              const when = new Date(t);
              const action = pick([{ type: 'reverted' }, { type: 'dismiss', reason: 'gone' }, { type: 'reopen', reason: 'back' }, { type: 'assign', owner: 'U0DAVE001' }, { type: 'snooze', until: new Date(t + 10 * 86_400_000).toISOString() }, { type: 'codified', prUrl: 'https://git.example.com/pr/1' }] as const);
              // Refused actions (reopening an open change) are part of real use: they record nothing.
              try {
                ledger.act(id, action as never, { by: 'U0ALICE01', now: when, isAdmin: true, liveDrift: false });
              } catch {
                /* refused: nothing recorded */
              }
            }
          },
        });
      }
      for (const op of ops) op.run();
      const store = new DigestStore(db);
      for (const at of ['2026-12-07T09:00:00Z', '2026-11-16T09:00:00Z', '2026-09-01T00:00:00Z']) {
        for (const team of [null, 'payments', 'shop']) {
          const got = store.digest({ at: d(at), team, teams: TEAMS });
          expect({ ...got, unclaimedDrift: 0 }, `seed ${seed}, ${at}, team ${team}`).toEqual(reference(db, d(at), team));
        }
      }
      // The steady part is not empty: the SQL path is what is being compared.
      const steady = db.prepare("SELECT count(*) FROM changes WHERE status = 'open' AND created_at <= '2026-11-23T09:00:00Z'").pluck().get() as number;
      expect(steady).toBeGreaterThan(50);
      db.close();
    }
  });

  it('refuses to print from a database an older Stopgap wrote, and says how to bring it up to date', async () => {
    const { db, path } = fresh();
    db.prepare("DELETE FROM schema_migrations WHERE name = '016_digest_groups.sql'").run();
    db.close();
    const old = await runCliCaptured(['digest', '--print'], { STOPGAP_DB: path });
    expect([old.code, old.stderr]).toEqual([2, expect.stringContaining('run `stopgap migrate`')]);
  });
});

describe('verify --anchor', () => {
  it('accepts the head a digest printed, and refuses a ledger rewritten whole with a consistent chain', async () => {
    const original = seeded();
    const head = new DigestStore(original.db).headAt(d('2027-01-01T00:00:00Z'));
    original.db.close();
    const anchor = `${head?.seq}:${head?.hash}`;
    const ok = await runCliCaptured(['verify', '--anchor', anchor], { STOPGAP_DB: original.path });
    expect([ok.code, ok.stdout]).toEqual([0, expect.stringContaining('1 anchor matched')]);

    // Someone replaces the database with one written afresh: its own chain verifies, the anchor does not.
    const forged = fresh();
    for (let i = 0; i < 14; i++) forged.ledger.create({ description: `innocent change ${i}`, actor: 'U0MALLORY' }, { now: d('2026-12-01T10:00:00Z'), defaultDueDays: 7 });
    forged.db.close();
    expect((await runCliCaptured(['verify'], { STOPGAP_DB: forged.path })).code).toBe(0);
    const refused = await runCliCaptured(['verify', '--anchor', anchor], { STOPGAP_DB: forged.path });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('Anchor 14: NOT matched');
    expect(refused.stdout).toContain('the hash chain is consistent, but it is not the history the anchors recorded');
    const gone = await runCliCaptured(['verify', '--anchor', `99:${head?.hash}`], { STOPGAP_DB: original.path });
    expect([gone.code, gone.stdout]).toEqual([1, expect.stringContaining('There is no event 99')]);
    expect((await runCliCaptured(['verify', '--anchor', '14:nothex'], { STOPGAP_DB: original.path })).code).toBe(2);
  });
});
