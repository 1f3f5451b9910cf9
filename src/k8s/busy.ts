import { isBusyError } from '../store/busy.js';
import type { Scheduler } from './scheduler.js';
import { realScheduler, sleep } from './scheduler.js';


export interface BusyRetryOptions {
  scheduler?: Scheduler;
  /** Stops waiting: the last busy error is thrown. */
  signal?: AbortSignal;
  random?: () => number;
  /** Tries in all, the first included. */
  attempts?: number;
  initialMs?: number;
  maxMs?: number;
}

/**
 * Runs a write (a whole transaction, which SQLite has rolled back when it answers busy) and, while
 * the database is busy, runs it again later with exponential backoff and jitter. The wait is a
 * timer, never a spin or a blocking sleep: the event loop (and Slack) carries on meanwhile. Any
 * other error, the last busy one, or an abort is thrown.
 */
export async function whenNotBusy<T>(write: () => T, options: BusyRetryOptions = {}): Promise<T> {
  const scheduler = options.scheduler ?? realScheduler;
  const random = options.random ?? Math.random;
  const attempts = options.attempts ?? 10;
  const initialMs = options.initialMs ?? 10;
  const maxMs = options.maxMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return write();
    } catch (err) {
      if (!isBusyError(err) || attempt >= attempts || options.signal?.aborted) throw err;
      const base = Math.min(maxMs, initialMs * 2 ** (attempt - 1));
      // Half to all of the delay: writers that collided do not try again in step.
      await sleep(scheduler, Math.round(base * (0.5 + 0.5 * random())), options.signal);
      if (options.signal?.aborted) throw err;
    }
  }
}
