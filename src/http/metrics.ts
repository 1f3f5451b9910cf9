import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DriftEvent } from '../k8s/drift-events.js';
import type { FindingsByCluster, OpenByAge } from '../store/metrics-store.js';

/** Whether Slack's Web API last answered: `down` after a network error or a 5xx, `up` after any answer. */
export type SlackApiState = 'unknown' | 'up' | 'down';

export interface Metrics {
  registry: Registry;
  commands: Counter<'subcommand'>;
  changesCreated: Counter<'source'>;
  refusals: Counter<'code'>;
  ackSeconds: Histogram<'kind'>;
  deliveryFailures: Counter<'kind'>;
  ready: Gauge;
  changesByStatus: Gauge<'status'>;
  openChangesByAge: Gauge<'status' | 'age'>;
  findings: Gauge<'cluster'>;
  unclaimedFindings: Gauge<'cluster'>;
  auditBatches: Counter<'outcome'>;
  auditEvents: Counter<'outcome'>;
  reminders: Counter<'kind' | 'outcome'>;
  digests: Counter<'outcome'>;
  slackApiErrors: Counter<'method' | 'error'>;
  slackRateLimited: Counter<'method'>;
  scanSeconds: Histogram<'cluster' | 'kind' | 'mode'>;
  scanObjects: Gauge<'cluster' | 'kind'>;
  scanFailures: Counter<'cluster' | 'scope'>;
  watchRestarts: Counter<'cluster' | 'reason'>;
  clusterSynced: Gauge<'cluster'>;
  clusterLastSynced: Gauge<'cluster'>;
  slackApiUp: Gauge;
  /** Whether Slack's Web API last answered, as every client's transport saw it (api-metrics.ts sets it). */
  slackApi: { state: SlackApiState };
  /** Feeds the drift metrics (scans, watches, sync state) from the watcher's events. */
  recordDrift(event: DriftEvent): void;
  /** Each watched cluster and whether it is synced now (what `stopgap_cluster_synced` reports). */
  clusterSync(): ReadonlyMap<string, boolean>;
}

export interface MetricsOptions {
  defaultMetrics?: boolean;
  /** Whether the process can take Slack's requests now (`/readyz`'s serving checks). */
  ready?: () => boolean;
  /** Changes by status, read at scrape time. */
  statusCounts?: () => Record<string, number>;
  /** Open and in-review changes by age, read at scrape time. */
  openByAge?: () => readonly OpenByAge[];
  /** Active and unclaimed drift findings per cluster, read at scrape time. */
  findingsByCluster?: () => readonly FindingsByCluster[];
  /** The clusters watched: each is "not synced" from the start until its kinds are listed. */
  clusters?: readonly string[];
  /** Wall clock for the sync timestamps (Prometheus compares them with its own time). */
  wallClock?: () => number;
}

/**
 * A cluster is synced while every kind it watches was last listed (or watched) without failing and the
 * cluster itself opened. Kinds are keyed by their name and namespace: a discovery failure names the
 * kind alone, a list failure its group and version too.
 */
interface SyncState {
  clusterFailed: boolean;
  kinds: Map<string, boolean>;
  objects: Map<string, number>;
  /** Wall-clock ms when the cluster was last seen synced (or when watching began). */
  lastSynced: number;
}

function kindName(label: string): string {
  return label.slice(label.lastIndexOf('/') + 1);
}

function isSynced(s: SyncState): boolean {
  return !s.clusterFailed && s.kinds.size > 0 && [...s.kinds.values()].every(Boolean);
}

