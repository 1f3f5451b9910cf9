/**
 * What the digest reads: the changes as they stood at a moment and a week before, the ledger's head, and
 * the drift nobody has claimed. Most open changes of a large ledger have not moved for weeks: those
 * ("steady": open, logged two weeks or more before the moment, no event since a week before it) are
 * counted in groups by SQL from an index (migration 016); every other change that can count in a figure
 * is read, and those touched since a week before the moment are replayed from their events.
 */
import type { Db } from './db.js';
import { unclaimedObjects } from './findings-store.js';
import { buildDigest, OLDEST_SHOWN, type Digest, type DigestChange, type Scope, type SteadyGroup } from '../digest/model.js';
import type { ResourceRef } from '../ledger/model.js';
import { teamFor, type TeamConfig } from '../config/teams.js';

/** A change row as the digest reads it (raw, in column order: objects per row cost four times as much). */
type Row = [id: number, status: DigestChange['status'], owner: string, cluster: string | null, resources: string, createdAt: string, dueAt: string, snoozedUntil: string | null, closedAt: string | null, verified: number];

/** Rows read with a parser that keeps each distinct resources text parsed once. */
function rowReader(): (r: Row) => DigestChange {
  const parsed = new Map<string, ResourceRef[]>();
  return (r) => {
    let resources = parsed.get(r[4]);
    if (!resources) parsed.set(r[4], (resources = JSON.parse(r[4]) as ResourceRef[]));
    return { id: r[0], status: r[1], owner: r[2], cluster: r[3], resources, createdAt: r[5], dueAt: r[6], snoozedUntil: r[7], closedAt: r[8], verified: r[9] === 1 };
  };
}

/** The fields an event's patch may set, as the digest keeps them. */
const PATCHED = ['status', 'owner', 'cluster', 'resources', 'createdAt', 'dueAt', 'snoozedUntil', 'closedAt', 'verified'] as const;

