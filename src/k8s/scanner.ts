import { isAbsolute, resolve } from 'node:path';
import type { ClusterConfig, DriftConfig } from '../config/clusters.js';
import { StopgapError } from '../errors.js';
import type { Finding, ScanCoverage } from '../drift/findings.js';
import { objectKey } from '../drift/findings.js';
import type { ScanMode } from '../drift/findings.js';
import { openDesiredSource } from '../drift/sources/index.js';
import type { DeclaredObject, DesiredSource, SourceProblem } from '../drift/sources/source.js';
import { refOf } from '../drift/sources/source.js';
import type { ObjectRef } from '../drift/types.js';
import type { Db } from '../store/db.js';
import { countActiveFindings, recordScanRun, resolveUncovered, resolveUnlistedObjects } from '../store/findings-store.js';
import { whenNotBusy } from './busy.js';
import type { KubeClient } from './client.js';
import { createKubeClient } from './client.js';
import type { ApiResource, DiscoveryResult, KindSpec } from './discovery.js';
import { DEFAULT_KINDS, discoverKinds, parseKindSelector } from './discovery.js';
import { loadKubeConfig } from './kubeconfig.js';
import { listAll } from './list-watch.js';
import type { DiffFn, FindingsChange, ObserverContext } from './observe.js';
import { observeAbsent, observeObject } from './observe.js';
import type { Scheduler } from './scheduler.js';
import { yieldToEventLoop } from './scheduler.js';

/** Timing knobs in milliseconds (config speaks seconds; tests speak milliseconds). */
export interface ScanSettings {
  pageSize: number;
  requestIdleMs: number;
  inactivityMs: number;
  watchTimeoutSeconds: number;
  resyncMs: number;
  /**
   * 0..1: how much earlier than `resyncMs` each relist may fall, drawn anew every time, so that the
   * kinds of a cluster (and clusters) do not all relist at once.
   */
  resyncJitter: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** 0..1: how much of each backoff delay is randomised, so that clusters do not retry in step. */
  backoffJitter: number;
}

export function scanSettingsFrom(drift: DriftConfig): ScanSettings {
  return {
    pageSize: drift.pageSize,
    requestIdleMs: drift.requestTimeoutSeconds * 1000,
    inactivityMs: drift.inactivitySeconds * 1000,
    watchTimeoutSeconds: drift.watchTimeoutSeconds,
    resyncMs: drift.resyncSeconds * 1000,
    resyncJitter: 0.1,
    backoffInitialMs: drift.backoffInitialSeconds * 1000,
    backoffMaxMs: drift.backoffMaxSeconds * 1000,
    backoffJitter: 0.2,
  };
}

export interface ErrorValue {
  code: string;
  message: string;
}

export function errorValue(err: unknown): ErrorValue {
  if (err instanceof StopgapError) return { code: err.code, message: err.message };
  return { code: 'internal', message: (err as Error)?.message ?? String(err) };
}

/** Everything the scanner reports while it works: progress lines, problems, findings as they change. */
export type DriftEvent =
  | { type: 'kind-listed'; cluster: string; resource: ApiResource; namespace?: string; mode: ScanMode; objects: number; findings: number; durationMs: number }
  | { type: 'kind-failed'; cluster: string; kind: string; namespace?: string; mode: ScanMode; error: ErrorValue }
  | { type: 'cluster-failed'; cluster: string; error: ErrorValue; retryInMs?: number }
  | { type: 'source-problem'; cluster: string; problem: SourceProblem }
  | { type: 'object-skipped'; cluster: string; object: string; message: string }
  | { type: 'findings-changed'; cluster: string; created: Finding[]; resolved: Finding[] }
  /** A kind's list/watch loop failed unexpectedly (a bug, not the cluster): it starts over alone after `retryInMs`. */
  | { type: 'loop-failed'; cluster: string; resource: ApiResource; namespace?: string; error: ErrorValue; retryInMs: number; attempt: number }
  | {
      type: 'watch-ended';
      cluster: string;
      resource: ApiResource;
      namespace?: string;
      reason: 'closed' | 'inactive' | 'dropped' | 'failed' | 'gone' | 'resync';
      error?: ErrorValue;
      /** Delay before the next watch or list; 0 when it follows at once. */
      retryInMs: number;
      attempt: number;
      resourceVersion: string;
    };

export type DriftEventSink = (event: DriftEvent) => void;

export function kindLabel(resource: Pick<ApiResource, 'group' | 'version' | 'kind'>): string {
  return resource.group === '' ? `${resource.version}/${resource.kind}` : `${resource.group}/${resource.version}/${resource.kind}`;
}

/**
 * At most this many objects are diffed and recorded in one transaction; then the event loop gets a
 * turn (a Slack request waiting is answered), whatever the page size.
 */
export const OBJECTS_PER_TURN = 25;
/** Declared objects checked against the list between turns (a set lookup each). */
const KEYS_PER_TURN = 2000;

/** What listing and watching one opened cluster needs. */
export type ClusterContext = ObserverContext & {
  client: KubeClient;
  settings: ScanSettings;
  emit?: DriftEventSink;
  scheduler?: Scheduler;
  random?: () => number;
};

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

export interface ScanDeps {
  db: Db;
  drift: DriftConfig;
  settings: ScanSettings;
  fingerprint: (value: string) => string;
  env?: NodeJS.ProcessEnv;
  /** Where relative manifest directories are read from (the config file's directory). */
  baseDir?: string;
  now?: () => Date;
  emit?: DriftEventSink;
  diff?: DiffFn;
  signal?: AbortSignal;
  /** How desired state is read (`openDesiredSource` unless a test says otherwise). */
  desiredSource?: typeof openDesiredSource;
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

export interface OpenedCluster {
  client: KubeClient;
  source: DesiredSource;
  specs: KindSpec[];
}

/** What listing and watching one opened cluster needs, for one pass or one watch attempt. */
export function clusterContext(
  cluster: ClusterConfig,
  deps: ScanDeps,
  opened: OpenedCluster,
): ClusterContext {
  return {
    db: deps.db,
    cluster: cluster.name,
    source: opened.source,
    drift: deps.drift,
    fingerprint: deps.fingerprint,
    now: deps.now ?? (() => new Date()),
    client: opened.client,
    settings: deps.settings,
    ...(deps.emit ? { emit: deps.emit } : {}),
    ...(deps.diff ? { diff: deps.diff } : {}),
    ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  };
}

/**
 * Kubeconfig, client, desired state: what can fail before a cluster is even asked anything. A
 * relative `kubeconfig` (like a relative manifest directory) is read from `baseDir`, the config
 * file's directory, whatever the working directory.
 */
export async function openCluster(cluster: ClusterConfig, deps: Pick<ScanDeps, 'env' | 'baseDir' | 'desiredSource'>): Promise<OpenedCluster> {
  const baseDir = deps.baseDir ?? process.cwd();
  const kubeconfig = cluster.kubeconfig && (isAbsolute(cluster.kubeconfig) ? cluster.kubeconfig : resolve(baseDir, cluster.kubeconfig));
  const kc = loadKubeConfig(
    {
      ...(cluster.context ? { context: cluster.context } : {}),
      ...(kubeconfig ? { kubeconfig } : {}),
    },
    deps.env ?? process.env,
  );
  const client = createKubeClient(kc);
  const source = await (deps.desiredSource ?? openDesiredSource)(cluster.desired, baseDir);
  const specs = cluster.kinds ? cluster.kinds.map(parseKindSelector) : [...DEFAULT_KINDS];
  return { client, source, specs };
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
