import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configBaseDir, credentialsOf, loadServeConfig, type ServeConfig } from './config/config.js';
import { createLogger, type Logger } from './log.js';
import { registerKnownSecrets } from './redact.js';
import { openMigratedDb, type Db } from './store/db.js';
import { startCheckpointer } from './store/checkpointer.js';
import { BUSY_TIMEOUT_MS } from './store/busy.js';
import { ensureFingerprintKey } from './store/findings-store.js';
import { LedgerStore } from './store/ledger-store.js';
import { LinksStore, logLinkOutcome } from './store/links-store.js';
import { DriftPostsStore } from './store/drift-posts-store.js';
import { ChangeMessagesStore } from './store/change-messages-store.js';
import { DriftIgnoresStore } from './store/drift-ignores-store.js';
import { followUpQueue } from './slack/follow-ups.js';
import { personLabel, personOf, slackUserLookup, type SlackUserLookup } from './slack/people.js';
import { WebClient } from '@slack/web-api';
import { Reconciler } from './store/reconciler.js';
import { startDriftNotices } from './slack/drift-notices.js';
import { createReminders, scheduleReminders, type Reminders } from './slack/reminders.js';
import { NagStore } from './store/nag-store.js';
import { createZones } from './slack/zones.js';
import { createDigests, scheduleDigests, type Digests } from './slack/digests.js';
import { DigestStore } from './store/digest-store.js';
import { DigestPostsStore } from './store/digest-posts-store.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { MetricsStore } from './store/metrics-store.js';
import { metricsRoute, operationalRoutes, readinessOf, SERVING_CHECKS, type Readiness } from './http/routes.js';
import { auditRoute } from './http/audit-route.js';
import { AuditStore } from './store/audit-store.js';
import { closeServer, listenRoutes } from './http/server.js';
import { createSlackApp, startSlackApp } from './slack/app.js';
import { slackClientOptions } from './slack/context.js';
import { appHomeUrl, resolveBotIdentity, type ResolveIdentityOptions } from './slack/identity.js';
import { makeFingerprint } from './drift/fingerprint.js';
import { logDriftEvent } from './k8s/drift-log.js';
import { scanSettingsFrom } from './k8s/scan-settings.js';
import { startDriftWatch } from './k8s/watch-supervisor.js';
import { scheduleRetention } from './store/retention.js';
import { codifyChange } from './codify/for-change.js';

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
  /** Reminders and escalations: tests drive ticks with their own clock. */
  reminders: Reminders;
  /** The weekly digests: tests run them with their own clock. */
  digests: Digests;
  /** Brings drift posts and nudges in line with the findings now (the demo runs a pass when its clock jumps). */
  syncDriftNotices(): Promise<void>;
  /** Asks Slack's Web API whether it is there, as the schedule does every 30 s (tests call it themselves). */
  checkSlack(): Promise<void>;
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
  /** Run the reminder schedule (node-cron, every minute); tests that drive ticks themselves turn it off. */
  schedules?: boolean;
}

/** How often Slack's Web API is asked whether it is there (auth.test), for `/readyz`'s `slack-api` check. */
const SLACK_PROBE_MS = 30_000;

