/**
 * What Kubernetes considers "the same": server-owned metadata, empty values, Secret encodings,
 * Endpoints ordering, and the defaults the API server fills in. Pure, and cheap on the hot path:
 * objects are copied only for the kinds that need rewriting (Secret, Endpoints).
 */
import { isRecord } from '../json.js';
import type { KubeObject } from './types.js';

type Obj = Record<string, unknown>;

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** metadata fields the server owns; never compared. */
export const SERVER_METADATA: ReadonlySet<string> = new Set([
  'creationTimestamp',
  'resourceVersion',
  'uid',
  'generation',
  'managedFields',
  'selfLink',
]);

/** Annotations that record an action or bookkeeping rather than configuration; never drift. */
export const IGNORED_ANNOTATIONS: ReadonlySet<string> = new Set([
  LAST_APPLIED_ANNOTATION,
  'deployment.kubernetes.io/revision',
  'deprecated.daemonset.template.generation',
  'kubectl.kubernetes.io/restartedAt',
]);

/**
 * `object[key]` for a key that comes from data: never a value inherited from Object.prototype
 * (`toString`, `constructor`, `__proto__`), which JSON cannot hold. Cheap: JSON has no functions,
 * so only `__proto__` needs the own-property check.
 */
export function own(object: Obj, key: string): unknown {
  const value = object[key];
  if (typeof value === 'function') return undefined;
  if (key === '__proto__' && !Object.prototype.hasOwnProperty.call(object, key)) return undefined;
  return value;
}

/** Sets an own property even for the key `__proto__`, which plain assignment would turn into a prototype. */
export function setOwn(target: Obj, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function hasKeys(value: Obj): boolean {
  for (const _ in value) return true;
  return false;
}

/** Absent, null, `[]` and `{}`: all mean "nothing declared" to the API server. */
export function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'object') return false;
  return Array.isArray(value) ? value.length === 0 : !hasKeys(value as Obj);
}

/**
 * `""`, `false`, `0`: omitted by the API server (omitempty), so equal to an absent field. True of
 * typed struct fields only: in a free-form map (see isFreeFormMap) a key is data, and a key holding
 * `""` is as present as any other.
 */
export function isZeroScalar(value: unknown): boolean {
  return value === '' || value === false || value === 0;
}

/** Object fields that hold a Secret's values. */
export const SECRET_VALUE_FIELDS: ReadonlySet<string> = new Set(['data', 'stringData', 'binaryData']);

/**
 * Whether `kind` names a Secret: case-insensitively, since a hand-written `kind: secret` still holds
 * secret values. Any API group: this decides what is redacted, and redacting too much costs nothing.
 */
export function isSecretKind(kind: unknown): boolean {
  return typeof kind === 'string' && kind.length === 6 && kind.toLowerCase() === 'secret';
}

const FREE_FORM_TOP: ReadonlySet<string> = new Set(['data', 'stringData', 'binaryData']);
const FREE_FORM_ANYWHERE: ReadonlySet<string> = new Set(['matchLabels', 'nodeSelector', 'volumeAttributes']);
const SELECTOR_MAP_KINDS: ReadonlySet<unknown> = new Set(['Service', 'ReplicationController']);

/**
 * Whether the map at `segments[0..length)` is free-form (Go `map[string]string` and the like) rather
 * than a typed struct: top-level `data`, `stringData`, `binaryData`; `metadata.labels` and
 * `metadata.annotations` at any depth; `matchLabels`, `nodeSelector`, CSI `volumeAttributes`; the
 * Service and ReplicationController `spec.selector`; StorageClass `parameters`. Its keys are data, so
 * omitempty does not apply to them and no field-name default does either.
 */
export function isFreeFormMap(segments: readonly string[], length: number, kind: unknown): boolean {
  if (length <= 0) return false;
  const key = segments[length - 1] as string;
  if (length === 1) return FREE_FORM_TOP.has(key) || (key === 'parameters' && kind === 'StorageClass');
  if (FREE_FORM_ANYWHERE.has(key)) return true;
  const parent = segments[length - 2];
  if (parent === 'metadata') return key === 'labels' || key === 'annotations';
  return length === 2 && key === 'selector' && parent === 'spec' && SELECTOR_MAP_KINDS.has(kind);
}

/** Whether a value declares anything beyond empty and zero values. */
export function hasContent(value: unknown): boolean {
  if (value === undefined || value === null || isZeroScalar(value)) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') {
    for (const k in value as Obj) if (hasContent((value as Obj)[k])) return true;
    return false;
  }
  return true;
}

