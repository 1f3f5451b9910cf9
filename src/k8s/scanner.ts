import type { ClusterConfig, DriftConfig } from '../config/clusters.js';
import type { ScanCoverage } from '../drift/findings.js';
import { countActiveFindings, objectKey, recordScanRun, resolveUncovered, resolveUnlistedObjects } from '../drift/findings.js';
import type { ScanMode } from '../drift/findings.js';
import type { DeclaredObject, SourceProblem } from '../drift/sources/source.js';
import { refOf } from '../drift/sources/source.js';
import type { ObjectRef } from '../drift/types.js';
import type { Db } from '../store/db.js';
import { whenNotBusy } from './busy.js';
import type { ApiResource, DiscoveryResult } from './discovery.js';
import { discoverKinds } from './discovery.js';
import type { DriftEventSink, ErrorValue } from './drift-events.js';
import { errorValue, kindLabel } from './drift-events.js';
import { listAll } from './list-watch.js';
import type { DiffFn, FindingsChange } from './observe.js';
import { observeAbsent, observeObject } from './observe.js';
import type { ClusterContext, OpenClusterDeps, OpenedCluster } from './open-cluster.js';
import { clusterContext, openCluster } from './open-cluster.js';
import type { ScanSettings } from './scan-settings.js';
import type { Scheduler } from './scheduler.js';
import { yieldToEventLoop } from './scheduler.js';

/**
 * At most this many objects are diffed and recorded in one transaction; then the event loop gets a
 * turn (a Slack request waiting is answered), whatever the page size.
 */
export const OBJECTS_PER_TURN = 25;
/** Declared objects checked against the list between turns (a set lookup each). */
const KEYS_PER_TURN = 2000;

export interface ListKindResult {
  ok: true;
  resourceVersion: string;
  objects: number;
  findings: number;
}

/**
 * One complete list of a resource (in one namespace, or all), every object diffed and recorded.
 * Only when every page arrived are findings of objects that were not listed resolved; a failed list
 * records a failed run and resolves nothing. Failures of the API server or of the store while
 * recording are returned as values, never thrown.
 */
