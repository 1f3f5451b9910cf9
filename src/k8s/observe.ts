import type { DriftConfig, IgnoreRule } from '../config/clusters.js';
import { diffObjects } from '../drift/diff.js';
import type { Finding, ObjectObservation } from '../drift/findings.js';
import { objectKey, WHOLE_OBJECT_PATH } from '../drift/findings.js';
import type { DesiredSource } from '../drift/sources/source.js';
import { describeRef, identityOf, refOf } from '../drift/sources/source.js';
import type { Difference, DiffOptions, DiffResult, KubeObject, ObjectRef } from '../drift/types.js';
import type { Db } from '../store/db.js';
import { globMatch } from '../config/glob.js';
import { storedIgnoreRules } from '../store/drift-ignores-store.js';
import { recordObjectDeleted, recordObservation } from '../store/findings-store.js';

export type DiffFn = (desired: KubeObject, live: KubeObject, options?: DiffOptions) => DiffResult;

/** What drift detection in one cluster needs, whatever drives it (one pass or a watch). */
export interface ObserverContext {
  db: Db;
  cluster: string;
  source: DesiredSource;
  drift: DriftConfig;
  /** Keyed fingerprint for sensitive values (from the per-installation key). */
  fingerprint: (value: string) => string;
  now: () => Date;
  /** The diff engine; the real one unless a test says otherwise. */
  diff?: DiffFn;
}

export interface FindingsChange {
  created: Finding[];
  resolved: Finding[];
}

export interface IgnoreDecision {
  /** A rule without pointers matched: the whole object is out of scope. */
  object: boolean;
  /** Pointers of the matching rules that name fields. */
  pointers: string[];
}

/** The ignore rules for an object: stopgap.yml's, and drift people marked as expected from Slack. */
function ignoreRulesFor(ctx: ObserverContext, ref: ObjectRef): readonly IgnoreRule[] {
  const stored = storedIgnoreRules(ctx.db, ctx.cluster, ref);
  return stored.length === 0 ? ctx.drift.ignore : [...ctx.drift.ignore, ...stored];
}

/** Applies config ignore rules to an object: every criterion a rule gives must match (globs). */
export function matchIgnoreRules(rules: readonly IgnoreRule[], ref: ObjectRef): IgnoreDecision {
  const decision: IgnoreDecision = { object: false, pointers: [] };
  for (const rule of rules) {
    const matches =
      globMatch(rule.group, ref.group) &&
      globMatch(rule.kind, ref.kind) &&
      globMatch(rule.namespace, ref.namespace ?? '') &&
      globMatch(rule.name, ref.name);
    if (!matches) continue;
    if (!rule.pointers || rule.pointers.length === 0) decision.object = true;
    else decision.pointers.push(...rule.pointers);
  }
  return decision;
}

// The diff engine compiles each options object once: hand it the same object for the same rules.
const optionsCache = new WeakMap<DriftConfig, WeakMap<(value: string) => string, Map<string, DiffOptions>>>();

export function diffOptionsFor(
  ctx: Pick<ObserverContext, 'drift' | 'fingerprint'>,
  ignorePointers: string[],
  threeWay = true,
): DiffOptions {
  let byFingerprint = optionsCache.get(ctx.drift);
  if (!byFingerprint) {
    byFingerprint = new WeakMap();
    optionsCache.set(ctx.drift, byFingerprint);
  }
  let byPointers = byFingerprint.get(ctx.fingerprint);
  if (!byPointers) {
    byPointers = new Map();
    byFingerprint.set(ctx.fingerprint, byPointers);
  }
  const key = `${threeWay ? '3' : '2'}\n${ignorePointers.join('\n')}`;
  let options = byPointers.get(key);
  if (!options) {
    options = {
      trustedManagers: ctx.drift.trustedManagers,
      automationManagers: ctx.drift.automationManagers,
      ignorePointers,
      ignoreAggregatedRoles: ctx.drift.ignoreAggregatedRoles,
      sensitivePointers: ctx.drift.sensitivePointers,
      fingerprint: ctx.fingerprint,
      threeWay,
    };
    byPointers.set(key, options);
  }
  return options;
}

