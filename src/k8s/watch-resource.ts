/**
 * One resource's watch loop: list, then watch from the list's resourceVersion, recording each event
 * against desired state; relist on 410 Gone and at every resync; reconnect with backoff after
 * errors, dropped connections and inactivity.
 */
import type { DesiredSource } from '../drift/sources/source.js';
import type { KubeObject } from '../drift/types.js';
import { whenNotBusy } from './busy.js';
import { KubeRequestError } from './client.js';
import type { ApiResource } from './discovery.js';
import type { ErrorValue } from './drift-events.js';
import { errorValue } from './drift-events.js';
import { listKind, OBJECTS_PER_TURN } from './list-kind.js';
import { watchOnce } from './list-watch.js';
import type { WatchEvent } from './list-watch.js';
import type { FindingsChange } from './observe.js';
import { observeDeleted, observeObject } from './observe.js';
import type { ClusterContext } from './open-cluster.js';
import { backoffDelay } from './scan-settings.js';
import { realScheduler, sleep, yieldToEventLoop } from './scheduler.js';

/** Records what one watch event says, against desired state as it is now; reports what changed. */
function observeEvent(ctx: ClusterContext, resource: ApiResource, event: Exclude<WatchEvent, { type: 'BOOKMARK' }>, source?: () => DesiredSource): void {
  const current = source ? { ...ctx, source: source() } : ctx;
  let change: FindingsChange;
  if (event.type === 'DELETED') change = observeDeleted(current, event.object, resource.namespaced);
  else {
    const outcome = observeObject(current, event.object);
    if (outcome.status === 'skipped') {
      ctx.emit?.({ type: 'object-skipped', cluster: ctx.cluster, object: outcome.object, message: outcome.message });
      return;
    }
    change = outcome.change;
  }
  if (change.created.length > 0 || change.resolved.length > 0) {
    ctx.emit?.({ type: 'findings-changed', cluster: ctx.cluster, ...change });
  }
}

function resourceVersionOf(object: KubeObject): string | undefined {
  const metadata = object['metadata'];
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return undefined;
  const rv = (metadata as Record<string, unknown>)['resourceVersion'];
  return typeof rv === 'string' ? rv : undefined;
}

/** A watch that lasted this long was not failing at once. */
const HEALTHY_WATCH_MS = 1000;

/**
 * Keeps one resource (in one namespace, or all) under observation: list, then watch from the
 * list's resourceVersion with bookmarks; relist on 410 Gone and at every resync; reconnect with
 * exponential backoff after errors, dropped connections and inactivity. Runs until `signal` aborts.
 * Failures of the cluster or the store are values (events, retries): it rejects only on a bug.
 */
