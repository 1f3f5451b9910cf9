import { StopgapError } from '../errors.js';

/**
 * SQLite's own busy handler sleeps inside the call, which blocks the whole event loop (health checks,
 * other requests, the watcher) for as long as another process holds the write lock. The server's
 * connection therefore keeps its busy timeout to a few milliseconds, and waits between turns of the
 * event loop instead: the group commit for the ledger, `k8s/busy.ts` for the scanner.
 */
export const BUSY_TIMEOUT_MS = 5;

/** How long a person's write may wait for the lock before they are told it was not saved. */
export const DEFAULT_BUSY_DEADLINE_MS = 2_000;

/** SQLite refused because another connection holds the lock (once the busy timeout ran out). */
export function isBusyError(err: unknown): boolean {
  const code = err !== null && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)(_|$)/.test(code);
}

export function ledgerBusyError(waitedMs: number, cause?: unknown): StopgapError {
  return new StopgapError(
    'ledger_busy',
    `The ledger database stayed locked by another process for ${(waitedMs / 1000).toFixed(1)} s; nothing was saved. Try again in a moment.`,
    { cause },
  );
}

/**
 * Runs a write that must not be lost to a moment's lock (Slack already has the message it records),
 * waiting out another process's lock for up to `maxMs` between event-loop turns.
 */
export async function whileBusy(write: () => void, maxMs = 45_000): Promise<void> {
  for (let waited = 0; ; waited += 50) {
    try {
      write();
      return;
    } catch (err) {
      if (!isBusyError(err) || waited >= maxMs) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
