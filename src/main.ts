import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configBaseDir, loadServeConfig, type ServeConfig } from './config/config.js';
import { createLogger, type Logger } from './log.js';
import { registerKnownSecrets } from './redact.js';
import { openMigratedDb, type Db } from './store/db.js';
import { BUSY_TIMEOUT_MS } from './store/busy.js';
import { ensureFingerprintKey } from './store/findings-store.js';
import { LedgerStore } from './store/ledger-store.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { metricsRoute, operationalRoutes, type Readiness } from './http/routes.js';
import { closeServer, listenRoutes } from './http/server.js';
import { createSlackApp, startSlackApp } from './slack/app.js';
import { slackClientOptions } from './slack/context.js';
import { resolveBotIdentity, type ResolveIdentityOptions } from './slack/identity.js';
import { makeFingerprint } from './drift/fingerprint.js';
import { logDriftEvent } from './k8s/drift-log.js';
import { scanSettingsFrom } from './k8s/scanner.js';
import { startDriftWatch, type DriftWatch } from './k8s/watcher.js';

export interface Server {
  port: number;
  /** The separate metrics port, when METRICS_PORT is set. */
  metricsPort?: number;
  config: ServeConfig;
  db: Db;
  ledger: LedgerStore;
  logger: Logger;
  metrics: Metrics;
  readiness: Readiness;
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Where log lines go (tests capture them to prove nothing secret is logged). */
  logDestination?: NodeJS.WritableStream;
  now?: () => Date;
  /** Start-up retries while asking Slack who the bot is (tests shorten them). */
  identity?: Pick<ResolveIdentityOptions, 'attempts' | 'firstDelayMs'>;
  /** How long a request may wait for a locked database, and for its listener before it is acknowledged. */
  timings?: { busyDeadlineMs?: number; ackDeadlineMs?: number };
}

/** The composition root: config → db → migrations → adapters → start. The only wiring. */
export async function startServer(opts: StartOptions = {}): Promise<Server> {
  const config = loadServeConfig(opts.env ?? process.env);
  // The app's own credentials are masked wherever they turn up: pasted into /fix, echoed, stored, logged.
  registerKnownSecrets([config.slack.botToken, config.slack.signingSecret, config.slack.mode === 'socket' ? config.slack.appToken : undefined]);
  const logger = createLogger({ level: config.logLevel, destination: opts.logDestination });
  const db = openMigratedDb(config.dbPath);
  // Migrations may wait for a lock; from here on no call may block the event loop waiting for one.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const cleanups: (() => Promise<void> | void)[] = [
    () => {
      db.close();
    },
  ];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const identity = await resolveBotIdentity(config.slack.botToken, {
      slackApiUrl: slackClientOptions(config).slackApiUrl,
      logger,
      ...opts.identity,
    });
    const ledger = new LedgerStore(db, { busyDeadlineMs: opts.timings?.busyDeadlineMs });
    const metrics = createMetrics({ defaultMetrics: true, statusCounts: () => ledger.statusCounts() });
    const readiness: Readiness = { slack: 'starting' };
    let metricsServer: HttpServer | undefined;
    if (config.metricsPort !== undefined) {
      metricsServer = await listenRoutes([metricsRoute(metrics)], config.metricsPort, logger);
      const s = metricsServer;
      cleanups.push(() => closeServer(s));
    }
    const routes = operationalRoutes({ db, metrics, readiness, metricsOnMainPort: metricsServer === undefined });
    const app = createSlackApp({
      config,
      ledger,
      logger,
      metrics,
      identity,
      ackDeadlineMs: opts.timings?.ackDeadlineMs,
      now: opts.now ?? (() => new Date()),
      customRoutes: routes,
    });
    const onConnection = (state: 'connected' | 'disconnected') => {
      if (readiness.slack !== state) logger.info({ slack: state }, state === 'connected' ? 'connected to Slack' : 'disconnected from Slack');
      readiness.slack = state;
    };
    const running = await startSlackApp(app, config.port, { logger, onConnection, customRoutes: routes });
    cleanups.push(() => running.stop());
    const drift = startDrift(config, db, logger, opts.env ?? process.env);
    logger.info(
      { port: running.port, mode: config.slack.mode, db: config.dbPath, changes: ledger.count(), clusters: config.file.clusters.map((c) => c.name) },
      'stopgap started',
    );
    let stopped = false;
    return {
      port: running.port,
      metricsPort: metricsServer ? (metricsServer.address() as AddressInfo).port : undefined,
      config,
      db,
      ledger,
      logger,
      metrics,
      readiness,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        // Stop taking requests, let writes already queued for a group commit land, then close.
        readiness.slack = 'disconnected';
        await running.stop();
        await new Promise((resolve) => setImmediate(resolve));
        await drift?.stop();
        cleanups.pop();
        await cleanup();
        logger.info('stopgap stopped');
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
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
    baseDir: configBaseDir(config),
    emit: (event) => logDriftEvent(log, event),
  });
}
