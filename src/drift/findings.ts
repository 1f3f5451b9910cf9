/**
 * Drift findings (pure): what a finding is, and the rules for how one ends. The findings store keeps
 * findings in SQLite and applies these rules.
 */
import { canonicalJson } from '../json.js';
import { valueAtPath } from './pointer.js';
import type { Attribution, Difference, DifferenceKind, KubeObject, ObjectRef } from './types.js';

/**
 * How a finding ended. `reverted`: the live value moved (back) while desired state stayed;
 * `codified`: the live value stayed and desired state (or ownership) moved to it; `deleted`: the
 * object is gone; `cleared`: the drift is gone but both sides moved, so neither story is certain.
 */
export type Resolution = 'reverted' | 'codified' | 'deleted' | 'cleared';
export type SourceType = 'directory' | 'last-applied' | 'managers';

export interface Finding {
  id: number;
  cluster: string;
  ref: ObjectRef;
  path: string;
  difference: DifferenceKind;
  /** `undefined` when the field is absent on that side; sensitive values are fingerprints. */
  desired: unknown;
  live: unknown;
  sensitive: boolean;
  attribution?: Attribution;
  source: SourceType;
  firstSeen: string;
  lastSeen: string;
  resolvedAt?: string;
  resolution?: Resolution;
}

/** The result of diffing one object that was successfully observed (listed, or sent by a watch). */
export interface ObjectObservation {
  cluster: string;
  ref: ObjectRef;
  source: SourceType;
  differences: readonly Difference[];
  /** The objects the differences came from: they tell a codified finding from a reverted one. */
  desired?: KubeObject;
  live?: KubeObject;
  /** The fingerprint used for sensitive values, to compare them without keeping them. */
  fingerprint?: (value: string) => string;
  /** How findings that end here ended, when it is known (the object left the scope of desired state). */
  resolveAs?: Resolution;
}

export interface ObservationResult {
  created: Finding[];
  /** Still present; `last_seen` moved, values and attribution refreshed. */
  updated: Finding[];
  resolved: Finding[];
}

/** The path of the finding that says a declared object does not exist in the cluster. */
export const WHOLE_OBJECT_PATH = '';

