/**
 * JSON pointers (RFC 6901) as the drift engine uses them. Paths name list items by merge key
 * (`/spec/template/spec/containers/name=web/image`); a pattern segment may also be `*` (any one
 * segment) or a list index (`/spec/template/spec/containers/0/image`).
 */
import { isRecord } from '../json.js';
import { firstObject, listKeyFor } from './merge-keys.js';
import { own } from './normalize.js';

export interface PointerPattern {
  source: string;
  segments: string[];
  /** Per segment: the list index it names, or -1 when it is not a non-negative integer. */
  indexes: number[];
}

const INDEX = /^(0|[1-9]\d*)$/;

export function escapeSegment(segment: string): string {
  if (segment.indexOf('~') < 0 && segment.indexOf('/') < 0) return segment;
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapeSegment(segment: string): string {
  if (segment.indexOf('~') < 0) return segment;
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Raw segments to a pointer string: `['spec', 'replicas']` → `/spec/replicas`. */
export function toPointer(segments: readonly string[], length = segments.length): string {
  let out = '';
  for (let i = 0; i < length; i++) out += `/${escapeSegment(segments[i] ?? '')}`;
  return out;
}

/** A pointer string to raw segments; the empty pointer is the whole document. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`JSON pointer must start with "/": ${JSON.stringify(pointer)}`);
  return pointer.slice(1).split('/').map(unescapeSegment);
}

export function compilePattern(pointer: string): PointerPattern {
  const segments = parsePointer(pointer);
  return { source: pointer, segments, indexes: segments.map((s) => (INDEX.test(s) ? Number(s) : -1)) };
}

/**
 * Whether `pattern` names the path or one of its ancestors. `listIndexes[i]` is the list index of
 * path segment i when that segment addresses a list item, else -1.
 */
export function patternCovers(
  pattern: PointerPattern,
  segments: readonly string[],
  listIndexes: readonly number[],
  length: number,
): boolean {
  const n = pattern.segments.length;
  return n <= length && prefixMatches(pattern, segments, listIndexes, n);
}

/** Whether the path is an ancestor of what the pattern names (so its value contains that part). */
export function patternBelow(
  pattern: PointerPattern,
  segments: readonly string[],
  listIndexes: readonly number[],
  length: number,
): boolean {
  return pattern.segments.length > length && prefixMatches(pattern, segments, listIndexes, length);
}

/** The first `count` segments of the path match the pattern's (`*`, equal, or the same list index). */
function prefixMatches(
  pattern: PointerPattern,
  segments: readonly string[],
  listIndexes: readonly number[],
  count: number,
): boolean {
  for (let i = 0; i < count; i++) {
    const p = pattern.segments[i];
    if (p === '*' || p === segments[i]) continue;
    const index = pattern.indexes[i] ?? -1;
    if (index >= 0 && index === listIndexes[i]) continue;
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Resolving a path inside a raw object

/** Where resolvePointer went, per segment: the list index taken (-1 for a map field, or no such item) and the item. */
export interface PointerTrace {
  indexes: number[];
  items: unknown[];
}

/** Defaults of key fields an item may leave out (`containerPort=80,protocol=TCP` names `{containerPort: 80}`). */
const LIST_KEY_DEFAULTS: Record<string, string> = { protocol: 'TCP', effect: '' };

/** Whether an item holds the values `key=value` pairs name. */
function matchesPairs(item: unknown, pairs: readonly (readonly [string, string])[]): boolean {
  if (item === null || typeof item !== 'object') return false;
  const record = item as Record<string, unknown>;
  return pairs.every(([k, v]) => {
    let actual: unknown = record[k] ?? LIST_KEY_DEFAULTS[k];
    // envFrom items are keyed by the name of the ConfigMap or Secret they reference.
    if (actual !== null && typeof actual === 'object') actual = (actual as Record<string, unknown>)['name'];
    return actual !== undefined && actual !== null && String(actual) === v;
  });
}

/**
 * The index of the item a path segment names in the list held by `field`: the item whose merge key
 * is the segment (as the diff names items); else the index the segment spells; else, for `key=value`
 * pairs (`,`, `+` or `&` between them), the first item with those fields; else the item equal to the
 * segment (a list of scalars). -1 when there is none.
 */
function listItemIndex(list: readonly unknown[], segment: string, field: string): number {
  const key = listKeyFor(field, firstObject(list, []));
  if (key) {
    const j = list.findIndex((item) => key.segmentOf(item) === segment);
    if (j >= 0) return j;
  }
  if (/^\d+$/.test(segment)) return Number(segment);
  if (!segment.includes('=')) return list.indexOf(segment);
  const pairs = segment.split(/[,+&]/).map((p) => {
    const i = p.indexOf('=');
    return [p.slice(0, i), p.slice(i + 1)] as const;
  });
  return list.findIndex((item) => matchesPairs(item, pairs));
}

/**
 * The value the path `segments` (unescaped) names inside a raw object, or undefined when it is absent.
 * A list item is named by its merge key (`name=web`, `containerPort=80,protocol=TCP`), by `key=value`
 * pairs of its fields, or by index. With `trace`, every segment is recorded, also past an absent value.
 */
export function resolvePointer(root: unknown, segments: readonly string[], trace?: PointerTrace): unknown {
  let value = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (Array.isArray(value)) {
      const index = listItemIndex(value, segment, segments[i - 1] ?? '');
      value = value[index];
      trace?.indexes.push(index);
      trace?.items.push(value);
    } else {
      value = isRecord(value) ? own(value, segment) : undefined;
      trace?.indexes.push(-1);
      trace?.items.push(undefined);
    }
  }
  return value;
}

/** resolvePointer for a pointer string, such as a finding's path; undefined for a malformed pointer. */
export function valueAtPath(root: unknown, path: string): unknown {
  let segments: string[];
  try {
    segments = parsePointer(path);
  } catch {
    return undefined;
  }
  return resolvePointer(root, segments);
}
