/**
 * What `/metrics` reads from the database at scrape time: open changes by age and drift findings by
 * cluster. Both are counts over partial indexes of the open changes and the active findings, so a
 * scrape costs a few milliseconds even on a large ledger.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

/** The weekly digest's age buckets (under a week, 1–4 weeks, 1–3 months, older), as label values. */
export type AgeBucket = 'under_1w' | '1w_to_4w' | '4w_to_90d' | 'over_90d';
export const AGE_BUCKETS: readonly AgeBucket[] = ['under_1w', '1w_to_4w', '4w_to_90d', 'over_90d'];

export interface OpenByAge {
  status: 'open' | 'in_review';
  age: AgeBucket;
  count: number;
}

export interface FindingsByCluster {
  cluster: string;
  /** Active drift findings. */
  active: number;
  /** Active findings no change explains that have waited past the grace period (drift.unclaimedAfter). */
  unclaimed: number;
}

const DAY_MS = 86_400_000;

export class MetricsStore {
  private readonly openByAgeStmt: Statement;
  private readonly findingsStmt: Statement;

  constructor(db: Db) {
    // Served from changes_open_groups (partial on open and in_review, created_at among its columns).
    this.openByAgeStmt = db.prepare(`SELECT status,
        CASE WHEN created_at > @w1 THEN 'under_1w' WHEN created_at > @w4 THEN '1w_to_4w'
             WHEN created_at > @d90 THEN '4w_to_90d' ELSE 'over_90d' END AS age,
        count(*) AS count
      FROM changes WHERE status IN ('open', 'in_review') GROUP BY status, age`);
    this.findingsStmt = db.prepare(`SELECT f.cluster, count(*) AS active,
        sum(l.finding_id IS NULL AND f.first_seen <= @cutoff) AS unclaimed
      FROM drift_findings f LEFT JOIN drift_links l ON l.finding_id = f.id
      WHERE f.resolved_at IS NULL GROUP BY f.cluster`);
  }

  /** Open and in-review changes by how long ago they were logged, every bucket present (0 when empty). */
  openByAge(now: Date): OpenByAge[] {
    const at = now.getTime();
    const iso = (ms: number) => new Date(ms).toISOString();
    const rows = this.openByAgeStmt.all({ w1: iso(at - 7 * DAY_MS), w4: iso(at - 28 * DAY_MS), d90: iso(at - 90 * DAY_MS) }) as OpenByAge[];
    const out: OpenByAge[] = [];
    for (const status of ['open', 'in_review'] as const) {
      for (const age of AGE_BUCKETS) out.push({ status, age, count: rows.find((r) => r.status === status && r.age === age)?.count ?? 0 });
    }
    return out;
  }

  /** Findings per cluster: every configured cluster present (0 when it has none), then any other with findings. */
  findingsByCluster(now: Date, unclaimedAfterMs: number, clusters: readonly string[]): FindingsByCluster[] {
    const rows = this.findingsStmt.all({ cutoff: new Date(now.getTime() - unclaimedAfterMs).toISOString() }) as FindingsByCluster[];
    const out = clusters.map((cluster) => ({ cluster, active: 0, unclaimed: 0 }));
    for (const r of rows) {
      const known = out.find((o) => o.cluster === r.cluster);
      if (known) Object.assign(known, { active: r.active, unclaimed: r.unclaimed ?? 0 });
      else out.push({ cluster: r.cluster, active: r.active, unclaimed: r.unclaimed ?? 0 });
    }
    return out;
  }
}