/** A stable identity for an object within a cluster: group, kind, namespace, name (version-independent). */
export function objectKey(ref: Pick<ObjectRef, 'group' | 'kind' | 'namespace' | 'name'>): string {
  return `${ref.group}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

/** What the rules below need to know of an active finding: its object and its path. */
export interface FindingKey {
  ref: Pick<ObjectRef, 'group' | 'kind' | 'namespace' | 'name'>;
  path: string;
}

/** How a pass or a watch looked at a kind. */
export type ScanMode = 'scan' | 'list' | 'resync' | 'watch';

/** What one complete list covered: a kind in a cluster, in the namespaces given or in all. */
export interface ListCoverage {
  cluster: string;
  group: string;
  kind: string;
  /** The namespaces the list covered; omitted: all of them. */
  namespaces?: readonly string[];
}

/** What desired state says about objects a list did not contain. */
export interface UnlistedOptions {
  /** Keys (`objectKey`) of objects that desired state still declares although they are absent. */
  declaredAbsent?: ReadonlySet<string>;
  /**
   * Whether desired state was read completely. When it was not (a manifest failed to parse), a
   * "declared object is missing" finding whose declaration vanished is kept: we cannot tell.
   */
  desiredComplete?: boolean;
}

/** What one pass over a cluster looked at: findings outside it say nothing about the cluster now. */
export interface ScanCoverage {
  cluster: string;
  /** Kinds the pass listed or tried to list (discovery found them), by group and kind. */
  kinds: readonly { group: string; kind: string }[];
  /** Namespaces namespaced kinds were listed in; omitted: all of them. */
  namespaces?: readonly string[];
  /**
   * Kinds whose list or discovery failed in the pass: whatever the rest says, their findings stay
   * (a failed list never resolves anything). `group` omitted: that kind in any group.
   */
  keep?: readonly { group?: string; kind: string }[];
}

function kept(coverage: ScanCoverage, group: string, kind: string): boolean {
  return (coverage.keep ?? []).some((k) => k.kind === kind && (k.group === undefined || k.group === group));
}

/** Whether a finding's object is one the pass looked at: a covered kind, in a covered namespace. */
export function isCovered(coverage: ScanCoverage, ref: Pick<ObjectRef, 'group' | 'kind' | 'namespace'>): boolean {
  if (!coverage.kinds.some((k) => k.group === ref.group && k.kind === ref.kind)) return false;
  // Cluster-scoped objects have no namespace and are scanned whatever the namespaces.
  return !coverage.namespaces || !ref.namespace || coverage.namespaces.includes(ref.namespace);
}

// --- how a finding ends ------------------------------------------------------------------------

/** The object was seen deleted (a watch DELETED event): its field findings are over; a missing declared object stays missing. */
export function endedByDeletion(finding: Pick<FindingKey, 'path'>): Resolution | undefined {
  return finding.path === WHOLE_OBJECT_PATH ? undefined : 'deleted';
}

/**
 * After a complete, successful list of one kind (`scope`), for an active finding of that kind: the
 * object was not listed, so it was deleted while nobody watched. A "declared object is missing"
 * finding stays while the object is still declared, or while desired state is incomplete; once it is
 * no longer declared, desired state moved to the cluster (codified). Undefined: the finding stays.
 */
export function endedByUnlisting(
  finding: FindingKey,
  scope: ListCoverage,
  listed: ReadonlySet<string>,
  options: UnlistedOptions = {},
): Resolution | undefined {
  const namespace = finding.ref.namespace;
  if (scope.namespaces && namespace && !scope.namespaces.includes(namespace)) return undefined;
  const key = objectKey(finding.ref);
  if (listed.has(key)) return undefined;
  if (finding.path === WHOLE_OBJECT_PATH) {
    // Still absent: it stays drift while declared; once no longer declared, desired state moved.
    if (options.declaredAbsent?.has(key)) return undefined;
    if (options.desiredComplete === false) return undefined;
    return 'codified';
  }
  return 'deleted';
}

/**
 * After a pass over a cluster (discovery succeeded), for an active finding of that cluster: one the
 * configuration no longer covers (a kind removed from config or no longer served, a namespace removed
 * from config) is `cleared`. Nothing was observed about it, so neither a revert nor a fix is claimed;
 * but nothing would ever resolve it either. Kinds in `keep` stay. Undefined: the finding stays.
 */
export function endedByCoverage(finding: Pick<FindingKey, 'ref'>, coverage: ScanCoverage): Resolution | undefined {
  const ref = finding.ref;
  if (kept(coverage, ref.group, ref.kind)) return undefined;
  return isCovered(coverage, ref) ? undefined : 'cleared';
}

/** `undefined`: cannot tell (a sensitive value without the fingerprint that made it). */
function sameValue(now: unknown, stored: unknown, sensitive: boolean, fingerprint?: (v: string) => string): boolean | undefined {
  if (!sensitive) return canonicalJson(now) === canonicalJson(stored);
  if (now === undefined || stored === undefined) return now === stored;
  if (typeof now !== 'string' || typeof stored !== 'string' || !fingerprint) return undefined;
  if (fingerprint(now) === stored) return true;
  const decoded = Buffer.from(now, 'base64').toString('utf8');
  return fingerprint(decoded) === stored ? true : false;
}

/**
 * How an active finding ended that an observation of its object no longer shows: as the observation
 * says (`resolveAs`), else by which side moved since the finding was recorded.
 */
export function endedByObservation(finding: Finding, obs: ObjectObservation): Resolution {
  if (obs.resolveAs) return obs.resolveAs;
  if (finding.path === WHOLE_OBJECT_PATH) return 'reverted'; // the declared object exists again
  if (!obs.live) return 'cleared';
  const liveNow = valueAtPath(obs.live, finding.path);
  const liveSame = sameValue(liveNow, finding.live, finding.sensitive, obs.fingerprint);
  if (liveSame === true) return 'codified';
  if (liveSame === undefined) return 'cleared';
  // For the managers-only source there is no desired value: both sides are `undefined`.
  const desiredNow = obs.desired ? valueAtPath(obs.desired, finding.path) : undefined;
  const desiredSame = sameValue(desiredNow, finding.desired, finding.sensitive, obs.fingerprint);
  return desiredSame === true ? 'reverted' : 'cleared';
}