/** `apps/v1` → `apps`; `v1` → `` (core). */
export function groupOf(apiVersion: unknown): string | undefined {
  if (typeof apiVersion !== 'string') return undefined;
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

// ---------------------------------------------------------------------------------------------
// Per-kind rewriting

const WHITESPACE = /\s/;
const WHITESPACE_ALL = /\s+/g;

function canonicalBase64(value: string): string {
  const text = WHITESPACE.test(value) ? value.replace(WHITESPACE_ALL, '') : value;
  const rest = text.length % 4;
  return rest === 2 || rest === 3 ? text + '='.repeat(4 - rest) : text;
}

/**
 * Secret: `stringData` merged into `data` as base64 (what the API server stores), nil values as `""`.
 * Returns the object itself when nothing needs rewriting.
 */
export function normalizeSecret(object: KubeObject): KubeObject {
  const data = object['data'];
  const stringData = object['stringData'];
  const hasStringData = isRecord(stringData);
  if (!hasStringData && isRecord(data)) {
    let clean = true;
    for (const k in data) {
      const v = data[k];
      if (typeof v !== 'string' || WHITESPACE.test(v) || v.length % 4 !== 0) {
        clean = false;
        break;
      }
    }
    if (clean && !('stringData' in object)) return object;
  }
  if (!hasStringData && !isRecord(data) && !('stringData' in object)) return object;
  const merged: Obj = {};
  if (isRecord(data)) {
    for (const k in data) {
      const v = data[k];
      setOwn(merged, k, v === null || v === undefined ? '' : typeof v === 'string' ? canonicalBase64(v) : v);
    }
  }
  if (hasStringData) {
    for (const k in stringData) {
      const v = stringData[k];
      const text = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
      setOwn(merged, k, Buffer.from(text, 'utf8').toString('base64'));
    }
  }
  const copy: Obj = {};
  for (const k in object) if (k !== 'stringData' && k !== 'data') setOwn(copy, k, object[k]);
  if (isRecord(data) || hasStringData) copy['data'] = merged;
  return copy;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedAddresses(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return [...value].sort((a, b) =>
    compareStrings(isRecord(a) ? String(a['ip'] ?? '') : '', isRecord(b) ? String(b['ip'] ?? '') : ''),
  );
}

function portSortKey(p: unknown): string {
  if (!isRecord(p)) return '';
  return `${String(p['port'] ?? '').padStart(6, '0')}/${String(p['protocol'] ?? 'TCP')}/${String(p['name'] ?? '')}`;
}

/** Endpoints: protocol defaults to TCP, addresses, ports and subsets sorted (as Argo CD does). */
export function normalizeEndpoints(object: KubeObject): KubeObject {
  const subsets = object['subsets'];
  if (!Array.isArray(subsets)) return object;
  const normalized = subsets.map((subset: unknown) => {
    if (!isRecord(subset)) return subset;
    const copy: Obj = { ...subset };
    if ('addresses' in copy) copy['addresses'] = sortedAddresses(copy['addresses']);
    if ('notReadyAddresses' in copy) copy['notReadyAddresses'] = sortedAddresses(copy['notReadyAddresses']);
    const ports = copy['ports'];
    if (Array.isArray(ports)) {
      copy['ports'] = ports
        .map((p: unknown) => (isRecord(p) && p['protocol'] === undefined ? { ...p, protocol: 'TCP' } : p))
        .sort((a, b) => compareStrings(portSortKey(a), portSortKey(b)));
    }
    return copy;
  });
  normalized.sort((a, b) => compareStrings(JSON.stringify(a), JSON.stringify(b)));
  return { ...object, subsets: normalized };
}

/** The per-kind rewrites; the object itself for every other kind. */
export function normalizeForKind(object: KubeObject): KubeObject {
  const kind = object['kind'];
  if (isSecretKind(kind)) return normalizeSecret(object);
  if (kind === 'Endpoints') return normalizeEndpoints(object);
  return object;
}

/** The object recorded by `kubectl apply` in the last-applied annotation, normalized; undefined if none or unreadable. */
export function lastAppliedOf(live: KubeObject): KubeObject | undefined {
  const metadata = live['metadata'];
  if (!isRecord(metadata)) return undefined;
  const annotations = metadata['annotations'];
  if (!isRecord(annotations)) return undefined;
  const text = annotations[LAST_APPLIED_ANNOTATION];
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? normalizeForKind(parsed) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Quantities

const QUANTITY_MAPS: ReadonlySet<string> = new Set(['limits', 'requests']);
const QUANTITY_LEAVES: ReadonlySet<string> = new Set(['sizeLimit', 'divisor', 'storage']);
const QUANTITY_PARENTS: ReadonlySet<string> = new Set(['hard', 'capacity', 'allocatable', 'overhead']);
const LIMIT_RANGE_MAPS: ReadonlySet<string> = new Set([
  'max',
  'min',
  'default',
  'defaultRequest',
  'maxLimitRequestRatio',
]);

/**
 * Whether the value at `segments[0..length)` is a resource quantity: under `resources.limits` /
 * `resources.requests`, ResourceQuota `hard`, LimitRange limits, `sizeLimit`, `divisor`, `storage`.
 */
export function isQuantityPath(segments: readonly string[], length: number, kind: unknown): boolean {
  const key = segments[length - 1];
  if (key !== undefined && QUANTITY_LEAVES.has(key)) return true;
  const parent = segments[length - 2];
  if (parent === undefined) return false;
  if (QUANTITY_MAPS.has(parent) && segments[length - 3] === 'resources') return true;
  if (QUANTITY_PARENTS.has(parent)) return true;
  return kind === 'LimitRange' && LIMIT_RANGE_MAPS.has(parent);
}

// ---------------------------------------------------------------------------------------------
// Server defaults

function imageIsLatest(image: unknown): boolean {
  if (typeof image !== 'string') return false;
  if (image.includes('@')) return false;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon <= slash || image.slice(colon + 1) === 'latest';
}

type DefaultRule = (value: unknown, parent: Obj | undefined) => boolean;

const is =
  (...values: unknown[]): DefaultRule =>
  (value) =>
    values.includes(value);
const any: DefaultRule = () => true;

/**
 * Values the API server (or an admission default) writes into fields nobody declared. A field that
 * holds its default is never "added by hand", whoever the managedFields say wrote it last: a
 * client-side `kubectl apply` owns every default filled in during its request.
 */
const DEFAULTS: ReadonlyMap<string, DefaultRule> = new Map<string, DefaultRule>([
  ['imagePullPolicy', (v, parent) => v === (imageIsLatest(parent?.['image']) ? 'Always' : 'IfNotPresent')],
  ['terminationMessagePath', is('/dev/termination-log')],
  ['terminationMessagePolicy', is('File')],
  ['protocol', is('TCP')],
  ['dnsPolicy', is('ClusterFirst')],
  ['restartPolicy', is('Always')],
  ['schedulerName', is('default-scheduler')],
  ['serviceAccount', (v, parent) => v === parent?.['serviceAccountName']],
  ['terminationGracePeriodSeconds', is(30)],
  ['progressDeadlineSeconds', is(600)],
  ['revisionHistoryLimit', is(10)],
  ['maxSurge', is('25%', 0)],
  ['maxUnavailable', is('25%', 1)],
  ['partition', is(0)],
  ['podManagementPolicy', is('OrderedReady')],
  ['type', is('RollingUpdate', 'ClusterIP', 'Opaque')],
  ['replicas', is(1)],
  ['sessionAffinity', is('None')],
  ['internalTrafficPolicy', is('Cluster')],
  ['externalTrafficPolicy', is('Cluster')],
  ['clusterIP', any],
  ['clusterIPs', any],
  ['ipFamilies', any],
  ['ipFamilyPolicy', is('SingleStack')],
  ['nodePort', any],
  ['healthCheckNodePort', any],
  ['allocateLoadBalancerNodePorts', is(true)],
  ['targetPort', (v, parent) => v === parent?.['port']],
  ['defaultMode', is(420)],
  ['divisor', is('0', 0, '1', 1)],
  ['apiVersion', is('v1')],
  ['failureThreshold', is(3)],
  ['periodSeconds', is(10)],
  ['successThreshold', is(1)],
  ['timeoutSeconds', is(1, 10, 30)],
  ['scheme', is('HTTP')],
  ['matchPolicy', is('Equivalent', 'Exact')],
  ['sideEffects', is('Unknown')],
  ['reinvocationPolicy', is('Never')],
  ['failurePolicy', is('Fail')],
  ['scope', is('*')],
  ['admissionReviewVersions', (v) => Array.isArray(v) && v.length === 1 && v[0] === 'v1beta1'],
  ['port', (v, parent) => v === 443 && parent !== undefined && 'namespace' in parent],
  ['volumeMode', is('Filesystem')],
  ['concurrencyPolicy', is('Allow')],
  ['successfulJobsHistoryLimit', is(3)],
  ['failedJobsHistoryLimit', is(1)],
  ['backoffLimit', is(6)],
  ['completionMode', is('NonIndexed')],
  ['completions', is(1)],
  ['parallelism', is(1)],
  ['enableServiceLinks', is(true)],
  ['whenDeleted', is('Retain')],
  ['whenScaled', is('Retain')],
  ['podReplacementPolicy', is('TerminatingOrFailed')],
  ['suspend', is(false)],
  ['kind', is('PersistentVolumeClaim')],
  ['storageClassName', any],
  ['creationTimestamp', any],
  ['status', any],
]);

/** Whether a live-only value is what the server would have filled in by itself. */
export function isServerDefault(field: string | undefined, value: unknown, parent: Obj | undefined): boolean {
  if (isEmptyValue(value) || isZeroScalar(value)) return true;
  if (field === undefined) return false;
  const rule = DEFAULTS.get(field);
  return rule !== undefined && rule(value, parent);
}