export async function listKind(
  ctx: ClusterContext,
  resource: ApiResource,
  mode: ScanMode,
  options: { namespace?: string; signal?: AbortSignal } = {},
): Promise<ListKindResult | { ok: false; error: ErrorValue }> {
  const startedAt = ctx.now();
  const started = Date.now();
  const namespace = resource.namespaced ? options.namespace : undefined;
  let listed = new Set<string>();
  /** What committed transactions changed: a transaction that rolls back adds nothing here. */
  const changes: FindingsChange = { created: [], resolved: [] };
  const commit = (change: FindingsChange): void => {
    changes.created.push(...change.created);
    changes.resolved.push(...change.resolved);
  };
  const collector = (): { change: FindingsChange; collect: (change: FindingsChange) => void } => {
    const change: FindingsChange = { created: [], resolved: [] };
    return {
      change,
      collect: (more) => {
        change.created.push(...more.created);
        change.resolved.push(...more.resolved);
      },
    };
  };
  // Each write is one transaction, taken at once (BEGIN IMMEDIATE); while another writer holds
  // the database, it is tried again later on timers, the event loop free meanwhile.
  const write = <T>(work: () => T): Promise<T> =>
    whenNotBusy(() => ctx.db.transaction(work).immediate(), {
      ...(ctx.scheduler ? { scheduler: ctx.scheduler } : {}),
      ...(ctx.random ? { random: ctx.random } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  let told = false;
  const tellChanges = (): void => {
    if (told || (changes.created.length === 0 && changes.resolved.length === 0)) return;
    told = true;
    ctx.emit?.({ type: 'findings-changed', cluster: ctx.cluster, ...changes });
  };
  const run = {
    cluster: ctx.cluster,
    group: resource.group,
    version: resource.version,
    kind: resource.kind,
    mode,
    startedAt,
  };
  try {
    const list = await listAll(ctx.client, resource, {
      ...(namespace !== undefined ? { namespace } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      pageSize: ctx.settings.pageSize,
      idleTimeoutMs: ctx.settings.requestIdleMs,
      onRestart: () => {
        listed = new Set();
      },
      onPage: async (items) => {
        // Small transactions, each followed by a turn of the event loop: a page of thousands of
        // objects never holds the process (and its Slack acks) for long.
        for (let start = 0; start < items.length; start += OBJECTS_PER_TURN) {
          const chunk = items.slice(start, start + OBJECTS_PER_TURN);
          const part = collector();
          const skipped: { object: string; message: string }[] = [];
          await write(() => {
            // Tried again from scratch when the database was busy: nothing of a try that failed is kept.
            part.change.created.length = 0;
            part.change.resolved.length = 0;
            skipped.length = 0;
            for (const item of chunk) {
              const outcome = observeObject(ctx, item);
              if (outcome.status === 'skipped') skipped.push(outcome);
              else part.collect(outcome.change);
            }
          });
          for (const item of chunk) {
            const ref = refOf(item);
            if (ref) listed.add(objectKey(ref));
          }
          commit(part.change);
          for (const { object, message } of skipped) ctx.emit?.({ type: 'object-skipped', cluster: ctx.cluster, object, message });
          await yieldToEventLoop();
        }
      },
    });
    // Declared objects the list did not return are missing: recorded as such, a few at a time too.
    const declaredAbsent = new Set<string>();
    const absent: ObjectRef[] = [];
    const declared = ctx.source.declared(resource.group, resource.kind, resource.namespaced);
    for (let i = 0; i < declared.length; i++) {
      if (i > 0 && i % KEYS_PER_TURN === 0) await yieldToEventLoop();
      const ref = (declared[i] as DeclaredObject).ref;
      if (namespace !== undefined && ref.namespace !== namespace) continue;
      const key = objectKey(ref);
      if (listed.has(key)) continue;
      declaredAbsent.add(key);
      absent.push({ ...ref, version: resource.version });
    }
    for (let start = 0; start < absent.length; start += OBJECTS_PER_TURN) {
      const part = collector();
      await write(() => {
        part.change.created.length = 0;
        part.change.resolved.length = 0;
        for (const ref of absent.slice(start, start + OBJECTS_PER_TURN)) part.collect(observeAbsent(ctx, ref));
      });
      commit(part.change);
      await yieldToEventLoop();
    }
    // Only now that every page arrived: findings of objects the list did not return are over.
    const unlisted = await write(() =>
      resolveUnlistedObjects(
        ctx.db,
        {
          cluster: ctx.cluster,
          group: resource.group,
          kind: resource.kind,
          ...(namespace !== undefined ? { namespaces: [namespace] } : {}),
        },
        listed,
        ctx.now(),
        { declaredAbsent, desiredComplete: ctx.source.complete },
      ),
    );
    commit({ created: [], resolved: unlisted });
    const findings = countActiveFindings(ctx.db, {
      cluster: ctx.cluster,
      group: resource.group,
      kind: resource.kind,
      ...(namespace !== undefined ? { namespace } : {}),
    });
    await write(() => recordScanRun(ctx.db, { ...run, finishedAt: ctx.now(), outcome: 'ok', objects: list.objects, findings }));
    tellChanges();
    ctx.emit?.({
      type: 'kind-listed',
      cluster: ctx.cluster,
      resource,
      ...(namespace !== undefined ? { namespace } : {}),
      mode,
      objects: list.objects,
      findings,
      durationMs: Date.now() - started,
    });
    return { ok: true, resourceVersion: list.resourceVersion, objects: list.objects, findings };
  } catch (err) {
    const error = errorValue(err);
    // Findings recorded from the pages that did arrive are real observations and stay; nothing is resolved.
    tellChanges();
    try {
      await write(() =>
        recordScanRun(ctx.db, {
          ...run,
          finishedAt: ctx.now(),
          outcome: 'failed',
          objects: 0,
          findings: 0,
          errorCode: error.code,
          errorMessage: error.message,
        }),
      );
    } catch {
      // The store failing too (it may be why the list failed): the event below still reports it.
    }
    ctx.emit?.({
      type: 'kind-failed',
      cluster: ctx.cluster,
      kind: kindLabel(resource),
      ...(namespace !== undefined ? { namespace } : {}),
      mode,
      error,
    });
    return { ok: false, error };
  }
}

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
