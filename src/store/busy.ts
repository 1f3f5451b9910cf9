import { StopgapError } from '../errors.js';

/**
 * SQLite's own busy handler sleeps inside the call, which blocks the whole event loop (health checks,
 * other requests, the watcher) for as long as another process holds the write lock. The connection's
 * busy timeout is therefore kept to a few milliseconds, and waiting happens here, between turns.
 */
export const BUSY_TIMEOUT_MS = 5;

/** How long a person's write may wait for the lock before they are told it was not saved. */
export const DEFAULT_BUSY_DEADLINE_MS = 2_000;

export function isBusyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY_'));
}

export function ledgerBusyError(waitedMs: number, cause?: unknown): StopgapError {
  return new StopgapError(
    'ledger_busy',
    `The ledger database stayed locked by another process for ${(waitedMs / 1000).toFixed(1)} s; nothing was saved. Try again in a moment.`,
    { cause },
  );
}

export interface BusyRetryOptions {
  /** Give up (with a `ledger_busy` error) once this much time has passed. */
  deadlineMs?: number;
  /** First back-off; doubles up to `maxDelayMs`, with jitter so competing writers spread out. */
  firstDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (attempt: number) => void;
}

/**
 * Runs a synchronous SQLite write, retrying asynchronously with back-off while the database is locked.
 * Any other error is thrown at once.
 */
export async function retryWhileBusy<T>(write: () => T, opts: BusyRetryOptions = {}): Promise<T> {
  const deadline = opts.deadlineMs ?? DEFAULT_BUSY_DEADLINE_MS;
  const started = Date.now();
  let delay = opts.firstDelayMs ?? 10;
  const maxDelay = opts.maxDelayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return write();
    } catch (err) {
      if (!isBusyError(err)) throw err;
      const waited = Date.now() - started;
      if (waited >= deadline) throw ledgerBusyError(waited, err);
      opts.onRetry?.(attempt);
      const pause = Math.min(delay * (0.5 + Math.random()), deadline - waited);
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, pause)));
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}
