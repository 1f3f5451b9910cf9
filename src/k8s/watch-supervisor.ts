/**
 * The per-cluster watch supervisor: opens each cluster (retrying with backoff while that fails),
 * runs one resource's watch loop per kind and namespace, starts a failed loop over alone, looks
 * again for kinds not found yet, and reloads desired state at every resync.
 */
import type { ClusterConfig } from '../config/clusters.js';
import { openDesiredSource } from '../drift/sources/index.js';
import type { DesiredSource } from '../drift/sources/source.js';
import type { ApiResource, KindSpec, Resolved, Unresolved } from './discovery.js';
import { discoverKinds } from './discovery.js';
import type { DriftEvent } from './drift-events.js';
import { errorValue } from './drift-events.js';
import type { ClusterContext } from './open-cluster.js';
import { clusterContext, openCluster } from './open-cluster.js';
import { backoffDelay } from './scan-settings.js';
import type { ScanDeps } from './scanner.js';
import { coverageOf, resolveOutOfCoverage } from './scanner.js';
import { realScheduler, sleep } from './scheduler.js';
import { watchResource } from './watch-resource.js';

/**
 * Runs one kind's loop (`watchResource`) until `signal` aborts, whatever it does: when it rejects
 * (a bug, not the cluster, whose failures are values), the failure is reported and the loop starts
 * over, alone, after a backoff. The returned promise never rejects, so a loop started at any time
 * (a kind found at a resync) can never become an unhandled rejection.
 */
export async function superviseResource(
  ctx: ClusterContext,
  resource: ApiResource,
  signal: AbortSignal,
  options: { namespace?: string; source?: () => DesiredSource } = {},
): Promise<void> {
  const scheduler = ctx.scheduler ?? realScheduler;
  const namespace = resource.namespaced ? options.namespace : undefined;
  let attempt = 0;
  while (!signal.aborted) {
    const started = scheduler.now();
    try {
      await watchResource(ctx, resource, signal, options);
      return;
    } catch (err) {
      if (signal.aborted) return;
      // A loop that ran a good while before failing starts its backoff over.
      if (scheduler.now() - started >= ctx.settings.backoffMaxMs) attempt = 0;
      const delay = backoffDelay(ctx.settings, attempt, ctx.random);
      attempt += 1;
      try {
        ctx.emit?.({
          type: 'loop-failed',
          cluster: ctx.cluster,
          resource,
          ...(namespace !== undefined ? { namespace } : {}),
          error: errorValue(err),
          retryInMs: delay,
          attempt,
        });
      } catch {
        // The sink failing as well changes nothing: the loop is retried all the same.
      }
      await sleep(scheduler, delay, signal);
    }
  }
}

export interface DriftWatch {
  /** Stops every watch and resolves when all loops have ended. */
  stop(): Promise<void>;
  /** Resolves when every loop has ended (after `stop`). */
  readonly done: Promise<void>;
}

/**
 * Watches one cluster until stopped: opens it (kubeconfig, desired state, discovery), retrying
 * with backoff while that fails, then runs one supervised list/watch loop per kind (and
 * namespace). Desired state is re-read at every resync so that a manifest directory may move on
 * underneath.
 *
 * Each attempt has its own AbortController; a failed attempt (opening the cluster, or a bug in
 * looking for kinds again) has stopped and awaited all its loops before the next one starts, so
 * that a cluster never has two loops for the same kind. Never rejects.
 */
async function watchCluster(cluster: ClusterConfig, deps: ScanDeps, signal: AbortSignal): Promise<void> {
  const { settings } = deps;
  const scheduler = deps.scheduler ?? realScheduler;
  let attempt = 0;
  while (!signal.aborted) {
    const current = new AbortController();
    const stop = (): void => current.abort();
    signal.addEventListener('abort', stop, { once: true });
    let outcome: { type: 'stopped' } | { type: 'idle' } | { type: 'failed'; error: unknown };
    try {
      outcome = await watchAttempt(cluster, deps, current);
    } catch (error) {
      outcome = { type: 'failed', error };
    } finally {
      current.abort();
      signal.removeEventListener('abort', stop);
    }
    if (signal.aborted || outcome.type === 'stopped') return;
    if (outcome.type === 'idle') {
      // Nothing could be watched (every kind failed discovery): look again at the next resync.
      await sleep(scheduler, settings.resyncMs, signal);
      continue;
    }
    const delay = backoffDelay(settings, attempt, deps.random);
    attempt += 1;
    tell(deps, { type: 'cluster-failed', cluster: cluster.name, error: errorValue(outcome.error), retryInMs: delay });
    await sleep(scheduler, delay, signal);
  }
}

