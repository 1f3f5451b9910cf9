/**
 * The drift engine's contract. The pure diff (diff.ts) produces these; the scanner (k8s/), the
 * findings store and the CLI consume them.
 */

/** A Kubernetes object exactly as the API server or a manifest file gave it: raw JSON, never a typed model. */
export type KubeObject = Record<string, unknown>;

/**
 * `changed`: both sides have the field with different values.
 * `missing`: declared in desired state (or last-applied, three-way) but absent from live.
 * `extra`: present only in live and owned by a manual manager (added by hand); or, three-way, declared
 * in the last-applied configuration, since removed from desired state, and still live.
 */
export type DifferenceKind = 'changed' | 'missing' | 'extra';

export type ManagerClass = 'manual' | 'automation';

export interface Attribution {
  manager: string;
  operation: string; // 'Update' | 'Apply'
  subresource?: string;
  time?: string; // RFC 3339 from managedFields
  managerClass: ManagerClass;
}

export interface Difference {
  /** JSON pointer into the object, list items addressed by merge key, e.g. `/spec/template/spec/containers/name=web/image`. */
  path: string;
  kind: DifferenceKind;
  /** Values as found; for sensitive paths these are fingerprints (`hmac-sha256:<hex>`), never the value. */
  desired: unknown;
  live: unknown;
  sensitive: boolean;
  attribution?: Attribution;
}

export interface DiffOptions {
  /** Managers whose owned fields are not drift. Default: ['kube-controller-manager']. */
  trustedManagers?: string[];
  /** Manager names (exact or `prefix*` globs) classed as automation, in addition to the built-in list. */
  automationManagers?: string[];
  /** JSON pointers (RFC 6901, `*` matches one segment) never compared. */
  ignorePointers?: string[];
  /** Treat ClusterRole rules filled in by an aggregationRule as not drift. Default false. */
  ignoreAggregatedRoles?: boolean;
  /** Extra JSON pointers whose values are sensitive (Secret data/stringData are always sensitive). */
  sensitivePointers?: string[];
  /** Keyed fingerprint for sensitive values; when absent, sensitive values are reported as '[redacted]'. */
  fingerprint?: (value: string) => string;
  /** Use the live `last-applied-configuration` annotation for three-way semantics. Default true. */
  threeWay?: boolean;
}

export interface DiffResult {
  inSync: boolean;
  differences: Difference[];
  /** True when the live object's last-applied configuration took part (three-way diff). */
  threeWay?: boolean;
}

export interface ObjectRef {
  group: string; // '' for core
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
}