export class DigestStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    // The changes touched since a week before the moment (read once, then passed to each statement as JSON).
    const touched = `SELECT value FROM json_each(@touched)`;
    const steady = `status IN ('open', 'in_review') AND created_at <= @twoWeeksAgo AND id NOT IN (${touched})`;
    const overdue = (at: string) => `due_at < ${at} AND NOT (snoozed_until IS NOT NULL AND snoozed_until > ${at})`;
    this.stmts = {
      // Changes with an event that moved their state after a moment (drift linked or unlinked patch nothing),
      // once per event: DISTINCT would walk the whole log by change instead of the time index.
      touched: db.prepare(`SELECT change_id FROM change_events WHERE at > ? AND type NOT IN ('drift_linked', 'drift_unlinked')`).pluck(),
      // Every change that is not steady and can count in a figure at a moment or a week before: logged in the
      // two weeks up to it, closed in the 91 days up to it, or touched since a week before it.
      rows: db
        .prepare(
          `SELECT id, status, owner, cluster, resources, created_at, due_at, snoozed_until, closed_at, verified FROM changes
           WHERE created_at <= @at AND id IN (
             SELECT id FROM changes WHERE status IN ('open', 'in_review') AND created_at > @twoWeeksAgo
             UNION ALL SELECT id FROM changes WHERE status NOT IN ('open', 'in_review') AND closed_at > @since
             UNION ALL ${touched})`,
        )
        .raw(),
      // Steady changes, counted per status, cluster, first object's namespace and kind, and owner, in index order.
      groups: db.prepare(
        `SELECT status, cluster, first_namespace AS namespace, first_kind AS kind, owner, count(*) AS count, min(created_at) AS oldest,
           sum(created_at > @weekAgo) AS underOneWeek, sum(created_at <= @weekAgo AND created_at > @fourWeeksAgo) AS oneToFourWeeks,
           sum(created_at <= @fourWeeksAgo AND created_at > @ninetyDaysAgo) AS oneToThreeMonths, sum(created_at <= @ninetyDaysAgo) AS older,
           sum(${overdue('@at')}) AS overdue, sum(${overdue('@weekAgo')}) AS overdueWeekAgo
         FROM changes WHERE ${steady}
         GROUP BY status, cluster, first_namespace, first_kind, owner`,
      ),
      // One group's changes, oldest first (the index's order).
      groupOldest: db
        .prepare(
          `SELECT id, status, owner, cluster, resources, created_at, due_at, snoozed_until, closed_at, verified FROM changes
           WHERE status IN ('open', 'in_review') AND status = @status AND cluster IS @cluster AND first_namespace IS @namespace AND first_kind IS @kind AND owner = @owner AND created_at <= @twoWeeksAgo
           ORDER BY created_at, id`,
        )
        .raw(),
      // The state-moving events up to a moment, of the touched changes.
      replay: db.prepare(`SELECT change_id AS id, at, data FROM change_events
        WHERE change_id IN (${touched}) AND at <= @at AND type NOT IN ('drift_linked', 'drift_unlinked')
        ORDER BY change_id, seq`),
      // Newest first by sequence (`+at`: not through the time index, which would sort every earlier event).
      headAt: db.prepare('SELECT seq, hash FROM change_events WHERE +at <= ? ORDER BY seq DESC LIMIT 1'),
      live: db.prepare('SELECT DISTINCT l.change_id AS id FROM drift_links l JOIN drift_findings f ON f.id = l.finding_id WHERE f.resolved_at IS NULL'),
    };
  }

  /** The digest for a team (null: everyone) as of `at`. */
  digest(opts: { at: Date; team: string | null; teams: readonly TeamConfig[] }): Digest {
    // Which team owns a change depends on its scope only: asked once per scope.
    const teams = new Map<string, string | null>();
    const teamOf = (s: Scope): string | null => {
      if (opts.teams.length === 0) return null;
      const key = `${s.cluster ?? ''}\u0000${s.namespace ?? ''}\u0000${s.kind ?? ''}`;
      let team = teams.get(key);
      if (team === undefined) teams.set(key, (team = teamFor(opts.teams, s)?.name ?? null));
      return team;
    };
    let unclaimed = 0;
    for (const f of unclaimedObjects(this.db)) {
      if (opts.team === null || teamFor(opts.teams, f)?.name === opts.team) unclaimed += 1;
    }
    const t = opts.at.getTime();
    const when = (daysBefore: number) => new Date(t - daysBefore * 86_400_000).toISOString();
    const weekAgo = when(7);
    const touched = [...new Set(this.stmts.touched.all(weekAgo) as number[])];
    const params = { at: opts.at.toISOString(), weekAgo, twoWeeksAgo: when(14), fourWeeksAgo: when(28), ninetyDaysAgo: when(90), since: when(91), touched: JSON.stringify(touched) };
    const groups = this.stmts.groups.all(params) as (SteadyGroup & { oldest: string; underOneWeek: number; oneToFourWeeks: number; oneToThreeMonths: number; older: number })[];
    const mine = groups
      .map((g) => ({ ...g, byAge: { underOneWeek: g.underOneWeek, oneToFourWeeks: g.oneToFourWeeks, oneToThreeMonths: g.oneToThreeMonths, older: g.older } }))
      .filter((g) => opts.team === null || teamOf(g) === opts.team);
    const rows = this.rowsOf(this.stmts.rows.iterate(params) as IterableIterator<Row>);
    const [changes, weekBefore] = this.asOf(rows, params);
    return buildDigest({
      at: opts.at,
      team: opts.team,
      changes,
      weekAgo: weekBefore,
      steady: { groups: mine, oldest: this.oldestOf(mine, params.twoWeeksAgo, new Set(touched)) },
      driftLive: new Set((this.stmts.live.all() as { id: number }[]).map((r) => r.id)),
      unclaimedDrift: unclaimed,
      teamOf,
      ledgerHead: this.headAt(opts.at),
    });
  }

  private rowsOf(rows: Iterable<Row>): DigestChange[] {
    const read = rowReader();
    const out: DigestChange[] = [];
    for (const row of rows) out.push(read(row));
    return out;
  }

  /**
   * The oldest steady changes of the groups that can hold one of the oldest ten: each of the ten lies in a
   * group whose oldest is no newer than the tenth-oldest group's oldest, and is among that group's first ten.
   */
  private oldestOf(groups: readonly (SteadyGroup & { oldest: string })[], twoWeeksAgo: string, touched: ReadonlySet<number>): DigestChange[] {
    if (groups.length === 0) return [];
    const cutoff = groups.map((g) => g.oldest).sort()[Math.min(OLDEST_SHOWN, groups.length) - 1] as string;
    const out: DigestChange[] = [];
    for (const g of groups) {
      if (g.oldest > cutoff) continue;
      const rows: Row[] = [];
      const query = { status: g.status, cluster: g.cluster, namespace: g.namespace, kind: g.kind, owner: g.owner, twoWeeksAgo };
      for (const row of this.stmts.groupOldest.iterate(query) as IterableIterator<Row>) {
        if (touched.has(row[0])) continue;
        rows.push(row);
        if (rows.length === OLDEST_SHOWN) break;
      }
      out.push(...this.rowsOf(rows));
    }
    return out;
  }

  /**
   * The changes read (rows as they are now) as they stood at the moment and a week before: those logged
   * later are dropped, and the touched ones are replayed from their events, read once for both.
   */
  private asOf(rows: readonly DigestChange[], params: { at: string; weekAgo: string; touched: string }): [DigestChange[], DigestChange[]] {
    const atMoment = new Map<number, Record<string, unknown>>();
    const weekBefore = new Map<number, Record<string, unknown>>();
    for (const e of this.stmts.replay.iterate(params) as IterableIterator<{ id: number; at: string; data: string }>) {
      const patch = (JSON.parse(e.data) as { patch?: Record<string, unknown> }).patch ?? {};
      for (const states of e.at <= params.weekAgo ? [atMoment, weekBefore] : [atMoment]) {
        const state = states.get(e.id) ?? {};
        for (const key of PATCHED) if (key in patch) state[key] = patch[key];
        states.set(e.id, state);
      }
    }
    const asOf = (upTo: string, replayed: Map<number, Record<string, unknown>>): DigestChange[] => {
      const out: DigestChange[] = [];
      for (const c of rows) {
        if (c.createdAt > upTo) continue;
        const state = replayed.get(c.id);
        out.push(state ? { ...c, ...(state as Partial<DigestChange>) } : c);
      }
      return out;
    };
    return [asOf(params.at, atMoment), asOf(params.weekAgo, weekBefore)];
  }

  /** The last event at or before `at`: the digest's anchor. */
  headAt(at: Date): { seq: number; hash: string } | null {
    return (this.stmts.headAt.get(at.toISOString()) as { seq: number; hash: string } | undefined) ?? null;
  }
}