/** Reports from callbacks nobody awaits: a sink that throws there must not become an unhandled rejection. */
function tell(deps: Pick<ScanDeps, 'emit'>, event: DriftEvent): void {
  try {
    deps.emit?.(event);
  } catch {
    // Nothing to tell it with: the sink is what failed.
  }
}

/**
 * One attempt at watching a cluster. Resolves `stopped` once `attempt` is aborted from outside and
 * every loop has ended; throws (after every loop has ended) when opening the cluster fails, or
 * when looking for kinds again fails unexpectedly. A loop that fails is retried on its own.
 *
 * Kinds that fail discovery (a CRD not installed yet, a group whose discovery failed) are looked
 * up again at every resync while the attempt runs; each one found then gets its own loop, next to
 * the running ones, which are left alone.
 */
async function watchAttempt(
  cluster: ClusterConfig,
  deps: ScanDeps,
  attempt: AbortController,
): Promise<{ type: 'stopped' } | { type: 'idle' }> {
  const { settings } = deps;
  const signal = attempt.signal;
  const opened = await openCluster(cluster, deps);
  for (const problem of opened.source.problems) deps.emit?.({ type: 'source-problem', cluster: cluster.name, problem });
  const discovered = await discoverKinds(opened.client, opened.specs, {
    idleTimeoutMs: settings.requestIdleMs,
    signal,
  });
  if (signal.aborted) return { type: 'stopped' };
  /** Kinds still unresolved, with the last failure reported (or not) for each. */
  const pending = new Map<KindSpec, string>();
  const reportFailure = (spec: KindSpec, reason: Unresolved['reason'], error: unknown): void => {
    const value = errorValue(error);
    const key = `${reason}\n${value.code}\n${value.message}`;
    const previous = pending.get(spec);
    pending.set(spec, key);
    if (previous === key) return; // the same failure as at the last look: said already
    if (reason === 'not-served' && !cluster.kinds) return;
    deps.emit?.({ type: 'kind-failed', cluster: cluster.name, kind: spec.kind, mode: 'list', error: value });
  };
  for (const { spec, reason, error } of discovered.unresolved) reportFailure(spec, reason, error);
  const ctx: ClusterContext = clusterContext(cluster, deps, opened);
  // Findings of kinds and namespaces the configuration no longer covers would never resolve.
  await resolveOutOfCoverage(ctx, coverageOf(cluster, discovered), signal);
  const targetsOf = (resolved: readonly Resolved[]): { resource: ApiResource; namespace: string | undefined }[] =>
    resolved.flatMap(({ resource }) =>
      (resource.namespaced && cluster.namespaces ? cluster.namespaces : [undefined]).map((namespace) => ({ resource, namespace })),
    );
  const targets = targetsOf(discovered.resolved);
  if (targets.length === 0) return { type: 'idle' };

  let source = opened.source;
  const watched = new Set<string>();
  /** Supervised loops: none of them ever rejects. */
  const loops = new Set<Promise<void>>();
  const startLoops = (resolved: readonly Resolved[]): void => {
    const fresh = resolved.filter(({ resource }) => {
      const key = `${resource.group}/${resource.resource}`;
      if (watched.has(key)) return false; // another spec named the same resource
      watched.add(key);
      return true;
    });
    const targets = targetsOf(fresh);
    if (targets.length > 0) {
      tell(deps, { type: 'kinds-watched', cluster: cluster.name, targets: targets.map(({ resource, namespace }) => ({ kind: resource.kind, ...(namespace !== undefined ? { namespace } : {}) })) });
    }
    for (const { resource, namespace } of targets) {
      const loop = superviseResource(ctx, resource, signal, { ...(namespace !== undefined ? { namespace } : {}), source: () => source });
      loops.add(loop);
      void loop.finally(() => loops.delete(loop));
    }
  };

  let rediscovery: Promise<void> | undefined;
  let broken: { error: unknown } | undefined;
  const rediscover = async (): Promise<void> => {
    const specs = [...pending.keys()];
    let found: Awaited<ReturnType<typeof discoverKinds>>;
    try {
      found = await discoverKinds(opened.client, specs, { idleTimeoutMs: settings.requestIdleMs, signal });
    } catch (err) {
      if (signal.aborted) return;
      // The group list failed: the running loops carry on, the pending kinds stay pending.
      for (const spec of specs) reportFailure(spec, 'failed', err);
      return;
    }
    if (signal.aborted) return;
    for (const { spec, reason, error } of found.unresolved) reportFailure(spec, reason, error);
    for (const { spec } of found.resolved) pending.delete(spec);
    startLoops(found.resolved);
  };

  const scheduler = deps.scheduler ?? realScheduler;
  // Reloads may overlap (a slow directory): the newest one that finishes wins, and an older one
  // finishing after it is dropped, whatever it read or however it failed.
  let reloads = 0;
  let loaded = 0;
  const refresh = (): void => {
    const reload = ++reloads;
    (deps.desiredSource ?? openDesiredSource)(cluster.desired, deps.baseDir)
      .then((next) => {
        if (reload < loaded) return;
        loaded = reload;
        source = next;
        for (const problem of next.problems) tell(deps, { type: 'source-problem', cluster: cluster.name, problem });
      })
      .catch((err: unknown) => {
        if (reload < loaded) return;
        tell(deps, { type: 'cluster-failed', cluster: cluster.name, error: errorValue(err) });
      });
    lookForPending();
  };
  // One look at a time; a resync that falls while one is in flight asks for another once it ends.
  let lookAgain = false;
  const lookForPending = (): void => {
    if (pending.size === 0 || signal.aborted) return;
    if (rediscovery) {
      lookAgain = true;
      return;
    }
    rediscovery = rediscover()
      .catch((err: unknown) => {
        // A bug, not the cluster: fail the attempt like a failing loop would.
        broken ??= { error: err };
        attempt.abort();
      })
      .finally(() => {
        rediscovery = undefined;
        if (lookAgain) {
          lookAgain = false;
          lookForPending();
        }
      });
  };
  // Desired state is read again, and kinds not found yet looked for, at every resync.
  let cancelRefresh = (): void => undefined;
  const scheduleRefresh = (): void => {
    cancelRefresh = scheduler.after(settings.resyncMs, () => {
      if (signal.aborted) return;
      scheduleRefresh();
      refresh();
    });
  };
  scheduleRefresh();
  try {
    startLoops(discovered.resolved);
    // The loops run until the attempt is aborted (stopped from outside, or a failed look for kinds).
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    cancelRefresh();
    // A look still in flight starts no loop once aborted; then every loop, old and new, ends.
    await rediscovery;
    while (loops.size > 0) await Promise.all([...loops]);
    if (broken) throw broken.error;
    return { type: 'stopped' };
  } finally {
    cancelRefresh();
  }
}

/** Starts watching every configured cluster; each runs (and fails) on its own. */
export function startDriftWatch(clusters: readonly ClusterConfig[], deps: ScanDeps): DriftWatch {
  const controller = new AbortController();
  deps.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const done = Promise.all(
    clusters.map((cluster) =>
      watchCluster(cluster, deps, controller.signal).catch((err: unknown) => {
        // watchCluster retries every failure it knows of; this is the last line, so that nothing can
        // become an unhandled rejection while `done` is not awaited yet.
        tell(deps, { type: 'cluster-failed', cluster: cluster.name, error: errorValue(err) });
      }),
    ),
  ).then(() => undefined);
  return {
    done,
    async stop() {
      controller.abort();
      await done;
    },
  };
}