/** The composition root: config → db → migrations → adapters → start. The only wiring. */
export async function startServer(opts: StartOptions = {}): Promise<Server> {
  const config = loadServeConfig(opts.env ?? process.env);
  // The app's own credentials are masked wherever they turn up: pasted into /fix, echoed, stored, logged.
  registerKnownSecrets(credentialsOf(config));
  const logger = createLogger({ level: config.logLevel, destination: opts.logDestination });
  const db = openMigratedDb(config.dbPath);
  // Migrations may wait for a lock; from here on no call may block the event loop waiting for one.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // The log is checkpointed into the database file by a worker thread, not inside a commit on the event loop.
  const checkpointer = startCheckpointer(db, { logger });
  const cleanups: (() => Promise<void> | void)[] = [
    () => {
      db.close();
    },
    () => checkpointer.stop(),
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
    const links = new LinksStore(db, ledger);
    const posts = new DriftPostsStore(db);
    const messages = new ChangeMessagesStore(db);
    const ignores = new DriftIgnoresStore(db, ledger, links);
    const followUps = followUpQueue({ logger });
    // Who made drift, as Slack users: audit.users first, else Slack's lookup by e-mail (cached).
    const gauges = new MetricsStore(db);
    const now = opts.now ?? (() => new Date());
    const metrics = createMetrics({
      defaultMetrics: true,
      ready: () => readinessOf(db, readiness, SERVING_CHECKS).ready,
      statusCounts: () => ledger.statusCounts(),
      openByAge: () => gauges.openByAge(now()),
      findingsByCluster: () => gauges.findingsByCluster(now(), config.file.drift.unclaimedAfter, config.file.clusters.map((c) => c.name)),
      clusters: config.file.clusters.map((c) => c.name),
    });
    const slackUsers = slackUserLookup({ users: config.file.audit.users, client: new WebClient(config.slack.botToken, slackClientOptions(config, metrics)), logger });
    // Slack answered auth.test just now (identity); from here every client's transport keeps this up to date.
    metrics.slackApi.state = 'up';
    const readiness: Readiness = {
      slack: 'starting',
      get slackApi() {
        return metrics.slackApi.state;
      },
      clusters: () => metrics.clusterSync(),
    };
    // Slack's Web API asked now and then, so /readyz notices it going away (and coming back) when nothing else calls it.
    const probeClient = new WebClient(config.slack.botToken, { ...slackClientOptions(config, metrics), retryConfig: { retries: 0 }, timeout: 5_000 });
    const checkSlack = async () => {
      await probeClient.auth.test().catch(() => undefined);
    };
    if (opts.schedules !== false) {
      const probe = setInterval(() => void checkSlack(), SLACK_PROBE_MS);
      probe.unref();
      cleanups.push(() => clearInterval(probe));
    }
    let metricsServer: HttpServer | undefined;
    if (config.metricsPort !== undefined) {
      metricsServer = await listenRoutes([metricsRoute(metrics)], config.metricsPort, logger);
      const s = metricsServer;
      cleanups.push(() => closeServer(s));
    }
    const routes = operationalRoutes({ db, metrics, readiness, metricsOnMainPort: metricsServer === undefined });
    // The Kubernetes audit webhook, when a token is configured: on its own port if asked, else beside Slack's.
    const audit = config.file.audit;
    const auditStore = new AuditStore(db);
    if (audit.token || config.file.clusters.some((c) => c.auditToken)) {
      const now = opts.now ?? (() => new Date());
      const route = auditRoute({
        audit,
        clusters: config.file.clusters,
        store: auditStore,
        logger,
        now,
        fingerprint: makeFingerprint(ensureFingerprintKey(db)),
        sensitivePointers: config.file.drift.sensitivePointers,
        onBatch: (outcome) => metrics.auditBatches.inc({ outcome }),
        onEvents: (outcome, n) => metrics.auditEvents.inc({ outcome }, n),
      });
      // Retention: events older than audit.retention go, at start-up and hourly.
      const purge = () => {
        try {
          const gone = auditStore.purge(now(), audit.retention);
          if (gone > 0) logger.info({ deleted: gone }, 'old audit events deleted');
        } catch (err) {
          logger.warn({ err }, 'could not delete old audit events; the next hour tries again');
        }
      };
      purge();
      const purgeTimer = setInterval(purge, 3_600_000);
      purgeTimer.unref();
      cleanups.push(() => clearInterval(purgeTimer));
      if (audit.port === undefined) routes.push(route);
      else {
        const auditServer = await listenRoutes([route], audit.port, logger);
        cleanups.push(() => closeServer(auditServer));
      }
    }
    // Reminders' state and people's time zones (reminders in working hours, dates in the person's zone).
    const nagStore = new NagStore(db);
    const zones = createZones({ store: nagStore, client: new WebClient(config.slack.botToken, slackClientOptions(config, metrics)), logger });
    const app = createSlackApp({
      config,
      zones,
      ledger,
      links,
      posts,
      messages,
      ignores,
      followUps,
      audit: auditStore,
      slackUsers,
      logger,
      metrics,
      identity,
      ackDeadlineMs: opts.timings?.ackDeadlineMs,
      now: opts.now ?? (() => new Date()),
      customRoutes: routes,
      codifyChange: (changeId) => codifyChange(db, config.file.clusters, configBaseDir(config), changeId, { sensitivePointers: config.file.drift.sensitivePointers }),
    });
    const onConnection = (state: 'connected' | 'disconnected') => {
      if (readiness.slack !== state) logger.info({ slack: state }, state === 'connected' ? 'connected to Slack' : 'disconnected from Slack');
      readiness.slack = state;
    };
    const running = await startSlackApp(app, config.port, { logger, onConnection, customRoutes: routes });
    // Stopping the app is stop()'s first step, and a cleanup when start-up fails later on.
    let appStopped: Promise<void> | undefined;
    const stopApp = () => (appStopped ??= running.stop());
    cleanups.push(stopApp);
    const reminders = createReminders({
      config,
      store: nagStore,
      zones,
      ledger,
      links,
      logger,
      now: opts.now ?? (() => new Date()),
      onOutcome: (kind, outcome) => metrics.reminders.inc({ kind, outcome }),
      slackFetch: slackClientOptions(config, metrics).fetch,
    });
    // Cleanups run last-pushed first: the schedule stops, then a message being sent is finished and recorded.
    cleanups.push(() => reminders.stop());
    if (opts.schedules !== false) cleanups.push(scheduleReminders(reminders, logger));
    const digests = createDigests({
      config,
      store: new DigestStore(db),
      posts: new DigestPostsStore(db),
      client: new WebClient(config.slack.botToken, slackClientOptions(config, metrics)),
      logger,
      now: opts.now ?? (() => new Date()),
      onOutcome: (outcome) => metrics.digests.inc({ outcome }),
      ...(appHomeUrl(identity) ? { appHomeUrl: appHomeUrl(identity) } : {}),
    });
    cleanups.push(() => digests.idle());
    if (opts.schedules !== false) cleanups.push(scheduleDigests(digests, config.file, logger));
    if (opts.schedules !== false) {
      // Scan runs and resolved findings past `retention:`, deleted hourly in small transactions.
      const retention = scheduleRetention({ db, retention: config.file.retention, logger, now: opts.now ?? (() => new Date()) });
      cleanups.push(() => retention.stop());
    }
    const drift = startDrift({ config, db, ledger, links, posts, messages, audit: auditStore, slackUsers, logger, metrics, env: opts.env ?? process.env, now: opts.now ?? (() => new Date()) });
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
      reminders,
      digests,
      syncDriftNotices: async () => drift?.syncNotices(),
      checkSlack,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        // Stop taking requests, let writes already queued for a group commit land, then close.
        readiness.slack = 'disconnected';
        // From now on no reminder starts sending: one in flight finishes (awaited with the cleanups).
        void reminders.stop();
        await stopApp();
        await new Promise((resolve) => setImmediate(resolve));
        // Announcements and DMs for what was already answered go out before the database closes.
        await followUps.drain(5_000);
        await drift?.stop();
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
interface DriftDeps {
  config: ServeConfig;
  db: Db;
  ledger: LedgerStore;
  links: LinksStore;
  posts: DriftPostsStore;
  messages: ChangeMessagesStore;
  audit: AuditStore;
  slackUsers: SlackUserLookup;
  logger: Logger;
  metrics: Metrics;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

function startDrift(deps: DriftDeps): { stop(): Promise<void>; syncNotices(): Promise<void> } | undefined {
  const { config, db, ledger, links, posts, messages, audit, logger, env, now } = deps;
  if (config.file.clusters.length === 0) {
    logger.info('no clusters configured: drift detection is off (add clusters to stopgap.yml)');
    return undefined;
  }
  const log = logger.child({ component: 'drift' });
  const clusters = config.file.clusters.map((c) => c.name);
  // Drift found, or changes logged, while Stopgap was down (or while a pass failed) is linked by a sweep.
  let sweep = true;
  const link = (ids: readonly number[] | 'all', cluster?: string) => {
    links
      .linkFindingsSoon(ids, clusters, now())
      .then((outcome) => logLinkOutcome(log, outcome))
      .catch((err: unknown) => {
        sweep = true;
        log.warn({ err, cluster }, 'could not link new drift; the next pass tries again');
      });
  };
  // Unclaimed drift goes to Slack; its messages follow every change of links and findings.
  const notices = startDriftNotices({ config, ledger, messages, posts, links, personOf: (finding) => personLabel(audit, deps.slackUsers, finding), slackUserOf: (finding) => personOf(audit, deps.slackUsers, finding)?.slackUser, logger, metrics: deps.metrics, now });
  links.onChange(() => void notices.sync());
  links.onAmbiguous((ambiguous) => void notices.askWhichChange(ambiguous));
  links.onLinked((changeIds) => void notices.noteLinked(changeIds));
  // Changes whose linked drift has all ended close by themselves, verified; the owner hears of it.
  const reconciler = new Reconciler(db, ledger, links);
  const reconcile = (ended: readonly number[] | 'all') => {
    reconciler
      .reconcileSoon(ended, now())
      .then(async (closed) => {
        for (const c of closed) log.info({ change: c.key, status: c.status }, 'change closed by the scanner');
        await notices.tellClosed(closed);
      })
      .catch((err: unknown) => log.warn({ err }, 'could not close reconciled changes; the next pass tries again'));
  };
  link('all');
  reconcile('all');
  sweep = false;
  const watch = startDriftWatch(config.file.clusters, {
    db,
    drift: config.file.drift,
    settings: scanSettingsFrom(config.file.drift),
    fingerprint: makeFingerprint(ensureFingerprintKey(db)),
    env,
    baseDir: configBaseDir(config),
    // Findings are stamped on the same clock as the ledger (the demo's jumps, a test's clock).
    now,
    emit: (event) => {
      logDriftEvent(log, event);
      deps.metrics.recordDrift(event);
      // New drift is linked to the open changes that explain it, once the findings are committed.
      if (event.type === 'findings-changed' && (event.created.length > 0 || sweep)) {
        const ids = sweep ? 'all' : event.created.map((f) => f.id);
        sweep = false;
        link(ids, event.cluster);
      } else if (event.type === 'findings-changed') {
        void notices.sync();
      }
      // After the links above (the same queue): a declared object deleted by hand is new drift on the same
      // change, so its change is not closed as reverted.
      if (event.type === 'findings-changed' && event.resolved.length > 0) reconcile(event.resolved.map((f) => f.id));
    },
  });
  return {
    syncNotices: () => notices.sync(),
    stop: async () => {
      // No new findings first, then the pass posting them finishes (its message's ts recorded).
      await watch.stop();
      await notices.stop();
    },
  };
}