export async function watchResource(
  ctx: ClusterContext,
  resource: ApiResource,
  signal: AbortSignal,
  options: { namespace?: string; source?: () => DesiredSource } = {},
): Promise<void> {
  const { settings } = ctx;
  const scheduler = ctx.scheduler ?? realScheduler;
  const random = ctx.random ?? Math.random;
  const namespace = resource.namespaced ? options.namespace : undefined;
  let resourceVersion: string | undefined;
  /** When the next relist is due: a resync interval after the last list, less a random part of it. */
  let resyncAt = 0;
  const scheduleResync = (): void => {
    resyncAt = scheduler.now() + Math.round(settings.resyncMs * (1 - settings.resyncJitter * random()));
  };
  let attempt = 0;
  const base = { cluster: ctx.cluster, resource, ...(namespace !== undefined ? { namespace } : {}) };

  while (!signal.aborted) {
    const current = options.source ? { ...ctx, source: options.source() } : ctx;
    if (resourceVersion === undefined || scheduler.now() >= resyncAt) {
      // A first list, or a relist after 410 Gone; else the periodic resync.
      const mode = resourceVersion === undefined ? 'list' : 'resync';
      const listed = await listKind(current, resource, mode, { ...(namespace !== undefined ? { namespace } : {}), signal });
      if (signal.aborted) return;
      if (!listed.ok) {
        // Keep the old resourceVersion: the watch may still resume while the list is failing, but a
        // failed list never resolves anything either way.
        const delay = backoffDelay(settings, attempt, random);
        attempt += 1;
        ctx.emit?.({ type: 'watch-ended', ...base, reason: 'failed', error: listed.error, retryInMs: delay, attempt, resourceVersion: resourceVersion ?? '' });
        await sleep(scheduler, delay, signal);
        if (resourceVersion === undefined) continue;
        scheduleResync(); // retry the list after the next resync interval, watching meanwhile
      } else {
        resourceVersion = listed.resourceVersion;
        scheduleResync();
        attempt = 0;
      }
    }

    const watchSignal = new AbortController();
    const onAbort = (): void => watchSignal.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const cancelResync = scheduler.after(Math.max(0, resyncAt - scheduler.now()), () => watchSignal.abort());
    const started = scheduler.now();
    // Events are recorded in order, one at a time, behind the stream: a busy database is waited out
    // on timers while the stream goes on. The next watch resumes after the last event recorded.
    let recordedVersion = resourceVersion ?? '';
    let recordFailure: { error: unknown } | undefined;
    let recording: Promise<void> = Promise.resolve();
    let sinceTurn = 0;
    const record = async (event: WatchEvent): Promise<void> => {
      if (recordFailure || signal.aborted) return;
      try {
        if (event.type !== 'BOOKMARK') {
          await whenNotBusy(() => observeEvent(ctx, resource, event, options.source), { scheduler, signal, random });
          // A burst of events (a rollout touching hundreds of objects) takes turns with the rest too.
          sinceTurn += 1;
          if (sinceTurn >= OBJECTS_PER_TURN) {
            sinceTurn = 0;
            await yieldToEventLoop();
          }
        }
        recordedVersion = event.type === 'BOOKMARK' ? event.resourceVersion : (resourceVersionOf(event.object) ?? recordedVersion);
      } catch (error) {
        // The event is not recorded: end the watch, and resume from before it after a backoff.
        recordFailure = { error };
        watchSignal.abort();
      }
    };
    let watched: Awaited<ReturnType<typeof watchOnce>>;
    try {
      watched = await watchOnce(ctx.client, resource, {
        ...(namespace !== undefined ? { namespace } : {}),
        resourceVersion: resourceVersion ?? '',
        timeoutSeconds: settings.watchTimeoutSeconds,
        inactivityMs: settings.inactivityMs,
        signal: watchSignal.signal,
        onEvent: (event) => {
          recording = recording.then(() => record(event));
        },
      });
    } catch (err) {
      // The connection failing in a way the client did not turn into a value: a failed watch all the same.
      const error = err instanceof KubeRequestError ? err : new KubeRequestError(`watch: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      watched = { end: { type: 'failed', error }, resourceVersion: resourceVersion ?? '', events: 0 };
    } finally {
      cancelResync();
    }
    await recording;
    signal.removeEventListener('abort', onAbort);
    if (signal.aborted) return;
    resourceVersion = recordedVersion;
    const end = watched.end;
    let reason: 'closed' | 'inactive' | 'dropped' | 'failed' | 'gone' | 'resync';
    let error: ErrorValue | undefined;
    let delay = 0;
    if (recordFailure) {
      // Recording failed (the store, or a bug): no healthy watch to start the backoff over from.
      reason = 'failed';
      error = errorValue(recordFailure.error);
      delay = backoffDelay(settings, attempt, random);
      attempt += 1;
    } else {
      switch (end.type) {
        case 'aborted':
          reason = 'resync';
          break;
        case 'gone':
          reason = 'gone';
          resourceVersion = undefined; // relist at once: the list is the recovery
          break;
        case 'closed':
          reason = 'closed';
          // The server ends watches at timeoutSeconds; one that ends at once, empty, is a failing server.
          if (watched.events > 0 || scheduler.now() - started >= HEALTHY_WATCH_MS) attempt = 0;
          else {
            delay = backoffDelay(settings, attempt, random);
            attempt += 1;
          }
          break;
        case 'inactive':
        case 'dropped':
        case 'failed':
          reason = end.type;
          if (end.type !== 'inactive') error = errorValue(end.error);
          // A watch that delivered events, or stayed up a while, was healthy: start the backoff over.
          if (watched.events > 0 || (end.type !== 'inactive' && scheduler.now() - started >= HEALTHY_WATCH_MS)) attempt = 0;
          delay = backoffDelay(settings, attempt, random);
          attempt += 1;
          break;
      }
    }
    ctx.emit?.({
      type: 'watch-ended',
      ...base,
      reason,
      ...(error ? { error } : {}),
      retryInMs: delay,
      attempt,
      resourceVersion: resourceVersion ?? '',
    });
    await sleep(scheduler, delay, signal);
  }
}
