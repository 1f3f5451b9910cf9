import type { Db } from './db.js';
import { DEFAULT_BUSY_DEADLINE_MS, isBusyError, ledgerBusyError } from './busy.js';

interface Pending<A, R> {
  arg: A;
  queuedAt: number;
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions {
  /** How long a write may wait for another process's write lock before its caller is told. */
  busyDeadlineMs?: number;
}

/**
 * Group commit: calls made in the same event-loop turn run in one SQLite transaction, so a burst
 * of Slack requests pays for one commit instead of one each. `write` must be a transaction
 * function itself (better-sqlite3 nests it as a savepoint), so one failing call rolls back alone.
 * The promise settles only after the commit: a caller that acknowledges after awaiting it never
 * acknowledges a write a crash could lose.
 *
 * While another process holds the lock, the queue waits between event-loop turns (never blocking the
 * loop) and is retried whole, oldest first, so writes commit in the order they were asked for; a
 * write that has waited past the deadline is rejected as busy and never committed.
 */
export function groupCommit<A, R>(db: Db, write: (arg: A) => R, opts: GroupCommitOptions = {}): (arg: A) => Promise<R> {
  const deadlineMs = opts.busyDeadlineMs ?? DEFAULT_BUSY_DEADLINE_MS;
  let queue: Pending<A, R>[] = [];
  let scheduled = false;
  let delay = 10;

  const schedule = (afterMs?: number): void => {
    if (scheduled) return;
    scheduled = true;
    if (afterMs === undefined) setImmediate(flush);
    else setTimeout(flush, afterMs);
  };

  function flush(): void {
    scheduled = false;
    const now = Date.now();
    // Give up on writes that waited too long, before trying: they must never land after the person was told.
    const expired = queue.filter((p) => now - p.queuedAt >= deadlineMs);
    if (expired.length > 0) {
      queue = queue.filter((p) => now - p.queuedAt < deadlineMs);
      for (const p of expired) p.reject(ledgerBusyError(now - p.queuedAt));
    }
    if (queue.length === 0) return;
    if (!db.open) {
      const closed = new Error('the database was closed before this write could be committed');
      const batch = queue;
      queue = [];
      for (const p of batch) p.reject(closed);
      return;
    }
    const batch = queue;
    queue = [];
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
      if (isBusyError(err)) {
        // Nothing was written: put the batch back in front of anything that arrived meanwhile.
        queue = [...batch, ...queue];
        const oldest = Math.min(...queue.map((p) => p.queuedAt));
        const left = deadlineMs - (Date.now() - oldest);
        schedule(Math.max(1, Math.min(delay * (0.5 + Math.random()), left)));
        delay = Math.min(delay * 2, 200);
        return;
      }
      // The commit itself failed: nothing in the batch was written.
      for (const p of batch) p.reject(err);
      if (queue.length > 0) schedule();
      return;
    }
    delay = 10;
    for (const s of settle) s();
    if (queue.length > 0) schedule();
  }

  return (arg) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ arg, queuedAt: Date.now(), resolve, reject });
      schedule();
    });
}
