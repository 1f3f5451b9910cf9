/**
 * Listing one kind: a complete, paginated list of one resource (in one namespace, or all), every
 * object diffed and recorded a few at a time, then what the list did not return resolved or
 * reported missing, and the run recorded.
 */
import type { ScanMode } from '../drift/findings.js';
import { objectKey } from '../drift/findings.js';
import { countActiveFindings, recordScanRun, resolveUnlistedObjects } from '../store/findings-store.js';
import type { DeclaredObject } from '../drift/sources/source.js';
import { refOf } from '../drift/sources/source.js';
import type { ObjectRef } from '../drift/types.js';
import { whenNotBusy } from './busy.js';
import type { ApiResource } from './discovery.js';
import type { ErrorValue } from './drift-events.js';
import { errorValue, kindLabel } from './drift-events.js';
import { listAll } from './list-watch.js';
import type { FindingsChange } from './observe.js';
import { observeAbsent, observeObject } from './observe.js';
import type { ClusterContext } from './open-cluster.js';
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
