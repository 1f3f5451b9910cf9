import type { Db } from './db.js';

interface Pending<A, R> {
  arg: A;
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: calls made in the same event-loop turn run in one SQLite transaction, so a burst
 * of Slack requests pays for one commit instead of one each. `write` must be a transaction
 * function itself (better-sqlite3 nests it as a savepoint), so one failing call rolls back alone.
 */
export function groupCommit<A, R>(db: Db, write: (arg: A) => R): (arg: A) => Promise<R> {
  let queue: Pending<A, R>[] = [];
  const flush = (): void => {
    const batch = queue;
    queue = [];
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
            settle.push(() => p.reject(err));
          }
        }
      }).immediate();
    } catch (err) {
      // The commit itself failed: nothing in the batch was written.
      for (const p of batch) p.reject(err);
      return;
    }
    for (const s of settle) s();
  };
  return (arg) =>
    new Promise<R>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ arg, resolve, reject });
    });
}
