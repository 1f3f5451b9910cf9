/**
 * Retention: drift history older than `retention:` in stopgap.yml is deleted so the database does not
 * grow without bound. Scan runs go once started longer ago than `scanRuns`; findings once resolved
 * longer ago than `resolvedFindings`, with the rows that point at them (their link, the question
 * asked about them, the nudge sent about them), unless linked to a change that is still open (its
 * reconciliation reads them). The ledger's changes and hash-chained events are never touched: the
 * evidence of how a change closed lives there.
 *
 * Deletes run in small transactions with the event loop's turn between them, so `serve` keeps
 * answering Slack within its 3 seconds.
 */
import type { RetentionConfig } from '../config/lifecycle.js';
import type { Logger } from '../log.js';
import { realScheduler, yieldToEventLoop, type Scheduler } from '../k8s/scheduler.js';
import { isBusyError } from './busy.js';
import type { Db } from './db.js';

/** Rows deleted per transaction. */
export const RETENTION_BATCH = 500;
/** How often serve deletes what has expired. */
export const RETENTION_EVERY_MS = 3_600_000;

export interface PruneResult {
  scanRuns: number;
  findings: number;
}

function statements(db: Db, batch: number) {
  return {
    // Oldest first by id (rows are written in time order), so a batch never walks the rows it keeps.
    scanRuns: db.prepare(`SELECT id, started_at < @cutoff AS expired FROM drift_scan_runs ORDER BY id LIMIT ${batch}`),
    deleteRun: db.prepare('DELETE FROM drift_scan_runs WHERE id = ?'),
    findings: db.prepare(`SELECT f.id FROM drift_findings f
      WHERE f.resolved_at IS NOT NULL AND f.resolved_at < @cutoff
        AND NOT EXISTS (SELECT 1 FROM drift_links l JOIN changes c ON c.id = l.change_id
                        WHERE l.finding_id = f.id AND c.status IN ('open', 'in_review'))
      ORDER BY f.resolved_at LIMIT ${batch}`),
    deleteFinding: [
      db.prepare('DELETE FROM drift_links WHERE finding_id = ?'),
      db.prepare('DELETE FROM drift_questions WHERE finding_id = ?'),
      db.prepare('DELETE FROM drift_nudges WHERE finding_id = ?'),
      db.prepare('DELETE FROM drift_findings WHERE id = ?'),
    ],
  };
}

/**
 * Deletes everything expired at `now`, `batch` rows per transaction, yielding to the event loop
 * between transactions. Returns how many rows of each went.
 */
export async function pruneExpired(db: Db, now: Date, retention: RetentionConfig, opts: { batch?: number; yieldBetween?: () => Promise<void> } = {}): Promise<PruneResult> {
  const batch = opts.batch ?? RETENTION_BATCH;
  const pause = opts.yieldBetween ?? yieldToEventLoop;
  const s = statements(db, batch);
  const result: PruneResult = { scanRuns: 0, findings: 0 };
  const runsCutoff = new Date(now.getTime() - retention.scanRuns).toISOString();
  for (;;) {
    const rows = s.scanRuns.all({ cutoff: runsCutoff }) as { id: number; expired: 0 | 1 }[];
    const expired = rows.filter((r) => r.expired === 1);
    if (expired.length > 0) {
      db.transaction(() => {
        for (const r of expired) s.deleteRun.run(r.id);
      })();
      result.scanRuns += expired.length;
    }
    // A run too young to go, or no full batch: the rest are younger still.
    if (expired.length < rows.length || rows.length < batch) break;
    await pause();
  }
  const findingsCutoff = new Date(now.getTime() - retention.resolvedFindings).toISOString();
  for (;;) {
    const ids = (s.findings.all({ cutoff: findingsCutoff }) as { id: number }[]).map((r) => r.id);
    if (ids.length === 0) break;
    db.transaction(() => {
      for (const id of ids) for (const del of s.deleteFinding) del.run(id);
    })();
    result.findings += ids.length;
    if (ids.length < batch) break;
    await pause();
  }
  return result;
}

/**
 * Runs {@link pruneExpired} soon after start and then every `everyMs` on `scheduler`. A database
 * another process holds locked is left for the next run. `stop` cancels the schedule and waits for a
 * run in progress.
 */
export function scheduleRetention(deps: { db: Db; retention: RetentionConfig; logger: Logger; now: () => Date; scheduler?: Scheduler; everyMs?: number; firstAfterMs?: number }): { stop(): Promise<void> } {
  const scheduler = deps.scheduler ?? realScheduler;
  const log = deps.logger.child({ component: 'retention' });
  let running: Promise<PruneResult | undefined> | undefined;
  let cancel: (() => void) | undefined;
  let stopped = false;
  const run = (): Promise<PruneResult | undefined> => {
    running ??= pruneExpired(deps.db, deps.now(), deps.retention)
      .then((r) => {
        if (r.scanRuns + r.findings > 0) log.info({ scanRuns: r.scanRuns, findings: r.findings }, 'expired drift history deleted');
        return r;
      })
      .catch((err: unknown) => {
        if (isBusyError(err)) log.warn('retention skipped: the database is locked; the next run tries again');
        else log.error({ err }, 'retention failed; the next run tries again');
        return undefined;
      })
      .finally(() => (running = undefined));
    return running;
  };
  const next = (ms: number) => {
    if (stopped) return;
    cancel = scheduler.after(ms, () => {
      void run().finally(() => next(deps.everyMs ?? RETENTION_EVERY_MS));
    });
  };
  next(deps.firstAfterMs ?? 60_000);
  return {
    async stop() {
      stopped = true;
      cancel?.();
      await running;
    },
  };
}
