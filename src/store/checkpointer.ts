import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import type { Db } from './db.js';

/**
 * WAL checkpoints off the event loop. SQLite runs a checkpoint inside the commit that takes the log past
 * `wal_autocheckpoint` pages: that commit copies the log into the database file and fsyncs both, which
 * blocked the event loop (and every request waiting for that group commit) for 10 to 100 ms and more on a
 * busy disk. A worker thread with a connection of its own checkpoints instead; the server's connection
 * only does when the log has grown far past where the worker starts it over (see `restartPages`), as a
 * bound should the worker fall behind. Commits are exactly as durable as before: a commit is on record
 * once it is in the log, and a checkpoint only copies it into the main file.
 */

export interface CheckpointerOptions {
  logger: Logger;
  /** How often the worker copies new commits into the database file. */
  intervalMs?: number;
  /**
   * Log length (pages) past which the worker also starts the log over. A passive checkpoint never waits
   * for the writer, so while commits keep coming the log is never found fully copied and would only grow;
   * starting it over needs the write lock for a moment, which the server's writes wait out off the event
   * loop like any other lock (the group commit retries). Should writes come too densely for the worker
   * to get the lock, the server's own connection checkpoints at twice this length.
   */
  restartPages?: number;
}

const DEFAULT_INTERVAL_MS = 250;
/** 16 MiB of 4 KiB pages; SQLite's own checkpoint runs every 1,000 pages. */
const DEFAULT_RESTART_PAGES = 4_000;
/** A log file that grew during a burst is cut back to this when it starts over. */
const LOG_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * The worker, as source: it runs the same from `src/` (tests) and `dist/` (production), with no file of
 * its own to find. On an error other than a lock it reports and stops; the server then checkpoints itself.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const report = (err) => parentPort.postMessage({ failed: String((err && err.message) || err) });
const busy = (err) => /^SQLITE_(BUSY|LOCKED)/.test(String(err && err.code));
let db;
try {
  db = new Database(workerData.path, { fileMustExist: true });
  db.pragma('synchronous = NORMAL');
  // Only starting the log over waits (for the writer to finish its transaction); a copy never does.
  db.pragma('busy_timeout = 1000');
  db.pragma('journal_size_limit = ' + workerData.sizeLimit);
} catch (err) {
  report(err);
  process.exit(0);
}
const timer = setInterval(() => {
  try {
    const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)');
    if (log >= workerData.restartPages) db.pragma('wal_checkpoint(RESTART)');
  } catch (err) {
    if (busy(err)) return;
    clearInterval(timer);
    report(err);
    db.close();
    process.exit(0);
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stops the worker; the server's connection checkpoints for itself again (and when it closes). */
  stop(): Promise<void>;
}

/**
 * Moves the checkpoints of `db` (the server's connection to a database file in WAL mode) to a worker
 * thread. Should the worker fail, `db` checkpoints for itself again, so the log never grows unbounded.
 */
export function startCheckpointer(db: Db, opts: CheckpointerOptions): Checkpointer {
  if (db.memory || db.name === '' || (db.pragma('journal_mode', { simple: true }) as string) !== 'wal') return { stop: async () => undefined };
  const autocheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  const restore = () => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
  };
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      path: db.name,
      sqlite: createRequire(import.meta.url).resolve('better-sqlite3'),
      intervalMs: opts.intervalMs ?? DEFAULT_INTERVAL_MS,
      restartPages: opts.restartPages ?? DEFAULT_RESTART_PAGES,
      sizeLimit: LOG_SIZE_LIMIT_BYTES,
    },
  });
  // The worker never keeps alive a process that has nothing else to do.
  worker.unref();
  let stopping = false;
  let fellBack = false;
  const fallBack = (reason: string) => {
    if (stopping || fellBack) return;
    fellBack = true;
    opts.logger.warn({ reason }, 'the checkpoint worker stopped; the server checkpoints the database itself again');
    restore();
  };
  worker.on('message', (m: { failed?: string }) => {
    if (m.failed) fallBack(m.failed);
  });
  worker.on('error', (err) => fallBack(err.message));
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      fallBack(`exit code ${code}`);
      resolve();
    }),
  );
  db.pragma(`wal_autocheckpoint = ${2 * (opts.restartPages ?? DEFAULT_RESTART_PAGES)}`);
  db.pragma(`journal_size_limit = ${LOG_SIZE_LIMIT_BYTES}`);
  return {
    stop: async () => {
      if (stopping) return;
      stopping = true;
      restore();
      // Held open until the worker has closed its connection: an unreferenced worker would let the
      // process end (with exit code 0) while this is still awaited.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
