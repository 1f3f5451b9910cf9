/**
 * Which fields an audited write changed, read from the request body the API server recorded (levels
 * `Request` and `RequestResponse`) and kept without the body itself. Pure.
 *
 * A merge or strategic-merge patch is a partial object: its leaves are the changed fields (`null`
 * removes one). A JSON patch names its paths. A create or update sends the whole object: its leaves,
 * without server-kept metadata. Paths are JSON pointers as drift findings write them, list items by
 * merge key (`/spec/template/spec/containers/name=web/image`), so a write can be matched to a finding.
 * Values are kept short; a Secret's data, a configured sensitive path, a credential-named key and any
 * text that looks like a token are kept only as keyed fingerprints.
 */
import { isRecord } from '../json.js';
import { listKeyFor } from '../drift/merge-keys.js';
import { parsePointer, toPointer } from '../drift/pointer.js';
import { LAST_APPLIED_ANNOTATION, SECRET_VALUE_FIELDS } from '../drift/normalize.js';
import { isCredentialKey, redactSecrets } from '../redact.js';

export interface ChangedField {
  path: string;
  /** The new value as short JSON, `null` when the write removed the field, or a fingerprint. */
  value: string;
}

export interface ChangedFieldsOptions {
  fingerprint: (value: string) => string;
  /** JSON pointers (prefixes) whose values are sensitive like Secret data. */
  sensitivePointers?: readonly string[];
}

/** At most this many paths per write; a bigger create or update keeps the first ones. */
export const MAX_CHANGED_FIELDS = 100;
/** A kept value longer than this is cut, with `…`. */
const MAX_VALUE_CHARS = 120;

/** Metadata that names the object or that the server writes: never what a person changed. */
const NOT_CHANGES = new Set(['name', 'namespace', 'generateName', 'managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink']);
/** Strategic-merge-patch directives, not fields. */
const isDirective = (key: string): boolean => key.startsWith('$');

interface Walk {
  out: ChangedField[];
  secret: boolean;
  sensitive: readonly string[][];
  opts: ChangedFieldsOptions;
}

function isSensitive(walk: Walk, segs: readonly string[]): boolean {
  if (walk.secret && segs.length > 0) {
    const first = segs[0] as string;
    if (SECRET_VALUE_FIELDS.has(first)) return true;
  }
  for (const seg of segs) {
    // A credential-named field anywhere on the path (`…/DB_PASSWORD`), or a list item named like one
    // (`env/name=DB_PASSWORD/value`); the last-applied annotation is a copy of the whole object.
    if (isCredentialKey(seg) || seg === LAST_APPLIED_ANNOTATION) return true;
  }
  return walk.sensitive.some((prefix) => prefix.length <= segs.length && prefix.every((s, i) => s === '*' || s === segs[i]));
}

/** Deeper than this a body is not walked: nobody edits a field that deep, and a hostile body must not overflow the stack. */
const MAX_DEPTH = 32;

