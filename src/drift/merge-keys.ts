/**
 * Which lists Kubernetes merges by key (strategic merge patch / server-side apply list-map keys),
 * and how an item is named in a path: `name=web`, `containerPort=80,protocol=TCP`, `mountPath=/data`.
 * Lists not named here are atomic: compared item by item, in order.
 */
import { isRecord } from '../json.js';

export interface ListKey {
  /** The path segment naming the item, or undefined when the item lacks its key. */
  segmentOf(item: unknown): string | undefined;
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function byField(field: string): ListKey {
  return {
    segmentOf(item) {
      if (!isRecord(item)) return undefined;
      const value = scalar(item[field]);
      return value === undefined ? undefined : `${field}=${value}`;
    },
  };
}

function byFields(fields: readonly string[], optional: ReadonlyMap<string, string> = new Map()): ListKey {
  return {
    segmentOf(item) {
      if (!isRecord(item)) return undefined;
      let out = '';
      for (const field of fields) {
        let value = scalar(item[field]);
        if (value === undefined) value = optional.get(field);
        if (value === undefined) return undefined;
        out += `${out ? ',' : ''}${field}=${value}`;
      }
      return out;
    },
  };
}

const PROTOCOL_DEFAULT = new Map([['protocol', 'TCP']]);
const CONTAINER_PORT = byFields(['containerPort', 'protocol'], PROTOCOL_DEFAULT);
const SERVICE_PORT = byFields(['port', 'protocol'], PROTOCOL_DEFAULT);

const ENV_FROM: ListKey = {
  segmentOf(item) {
    if (!isRecord(item)) return undefined;
    let out: string | undefined;
    for (const ref of ['configMapRef', 'secretRef']) {
      const source = item[ref];
      const name = isRecord(source) ? scalar(source['name']) : undefined;
      if (name !== undefined) out = `${ref}=${name}`;
    }
    if (out === undefined) return undefined;
    const prefix = scalar(item['prefix']);
    return prefix ? `${out},prefix=${prefix}` : out;
  },
};

const KEYS: ReadonlyMap<string, ListKey> = new Map<string, ListKey>([
  ['containers', byField('name')],
  ['initContainers', byField('name')],
  ['ephemeralContainers', byField('name')],
  ['volumes', byField('name')],
  ['env', byField('name')],
  ['envFrom', ENV_FROM],
  ['imagePullSecrets', byField('name')],
  ['webhooks', byField('name')],
  ['resourceClaims', byField('name')],
  ['schedulingGates', byField('name')],
  ['volumeMounts', byField('mountPath')],
  ['volumeDevices', byField('devicePath')],
  ['hostAliases', byField('ip')],
  ['ownerReferences', byField('uid')],
  ['conditions', byField('type')],
  // Atomic for the API server, but a taint is identified by key and effect and its order means nothing.
  ['taints', byFields(['key', 'effect'], new Map([['effect', '']]))],
  ['topologySpreadConstraints', byFields(['topologyKey', 'whenUnsatisfiable'])],
]);

/** Lists of scalars whose order Kubernetes ignores. */
const SET_LISTS: ReadonlySet<string> = new Set(['finalizers']);

/**
 * The merge key of the list held by `field`, judged from a sample item: container ports carry
 * `containerPort`, Service (and Endpoints, NetworkPolicy) ports carry `port`.
 */
export function listKeyFor(field: string, sample: unknown): ListKey | undefined {
  if (field === 'ports') {
    if (!isRecord(sample)) return undefined;
    if ('containerPort' in sample) return CONTAINER_PORT;
    if ('port' in sample) return SERVICE_PORT;
    return undefined;
  }
  return KEYS.get(field);
}

/** The first object item of `a`, else of `b`: the sample listKeyFor judges a list by. */
export function firstObject(a: readonly unknown[], b: readonly unknown[]): unknown {
  for (const v of a) if (isRecord(v)) return v;
  for (const v of b) if (isRecord(v)) return v;
  return undefined;
}

/** The key segment of every item, or undefined when one lacks its key or two share one. */
export function keysOf(key: ListKey, list: readonly unknown[]): string[] | undefined {
  const keys: string[] = new Array<string>(list.length);
  for (let i = 0; i < list.length; i++) {
    const k = key.segmentOf(list[i]);
    if (k === undefined) return undefined;
    for (let j = 0; j < i; j++) if (keys[j] === k) return undefined;
    keys[i] = k;
  }
  return keys;
}

export function allScalars(list: readonly unknown[]): boolean {
  for (const v of list) if (v !== null && typeof v === 'object') return false;
  return true;
}

function sameOrdered(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameSet(a: readonly unknown[], b: readonly unknown[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size !== sb.size) return false;
  for (const v of sa) if (!sb.has(v)) return false;
  return true;
}

/** Whether two lists of scalars held by `field` are the same: as sets where order means nothing, else in order. */
export function sameScalars(field: string, a: readonly unknown[], b: readonly unknown[]): boolean {
  return SET_LISTS.has(field) ? sameSet(a, b) : sameOrdered(a, b);
}
