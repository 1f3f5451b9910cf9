/**
 * What the digest reads: every change as it stood at a moment (the rows as they are, with the changes
 * touched since that moment replayed from their events up to it), the ledger's head, and the drift
 * nobody has claimed.
 */
import type { Db } from './db.js';
import { unclaimedObjects } from './findings-store.js';
import { buildDigest, type Digest, type DigestChange } from '../digest/model.js';
import type { ResourceRef } from '../ledger/model.js';
import { teamFor, type TeamConfig } from '../config/teams.js';
import { teamOfChange } from '../nagging/settings.js';

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
    this.stmts = {
      // What a digest at a moment can count: open changes, and closed ones that closed or were logged in the
      // last 90 days, or moved since a week before it; a change closed long ago counts in no figure.
      rows: db
        .prepare(
          `SELECT id, status, owner, cluster, resources, created_at, due_at, snoozed_until, closed_at, verified FROM changes
           WHERE created_at <= @at AND (status IN ('open', 'in_review') OR closed_at > @since OR created_at > @since
             OR id IN (SELECT change_id FROM change_events WHERE at > @weekAgo AND type NOT IN ('drift_linked', 'drift_unlinked')))
           ORDER BY id`,
        )
        .raw(),
      // The state-moving events (not drift linked or unlinked, which patch nothing) up to a moment, of the
      // changes that had one after it.
      replay: db.prepare(`SELECT change_id AS id, data FROM change_events
        WHERE change_id IN (SELECT change_id FROM change_events WHERE at > ? AND type NOT IN ('drift_linked', 'drift_unlinked'))
          AND at <= ? AND type NOT IN ('drift_linked', 'drift_unlinked')
        ORDER BY change_id, seq`),
      // Newest first by sequence (`+at`: not through the time index, which would sort every earlier event).
      headAt: db.prepare('SELECT seq, hash FROM change_events WHERE +at <= ? ORDER BY seq DESC LIMIT 1'),
      live: db.prepare('SELECT DISTINCT l.change_id AS id FROM drift_links l JOIN drift_findings f ON f.id = l.finding_id WHERE f.resolved_at IS NULL'),
    };
  }

  /** The digest for a team (null: everyone) as of `at`. */
  digest(opts: { at: Date; team: string | null; teams: readonly TeamConfig[] }): Digest {
    // Which team owns a change depends on its cluster and first object only: asked once per such pair.
    const teams = new Map<string, string | null>();
    const teamOf = (c: Pick<DigestChange, 'cluster' | 'resources'>): string | null => {
      if (opts.teams.length === 0) return null;
      const first = c.resources[0];
      const key = `${c.cluster ?? ''}\u0000${first?.namespace ?? ''}\u0000${first?.kind ?? ''}`;
      let team = teams.get(key);
      if (team === undefined) teams.set(key, (team = teamOfChange(opts.teams, c)?.name ?? null));
      return team;
    };
    let unclaimed = 0;
    for (const f of unclaimedObjects(this.db)) {
      if (opts.team === null || teamFor(opts.teams, { cluster: f.cluster, ...(f.namespace ? { namespace: f.namespace } : {}), kind: f.kind })?.name === opts.team) unclaimed += 1;
    }
    // The rows are read once: as they stood at `at`, and a week before.
    const rows = this.rowsUpTo(opts.at);
    return buildDigest({
      at: opts.at,
      team: opts.team,
      changes: this.asOf(rows, opts.at),
      weekAgo: this.asOf(rows, new Date(opts.at.getTime() - 7 * 86_400_000)),
      driftLive: new Set((this.stmts.live.all() as { id: number }[]).map((r) => r.id)),
      unclaimedDrift: unclaimed,
      teamOf,
      ledgerHead: this.headAt(opts.at),
    });
  }

  private rowsUpTo(at: Date): DigestChange[] {
    const read = rowReader();
    const out: DigestChange[] = [];
    const t = at.getTime();
    const params = { at: at.toISOString(), since: new Date(t - 91 * 86_400_000).toISOString(), weekAgo: new Date(t - 7 * 86_400_000).toISOString() };
    for (const row of this.stmts.rows.iterate(params) as IterableIterator<Row>) out.push(read(row));
    return out;
  }

  /**
   * The changes (rows as they are now) as they stood at `at`: those logged since are dropped, and those
   * whose state moved since are replayed from their events up to `at`, all read in one statement.
   */
  private asOf(rows: readonly DigestChange[], at: Date): DigestChange[] {
    const iso = at.toISOString();
    const replayed = new Map<number, Record<string, unknown>>();
    for (const e of this.stmts.replay.iterate(iso, iso) as IterableIterator<{ id: number; data: string }>) {
      const patch = (JSON.parse(e.data) as { patch?: Record<string, unknown> }).patch ?? {};
      const state = replayed.get(e.id) ?? {};
      for (const key of PATCHED) if (key in patch) state[key] = patch[key];
      replayed.set(e.id, state);
    }
    const out: DigestChange[] = [];
    for (const c of rows) {
      if (Date.parse(c.createdAt) > at.getTime()) continue;
      const state = replayed.get(c.id);
      out.push(state ? { ...c, ...(state as Partial<DigestChange>) } : c);
    }
    return out;
  }

  /** The last event at or before `at`: the digest's anchor. */
  headAt(at: Date): { seq: number; hash: string } | null {
    return (this.stmts.headAt.get(at.toISOString()) as { seq: number; hash: string } | undefined) ?? null;
  }
}