/** JSON text of a value, or undefined when it is nested past MAX_DEPTH (never recursing that far). */
function boundedJson(value: unknown, depth = 0): string | undefined {
  if (depth > MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (const v of value) {
      const p = boundedJson(v, depth + 1);
      if (p === undefined) return undefined;
      parts.push(p);
    }
    return `[${parts.join(',')}]`;
  }
  if (isRecord(value)) {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      const p = boundedJson(v, depth + 1);
      if (p === undefined) return undefined;
      parts.push(`${JSON.stringify(k)}:${p}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function show(walk: Walk, segs: readonly string[], value: unknown): string {
  if (value === null) return 'null';
  const text = typeof value === 'string' ? value : boundedJson(value);
  if (text === undefined) return '"(nested too deep to keep)"';
  if (isSensitive(walk, segs) || redactSecrets(text) !== text) return walk.opts.fingerprint(text);
  const json = typeof value === 'string' ? JSON.stringify(value) : text;
  return json.length > MAX_VALUE_CHARS ? `${json.slice(0, MAX_VALUE_CHARS - 1)}…` : json;
}

function add(walk: Walk, segs: readonly string[], value: unknown): void {
  if (walk.out.length >= MAX_CHANGED_FIELDS) return;
  walk.out.push({ path: toPointer(segs), value: show(walk, segs, value) });
}

/** The fields a keyed list item's segment names (`containerPort=80,protocol=TCP`): already in its path. */
function keyFieldsOf(segment: string): Set<string> {
  return new Set(segment.split(',').map((part) => part.slice(0, part.indexOf('='))));
}

function leaves(walk: Walk, segs: string[], value: unknown, top: boolean, keyFields?: Set<string>): void {
  if (walk.out.length >= MAX_CHANGED_FIELDS) return;
  if (segs.length >= MAX_DEPTH) return add(walk, segs, value);
  if (isRecord(value)) {
    let keys = Object.keys(value).filter((k) => !isDirective(k));
    if (keyFields) {
      // An item that is nothing but its key (a port, a volume mount) is changed as a whole.
      if (keys.every((k) => keyFields.has(k))) return add(walk, segs, value);
      keys = keys.filter((k) => !keyFields.has(k));
    }
    if (keys.length === 0) return add(walk, segs, value);
    for (const key of keys) {
      if (top && (key === 'status' || key === 'kind' || key === 'apiVersion')) continue;
      if (segs.length === 1 && segs[0] === 'metadata' && NOT_CHANGES.has(key)) continue;
      // The last-applied annotation is a copy of the whole object, not a field anyone edits.
      if (key === LAST_APPLIED_ANNOTATION) continue;
      // A Secret's data map is one sensitive value per key: the key name is kept, the value hidden.
      leaves(walk, [...segs, key], value[key], false);
    }
    return;
  }
  if (Array.isArray(value)) {
    const field = segs[segs.length - 1] ?? '';
    const sample = value.find(isRecord);
    const key = sample === undefined ? undefined : listKeyFor(field, sample);
    const keyed = key !== undefined && value.every((item) => !isRecord(item) || key.segmentOf(item) !== undefined);
    if (!keyed || value.length === 0) return add(walk, segs, value);
    for (const item of value) {
      if (!isRecord(item)) continue; // $deleteFromPrimitiveList and friends
      const segment = key.segmentOf(item) as string;
      leaves(walk, [...segs, segment], item, false, keyFieldsOf(segment));
    }
    return;
  }
  add(walk, segs, value);
}

/**
 * The fields a write changed, or undefined when the event carries no request body (levels `None` and
 * `Metadata`, deletes, or a body the server dropped for size).
 */
export function changedFields(
  event: { verb: string; objectRef?: { resource?: string; subresource?: string }; requestObject?: unknown },
  opts: ChangedFieldsOptions,
): ChangedField[] | undefined {
  const body = event.requestObject;
  if (body === undefined || body === null) return undefined;
  if (event.verb !== 'create' && event.verb !== 'update' && event.verb !== 'patch') return undefined;
  const walk: Walk = {
    out: [],
    secret: event.objectRef?.resource === 'secrets' && event.objectRef.subresource === undefined,
    sensitive: (opts.sensitivePointers ?? []).map((p) => parsePointer(p)),
    opts,
  };
  if (Array.isArray(body)) {
    // A JSON patch (RFC 6902): each operation names its path in the object's own list indexes.
    for (const op of body) {
      if (!isRecord(op) || typeof op.path !== 'string' || !op.path.startsWith('/')) continue;
      if (op.op === 'test') continue;
      const segs = parsePointer(op.path);
      if (walk.out.length >= MAX_CHANGED_FIELDS) break;
      walk.out.push({ path: toPointer(segs), value: op.op === 'remove' ? 'null' : show(walk, segs, op.value ?? op.from ?? null) });
    }
    return walk.out;
  }
  if (!isRecord(body)) return undefined;
  leaves(walk, [], body, true);
  return walk.out;
}

/** Whether a changed path and a finding's path touch the same field (one contains the other). */
export function samePlace(changed: string, findingPath: string): boolean {
  return changed === findingPath || findingPath.startsWith(`${changed}/`) || changed.startsWith(`${findingPath}/`);
}
