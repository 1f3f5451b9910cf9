import { loadServeConfig, type ServeConfig } from './config/config.js';
import { createLogger, type Logger } from './log.js';
import { registerKnownSecrets } from './redact.js';
import { openMigratedDb, type Db } from './store/db.js';
import { LedgerStore } from './store/ledger-store.js';
import { createMetrics } from './http/metrics.js';
import { operationalRoutes } from './http/routes.js';
import { createSlackApp, startSlackApp } from './slack/app.js';
import { dirname, resolve } from 'node:path';
import { ensureFingerprintKey } from './drift/findings.js';
import { makeFingerprint } from './drift/fingerprint.js';
import { logDriftEvent } from './k8s/drift-log.js';
import { scanSettingsFrom } from './k8s/scanner.js';
import { startDriftWatch, type DriftWatch } from './k8s/watcher.js';

export interface Server {
  port: number;
  config: ServeConfig;
  db: Db;
  ledger: LedgerStore;
  logger: Logger;
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Where log lines go (tests capture them to prove nothing secret is logged). */
  logDestination?: NodeJS.WritableStream;
  now?: () => Date;
}

/** The composition root: config → db → migrations → adapters → start. The only wiring. */
export async function startServer(opts: StartOptions = {}): Promise<Server> {
  const config = loadServeConfig(opts.env ?? process.env);
  // The app's own credentials are masked wherever they turn up: pasted into /fix, echoed, stored, logged.
  registerKnownSecrets([config.slack.botToken, config.slack.signingSecret, config.slack.mode === 'socket' ? config.slack.appToken : undefined]);
  const logger = createLogger({ level: config.logLevel, destination: opts.logDestination });
  const db = openMigratedDb(config.dbPath);
  const ledger = new LedgerStore(db);
  const metrics = createMetrics({ defaultMetrics: true, statusCounts: () => ledger.statusCounts() });
  const app = createSlackApp({
    config,
    ledger,
    logger,
    metrics,
    now: opts.now ?? (() => new Date()),
    customRoutes: operationalRoutes({ db, metrics }),
  });
  const running = await startSlackApp(app, config.port);
  const drift = startDrift(config, db, logger, opts.env ?? process.env);
  logger.info(
    { port: running.port, mode: config.slack.mode, db: config.dbPath, changes: ledger.count(), clusters: config.file.clusters.map((c) => c.name) },
    'stopgap started',
  );
  let stopped = false;
  return {
    port: running.port,
    config,
    db,
    ledger,
    logger,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      // Stop taking requests, let writes already queued for a group commit land, then close.
      await running.stop();
      await new Promise((resolve) => setImmediate(resolve));
      await drift?.stop();
      db.close();
      logger.info('stopgap stopped');
    },
  };
}

/** Watches every configured cluster in the background; a broken cluster retries on its own. */
function startDrift(config: ServeConfig, db: Db, logger: Logger, env: NodeJS.ProcessEnv): DriftWatch | undefined {
  if (config.file.clusters.length === 0) {
    logger.info('no clusters configured: drift detection is off (add clusters to stopgap.yml)');
    return undefined;
  }
  const log = logger.child({ component: 'drift' });
  return startDriftWatch(config.file.clusters, {
    db,
    drift: config.file.drift,
    settings: scanSettingsFrom(config.file.drift),
    fingerprint: makeFingerprint(ensureFingerprintKey(db)),
    env,
    baseDir: config.configPath ? dirname(resolve(config.configPath)) : process.cwd(),
    emit: (event) => logDriftEvent(log, event),
  });
}