export type ObserveOutcome =
  | { status: 'observed'; differences: number; change: FindingsChange }
  /** Desired state could not be read for this object, or the diff failed: nothing recorded or resolved. */
  | { status: 'skipped'; object: string; message: string };

function observation(ctx: ObserverContext, ref: ObjectRef, differences: Difference[], desired?: KubeObject, live?: KubeObject): ObjectObservation {
  const obs: ObjectObservation = { cluster: ctx.cluster, ref, source: ctx.source.type, differences, fingerprint: ctx.fingerprint };
  if (desired) obs.desired = desired;
  if (live) obs.live = live;
  return obs;
}

/** Diffs one live object that the API server returned and records the outcome. */
export function observeObject(ctx: ObserverContext, live: KubeObject): ObserveOutcome {
  const ref = refOf(live);
  if (!ref) return { status: 'skipped', object: '(unnamed object)', message: 'object without apiVersion, kind or name' };
  const ignore = matchIgnoreRules(ignoreRulesFor(ctx, ref), ref);
  // Out of scope now (ignored, or no longer declared): earlier findings end without a verdict.
  if (ignore.object) {
    return record(ctx, { ...observation(ctx, ref, [], undefined, live), resolveAs: 'cleared' });
  }
  const lookup = ctx.source.lookup(live, ref);
  if (lookup.status === 'unreadable') {
    return { status: 'skipped', object: describeRef(ref), message: lookup.problem.message };
  }
  if (lookup.status === 'undeclared') {
    // Not managed by desired state: nothing to drift from. When part of desired state could not be
    // read, the object may be declared there, so its findings stay as they are.
    if (!ctx.source.complete) return { status: 'observed', differences: 0, change: { created: [], resolved: [] } };
    return record(ctx, { ...observation(ctx, ref, [], undefined, live), resolveAs: 'cleared' });
  }
  let result: DiffResult;
  try {
    result = (ctx.diff ?? diffObjects)(lookup.desired, lookup.live, diffOptionsFor(ctx, ignore.pointers, lookup.threeWay ?? true));
  } catch (err) {
    return { status: 'skipped', object: describeRef(ref), message: `diff failed: ${(err as Error).message}` };
  }
  return record(ctx, observation(ctx, ref, result.differences, lookup.desired, lookup.live));
}

function record(ctx: ObserverContext, obs: ObjectObservation): ObserveOutcome {
  const result = recordObservation(ctx.db, obs, ctx.now());
  return {
    status: 'observed',
    differences: obs.differences.length,
    change: { created: result.created, resolved: result.resolved },
  };
}

/** The "declared but absent" difference for an object desired state declares and the cluster lacks. */
export function absentObjectDifference(ref: ObjectRef): Difference {
  return { path: WHOLE_OBJECT_PATH, kind: 'missing', desired: identityOf(ref), live: undefined, sensitive: false };
}

/** Records that a declared object does not exist (deleted by hand, or never created). */
export function observeAbsent(ctx: ObserverContext, ref: ObjectRef): FindingsChange {
  if (matchIgnoreRules(ignoreRulesFor(ctx, ref), ref).object) return { created: [], resolved: [] };
  const result = recordObservation(ctx.db, observation(ctx, ref, [absentObjectDifference(ref)]), ctx.now());
  return { created: result.created, resolved: result.resolved };
}

/**
 * A watch DELETED event: field findings end; a declared object's absence becomes a finding. One
 * transaction: when the second write fails, the first is undone too, and the replayed event
 * reports both.
 */
export function observeDeleted(ctx: ObserverContext, object: KubeObject, namespaced: boolean): FindingsChange {
  const ref = refOf(object);
  if (!ref) return { created: [], resolved: [] };
  return ctx.db.transaction((): FindingsChange => {
    const resolved = recordObjectDeleted(ctx.db, ctx.cluster, ref, ctx.now());
    const key = objectKey(ref);
    const declared = ctx.source.declared(ref.group, ref.kind, namespaced).some((d) => objectKey(d.ref) === key);
    if (!declared) return { created: [], resolved };
    const absent = observeAbsent(ctx, { ...ref, uid: undefined });
    return { created: absent.created, resolved: [...resolved, ...absent.resolved] };
  })();
}
