/**
 * The one-pass scan (`stopgap scan`): each cluster opened, its kinds discovered and listed once,
 * findings the configuration no longer covers cleared. A failure is a value in the outcome, so one
 * broken cluster never hides another's drift. No watch.
 */
import type { ClusterConfig, DriftConfig } from '../config/clusters.js';
import type { ScanCoverage } from '../drift/findings.js';
import type { SourceProblem } from '../drift/sources/source.js';
import type { Db } from '../store/db.js';
import { resolveUncovered } from '../store/findings-store.js';
import { whenNotBusy } from './busy.js';
import type { DiscoveryResult } from './discovery.js';
import { discoverKinds } from './discovery.js';
import type { DriftEventSink, ErrorValue } from './drift-events.js';
import { errorValue } from './drift-events.js';
import { listKind } from './list-kind.js';
import type { DiffFn } from './observe.js';
import type { ClusterContext, OpenClusterDeps, OpenedCluster } from './open-cluster.js';
import { clusterContext, openCluster } from './open-cluster.js';
import type { ScanSettings } from './scan-settings.js';
import type { Scheduler } from './scheduler.js';

export interface ScanDeps extends OpenClusterDeps {
  db: Db;
  drift: DriftConfig;
  settings: ScanSettings;
  fingerprint: (value: string) => string;
  now?: () => Date;
  emit?: DriftEventSink;
  diff?: DiffFn;
  signal?: AbortSignal;
  /** Resyncs, backoffs and reloads are timed on it (real timers unless a test drives a fake). */
  scheduler?: Scheduler;
  /** The random source of backoff and resync jitter (Math.random unless a test says otherwise). */
  random?: () => number;
}

export interface KindOutcome {
  kind: string;
  group: string;
  version: string;
  namespace?: string;
  ok: boolean;
  objects: number;
  findings: number;
  error?: ErrorValue;
}

/** One cluster's pass: a failure is a value, so one broken cluster never hides another's drift. */
export interface ClusterOutcome {
  cluster: string;
  ok: boolean;
  /** Why the cluster could not be scanned at all (kubeconfig, discovery, desired state). */
  error?: ErrorValue;
  kinds: KindOutcome[];
  problems: SourceProblem[];
  /** What the pass looked at; absent when the cluster could not be scanned at all. */
  coverage?: ScanCoverage;
}

/** One full pass over a cluster: discovery, then a complete list of each kind. No watch. */
export async function scanCluster(cluster: ClusterConfig, deps: ScanDeps): Promise<ClusterOutcome> {
  const outcome: ClusterOutcome = { cluster: cluster.name, ok: true, kinds: [], problems: [] };
  const fail = (err: unknown): ClusterOutcome => {
    const error = errorValue(err);
    deps.emit?.({ type: 'cluster-failed', cluster: cluster.name, error });
    return { ...outcome, ok: false, error };
  };
  let opened: OpenedCluster;
  try {
    opened = await openCluster(cluster, deps);
  } catch (err) {
    return fail(err);
  }
  outcome.problems.push(...opened.source.problems);
  for (const problem of opened.source.problems) deps.emit?.({ type: 'source-problem', cluster: cluster.name, problem });
  let discovered;
  try {
    discovered = await discoverKinds(opened.client, opened.specs, {
      idleTimeoutMs: deps.settings.requestIdleMs,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
  } catch (err) {
    return fail(err);
  }
  const coverage = coverageOf(cluster, discovered);
  for (const { spec, reason, error } of discovered.unresolved) {
    // A default kind an older cluster does not serve is nothing to scan; a configured one is a mistake.
    if (reason === 'not-served' && !cluster.kinds) continue;
    const value = errorValue(error);
    const kind = spec.group ? `${spec.group}/${spec.kind}` : spec.kind;
    deps.emit?.({ type: 'kind-failed', cluster: cluster.name, kind, mode: 'scan', error: value });
    outcome.kinds.push({ kind: spec.kind, group: spec.group ?? '', version: spec.version ?? '', ok: false, objects: 0, findings: 0, error: value });
    outcome.ok = false;
  }
  const ctx = clusterContext(cluster, deps, opened);
  for (const { resource } of discovered.resolved) {
    const namespaces: (string | undefined)[] = resource.namespaced && cluster.namespaces ? cluster.namespaces : [undefined];
    for (const namespace of namespaces) {
      const result = await listKind(ctx, resource, 'scan', {
        ...(namespace !== undefined ? { namespace } : {}),
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
      const kindOutcome: KindOutcome = {
        kind: resource.kind,
        group: resource.group,
        version: resource.version,
        ...(namespace !== undefined ? { namespace } : {}),
        ok: result.ok,
        objects: result.ok ? result.objects : 0,
        findings: result.ok ? result.findings : 0,
      };
      if (!result.ok) {
        kindOutcome.error = result.error;
        outcome.ok = false;
        // A failed list never resolves anything, in any namespace.
        coverage.keep.push({ group: resource.group, kind: resource.kind });
      }
      outcome.kinds.push(kindOutcome);
    }
  }
  await resolveOutOfCoverage(ctx, coverage, deps.signal);
  return { ...outcome, coverage };
}

/**
 * What a pass over the cluster covers once discovery has answered: the kinds it resolved, in the
 * configured namespaces. Kinds whose discovery failed are kept as they are: nothing is known.
 */
export function coverageOf(cluster: ClusterConfig, discovered: DiscoveryResult): ScanCoverage & { keep: { group?: string; kind: string }[] } {
  return {
    cluster: cluster.name,
    kinds: discovered.resolved.map(({ resource }) => ({ group: resource.group, kind: resource.kind })),
    ...(cluster.namespaces ? { namespaces: cluster.namespaces } : {}),
    keep: discovered.unresolved
      .filter((u) => u.reason === 'failed')
      .map(({ spec }) => (spec.group === undefined ? { kind: spec.kind } : { group: spec.group, kind: spec.kind })),
  };
}

/** Clears findings the configuration no longer covers (kinds, namespaces, CRDs no longer served). */
export async function resolveOutOfCoverage(
  ctx: Pick<ClusterContext, 'db' | 'cluster' | 'now' | 'emit' | 'scheduler' | 'random'>,
  coverage: ScanCoverage,
  signal?: AbortSignal,
): Promise<void> {
  const resolved = await whenNotBusy(() => resolveUncovered(ctx.db, coverage, ctx.now()), {
    ...(ctx.scheduler ? { scheduler: ctx.scheduler } : {}),
    ...(ctx.random ? { random: ctx.random } : {}),
    ...(signal ? { signal } : {}),
  });
  if (resolved.length > 0) ctx.emit?.({ type: 'findings-changed', cluster: ctx.cluster, created: [], resolved });
}

/** Scans several clusters concurrently; each outcome stands alone. */
export async function scanClusters(clusters: readonly ClusterConfig[], deps: ScanDeps): Promise<ClusterOutcome[]> {
  return Promise.all(
    clusters.map((cluster) =>
      scanCluster(cluster, deps).catch((err: unknown) => {
        const error = errorValue(err);
        deps.emit?.({ type: 'cluster-failed', cluster: cluster.name, error });
        return { cluster: cluster.name, ok: false, error, kinds: [], problems: [] } satisfies ClusterOutcome;
      }),
    ),
  );
}