/** One registry per process (or per test app), so parallel apps never share counters. */
export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'stopgap_' });
  const { ready, statusCounts, openByAge, findingsByCluster } = opts;
  const wallClock = opts.wallClock ?? Date.now;
  const sync = new Map<string, SyncState>();
  const slackApi: { state: SlackApiState } = { state: 'unknown' };
  const stateOf = (cluster: string): SyncState => {
    let s = sync.get(cluster);
    if (!s) {
      s = { clusterFailed: false, kinds: new Map(), objects: new Map(), lastSynced: wallClock() };
      sync.set(cluster, s);
    }
    return s;
  };
  for (const cluster of opts.clusters ?? []) stateOf(cluster);
  // A scrape that finds the database closed (shutting down) still answers, without these gauges.
  const safely = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch {
      return undefined;
    }
  };
  /** A per-cluster gauge read from the findings counts at scrape time. */
  const findingsGauge = (name: string, help: string, field: 'active' | 'unclaimed') =>
    new Gauge({
      name,
      help,
      labelNames: ['cluster'],
      registers: [registry],
      collect() {
        const rows = findingsByCluster && safely(findingsByCluster);
        if (!rows) return;
        this.reset();
        for (const r of rows) this.set({ cluster: r.cluster }, r[field]);
      },
    });

  const metrics: Omit<Metrics, 'recordDrift' | 'clusterSync'> = {
    registry,
    commands: new Counter({
      name: 'stopgap_slash_commands_total',
      help: 'Slash commands handled, by parsed subcommand',
      labelNames: ['subcommand'],
      registers: [registry],
    }),
    changesCreated: new Counter({
      name: 'stopgap_changes_created_total',
      help: 'Changes recorded in the ledger, by entry point',
      labelNames: ['source'],
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'stopgap_refusals_total',
      help: 'Requests refused with an explanation (bad input, permission, lifecycle)',
      labelNames: ['code'],
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: 'stopgap_slack_ack_seconds',
      help: 'Time from a Slack request arriving to its acknowledgement being sent (after any ledger write committed)',
      labelNames: ['kind'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    deliveryFailures: new Counter({
      name: 'stopgap_slack_delivery_failures_total',
      help: 'Messages to Slack that could not be delivered (the ledger kept the change), by kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
    reminders: new Counter({
      name: 'stopgap_reminders_total',
      help: 'Reminder DMs and escalations handled by the sender, by kind and outcome (sent, retry, rate_limited, failed, skipped)',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
    digests: new Counter({
      name: 'stopgap_digests_total',
      help: 'Weekly digests by outcome (posted, updated in place, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    auditBatches: new Counter({
      name: 'stopgap_audit_batches_total',
      help: 'Audit webhook batches, by outcome (accepted, refused_<status>, busy, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    auditEvents: new Counter({
      name: 'stopgap_audit_events_total',
      help: 'Audit events received in batches the webhook read, by outcome (kept, ignored: not a person\'s write to a watched kind, rejected: malformed or unreadable, not_stored: the batch was answered 503 for the API server to retry)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    slackApiErrors: new Counter({
      name: 'stopgap_slack_api_errors_total',
      help: 'Slack Web API calls that failed, by method and error (Slack\'s error code, http_<status>, or network); 429s are counted apart',
      labelNames: ['method', 'error'],
      registers: [registry],
    }),
    slackRateLimited: new Counter({
      name: 'stopgap_slack_api_rate_limited_total',
      help: 'Slack Web API answers of 429 Too Many Requests, by method',
      labelNames: ['method'],
      registers: [registry],
    }),
    scanSeconds: new Histogram({
      name: 'stopgap_scan_duration_seconds',
      help: 'Time to list one kind of one cluster and diff every object (list: first list, resync: periodic relist)',
      labelNames: ['cluster', 'kind', 'mode'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    scanObjects: new Gauge({
      name: 'stopgap_scan_objects',
      help: 'Objects of each kind in each cluster at its last complete list',
      labelNames: ['cluster', 'kind'],
      registers: [registry],
    }),
    scanFailures: new Counter({
      name: 'stopgap_scan_failures_total',
      help: 'Failed lists of a kind (scope kind) or failures to open a cluster (scope cluster); a failed list never resolves drift',
      labelNames: ['cluster', 'scope'],
      registers: [registry],
    }),
    watchRestarts: new Counter({
      name: 'stopgap_watch_restarts_total',
      help: 'Watches started again, by why the last one ended (closed, resync, gone, inactive, dropped, failed, loop_failed)',
      labelNames: ['cluster', 'reason'],
      registers: [registry],
    }),
    clusterSynced: new Gauge({
      name: 'stopgap_cluster_synced',
      help: '1 while every watched kind of the cluster was last listed or watched without failing, else 0',
      labelNames: ['cluster'],
      registers: [registry],
      collect() {
        for (const [cluster, s] of sync) this.set({ cluster }, isSynced(s) ? 1 : 0);
      },
    }),
    clusterLastSynced: new Gauge({
      name: 'stopgap_cluster_last_synced_timestamp_seconds',
      help: 'When the cluster was last seen synced (while synced: now); since the start of watching if it never was',
      labelNames: ['cluster'],
      registers: [registry],
      collect() {
        const now = wallClock();
        for (const [cluster, s] of sync) {
          if (isSynced(s)) s.lastSynced = now;
          this.set({ cluster }, s.lastSynced / 1000);
        }
      },
    }),
    slackApiUp: new Gauge({
      name: 'stopgap_slack_api_up',
      help: "1 while Slack's Web API last answered (any HTTP answer but a 5xx), 0 after a network error or a 5xx; absent until the first call",
      registers: [registry],
      collect() {
        if (slackApi.state !== 'unknown') this.set(slackApi.state === 'up' ? 1 : 0);
      },
    }),
    slackApi,
    ready: new Gauge({
      name: 'stopgap_ready',
      help: '1 when the process can take Slack\'s requests (/readyz?exclude=slack-api&exclude=clusters: database readable and write-lockable, Slack connected), else 0',
      registers: [registry],
      collect() {
        if (ready) this.set(safely(ready) === true ? 1 : 0);
      },
    }),
    changesByStatus: new Gauge({
      name: 'stopgap_changes',
      help: 'Changes in the ledger by status',
      labelNames: ['status'],
      registers: [registry],
      collect() {
        const counts = statusCounts && safely(statusCounts);
        if (!counts) return;
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    }),
    openChangesByAge: new Gauge({
      name: 'stopgap_open_changes_by_age',
      help: 'Open and in-review changes by time since they were logged (the digest\'s buckets: under_1w, 1w_to_4w, 4w_to_90d, over_90d)',
      labelNames: ['status', 'age'],
      registers: [registry],
      collect() {
        const rows = openByAge && safely(openByAge);
        if (!rows) return;
        for (const r of rows) this.set({ status: r.status, age: r.age }, r.count);
      },
    }),
    findings: findingsGauge('stopgap_drift_findings', 'Active drift findings per cluster', 'active'),
    unclaimedFindings: findingsGauge(
      'stopgap_unclaimed_drift_findings',
      'Active drift findings no change explains, past the drift.unclaimedAfter grace period, per cluster',
      'unclaimed',
    ),
  };

  const setKind = (event: { cluster: string; namespace?: string }, kind: string, ok: boolean) => {
    const s = stateOf(event.cluster);
    s.kinds.set(`${kindName(kind)}|${event.namespace ?? ''}`, ok);
    // A kind that failed discovery is named without a namespace; once listed per namespace, that entry is over.
    if (ok && event.namespace !== undefined) s.kinds.delete(`${kindName(kind)}|`);
    if (ok) s.clusterFailed = false;
    if (isSynced(s)) s.lastSynced = wallClock();
  };

  function recordDrift(event: DriftEvent): void {
    switch (event.type) {
      case 'kind-listed': {
        const kind = event.resource.kind;
        metrics.scanSeconds.observe({ cluster: event.cluster, kind, mode: event.mode }, event.durationMs / 1000);
        // Per namespace when the cluster is limited to some; the gauge is the kind's total.
        const s = stateOf(event.cluster);
        s.objects.set(`${kind}|${event.namespace ?? ''}`, event.objects);
        let total = 0;
        for (const [key, n] of s.objects) if (key.startsWith(`${kind}|`)) total += n;
        metrics.scanObjects.set({ cluster: event.cluster, kind }, total);
        setKind(event, kind, true);
        return;
      }
      case 'kind-failed':
        metrics.scanFailures.inc({ cluster: event.cluster, scope: 'kind' });
        setKind(event, event.kind, false);
        return;
      case 'cluster-failed':
        metrics.scanFailures.inc({ cluster: event.cluster, scope: 'cluster' });
        stateOf(event.cluster).clusterFailed = true;
        return;
      case 'loop-failed':
        metrics.watchRestarts.inc({ cluster: event.cluster, reason: 'loop_failed' });
        setKind(event, event.resource.kind, false);
        return;
      case 'kinds-watched': {
        // Each kind about to be listed counts as not synced until it is: one kind listed is not the cluster.
        const s = stateOf(event.cluster);
        for (const t of event.targets) {
          const key = `${kindName(t.kind)}|${t.namespace ?? ''}`;
          if (!s.kinds.has(key)) s.kinds.set(key, false);
        }
        return;
      }
      case 'watch-ended':
        metrics.watchRestarts.inc({ cluster: event.cluster, reason: event.reason });
        // A watch that failed leaves the kind unobserved until one succeeds; one that ran to its end was healthy.
        if (event.reason === 'failed') setKind(event, event.resource.kind, false);
        else if (event.reason === 'closed' || event.reason === 'resync') setKind(event, event.resource.kind, true);
        return;
      default:
        return;
    }
  }

  const clusterSync = () => new Map([...sync].map(([cluster, s]) => [cluster, isSynced(s)]));
  return { ...metrics, recordDrift, clusterSync };
}
