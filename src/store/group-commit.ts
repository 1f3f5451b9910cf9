import type { Db } from './db.js';
import { DEFAULT_BUSY_DEADLINE_MS, isBusyError, ledgerBusyError } from './busy.js';

interface Pending<A, R> {
  arg: A;
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions {
  /** How long a batch may wait for another process's write lock before its callers are told. */
  busyDeadlineMs?: number;
}

/**
 * Group commit: calls made in the same event-loop turn run in one SQLite transaction, so a burst
 * of Slack requests pays for one commit instead of one each. `write` must be a transaction
 * function itself (better-sqlite3 nests it as a savepoint), so one failing call rolls back alone.
 * The promise settles only after the commit: a caller that acknowledges after awaiting it never
 * acknowledges a write a crash could lose. While another process holds the lock, the batch is retried
 * between event-loop turns (never blocking the loop) until the deadline, then rejected as busy.
 */
export function groupCommit<A, R>(db: Db, write: (arg: A) => R, opts: GroupCommitOptions = {}): (arg: A) => Promise<R> {
  const deadlineMs = opts.busyDeadlineMs ?? DEFAULT_BUSY_DEADLINE_MS;
  let queue: Pending<A, R>[] = [];
  const commit = (batch: Pending<A, R>[], started: number, delay: number): void => {
    if (!db.open) {
      const closed = new Error('the database was closed before this write could be committed');
      for (const p of batch) p.reject(closed);
      return;
    }
    const settle: (() => void)[] = [];
    try {
      db.transaction(() => {
        for (const p of batch) {
          try {
            const value = write(p.arg);
            settle.push(() => p.resolve(value));
          } catch (err) {
            // A busy error inside the batch means the whole commit must wait: let it abort the transaction.
            if (isBusyError(err)) throw err;
            settle.push(() => p.reject(err));
          }
        }
      }).immediate();
    } catch (err) {
      // The commit itself failed: nothing in the batch was written.
      const waited = Date.now() - started;
      if (isBusyError(err) && waited < deadlineMs) {
        const pause = Math.min(delay * (0.5 + Math.random()), deadlineMs - waited);
        setTimeout(() => commit(batch, started, Math.min(delay * 2, 200)), Math.max(1, pause));
        return;
      }
      const failure = isBusyError(err) ? ledgerBusyError(waited, err) : err;
      for (const p of batch) p.reject(failure);
      return;
    }
    for (const s of settle) s();
  };
  const flush = (): void => {
    const batch = queue;
    queue = [];
    commit(batch, Date.now(), 10);
  };
  return (arg) =>
    new Promise<R>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ arg, resolve, reject });
    });
}
