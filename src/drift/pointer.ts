/**
 * JSON pointers (RFC 6901) as the drift engine uses them. Paths name list items by merge key
 * (`/spec/template/spec/containers/name=web/image`); a pattern segment may also be `*` (any one
 * segment) or a list index (`/spec/template/spec/containers/0/image`).
 */

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
