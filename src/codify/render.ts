/**
 * Values written into a manifest as text: scalars spelled so the scanner's reader (YAML 1.1 as
 * Kubernetes reads it) reads back exactly the value meant, in the style the surrounding text uses
 * (plain stays plain where it can, a quoted scalar keeps its quotes, block or flow collections, the
 * document's indentation, JSON in a JSON file).
 */
import { parseManifestText } from '../drift/manifest-parser.js';
import { isRecord } from '../json.js';

/** How a document lays out block collections, measured from the document itself. */
export interface Layout {
  /** Spaces a nested block mapping is indented by. */
  step: number;
  /** Spaces a block sequence's `-` sits right of the key holding it (0: `- ` right under the key). */
  seqIndent: number;
  /** The file is JSON: everything written is JSON. */
  json: boolean;
}

/** The `yaml` library's scalar styles. */
export type ScalarStyle = 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE' | 'BLOCK_LITERAL' | 'BLOCK_FOLDED';

// eslint-disable-next-line no-control-regex -- finding characters YAML cannot print is the point
const NON_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff\ud800-\udfff]/u;
const ESCAPE_FOR_YAML = /[\u007f-\u009f\u2028\u2029\ufeff]/g;

/** A double-quoted YAML (and JSON) string: JSON's escapes are YAML's, plus a few characters YAML wants escaped. */
export function doubleQuoted(text: string): string {
  return JSON.stringify(text).replace(ESCAPE_FOR_YAML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function singleQuoted(text: string): string | undefined {
  if (text.includes('\n') || NON_PRINTABLE.test(text) || text.includes('\t')) return undefined;
  return `'${text.replace(/'/g, "''")}'`;
}

const readsCache = new Map<string, boolean>();

/** Whether `text` written plain is read back as that same string (not a number, a boolean, null, ...). */
function readsAsString(text: string): boolean {
  let ok = readsCache.get(text);
  if (ok === undefined) {
    const read = parseManifestText(`v: ${text}\n`);
    const doc = read.documents[0]?.value;
    ok = read.problems.length === 0 && read.documents.length === 1 && isRecord(doc) && Object.keys(doc).length === 1 && doc['v'] === text;
    if (readsCache.size > 10_000) readsCache.clear();
    readsCache.set(text, ok);
  }
  return ok;
}

/**
 * Whether a string can be written as a plain scalar: nothing YAML would read as syntax (indicators,
 * `: `, ` #`, document markers, flow punctuation in flow context), and not a word YAML 1.1 reads as
 * something else (`yes`, `1.10`, `0644`, `~`).
 */
export function canBePlain(text: string, flow: boolean): boolean {
  if (text === '' || text !== text.trim()) return false;
  if (NON_PRINTABLE.test(text) || /[\t\n\r]/.test(text)) return false;
  const first = text[0] as string;
  if (',[]{}#&*!|>\'"%@`'.includes(first)) return false;
  if ('-?:'.includes(first) && (text.length === 1 || text[1] === ' ')) return false;
  if (first === '?' || first === ':') return false;
  if (text.includes(': ') || text.includes(' #') || text.endsWith(':')) return false;
  if (flow && /[,[\]{}:]/.test(text)) return false;
  if (text.startsWith('---') || text.startsWith('...') || text === '<<') return false;
  return readsAsString(text);
}

function scalarOf(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  return undefined;
}

/**
 * A scalar on one line. A string keeps the quoting of the scalar it replaces (`like`): plain stays
 * plain unless the value needs quotes; with no scalar to follow, plain where possible, else double quotes.
 */
export function inlineScalar(value: unknown, opts: { flow: boolean; json: boolean; like?: ScalarStyle }): string {
  if (opts.json) return typeof value === 'string' ? doubleQuoted(value) : JSON.stringify(value ?? null);
  const other = scalarOf(value);
  if (other !== undefined) return other;
  const text = String(value);
  if (opts.like === 'QUOTE_DOUBLE') return doubleQuoted(text);
  if (opts.like === 'QUOTE_SINGLE') return singleQuoted(text) ?? doubleQuoted(text);
  return canBePlain(text, opts.flow) ? text : doubleQuoted(text);
}

/** A mapping key as written: plain where it reads back as that string, else double-quoted. */
export function keyText(key: string, flow: boolean, json: boolean): string {
  if (json) return doubleQuoted(key);
  return canBePlain(key, flow) && !key.includes(':') ? key : doubleQuoted(key);
}

function isScalarValue(value: unknown): boolean {
  return value === null || value === undefined || typeof value !== 'object';
}

function isEmptyCollection(value: unknown): boolean {
  return Array.isArray(value) ? value.length === 0 : isRecord(value) && Object.keys(value).length === 0;
}

/** A YAML flow collection or scalar on one line: `{a: 1, b: [x, y]}`. */
export function flowText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => flowText(v)).join(', ')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value).map((k) => `${keyText(k, true, false)}: ${flowText(value[k])}`).join(', ')}}`;
  }
  return inlineScalar(value, { flow: true, json: false });
}

/**
 * JSON for a value placed at column `col` of a JSON file: indented by `step` like the file (a
 * multi-line file), or on one line (`step` 0).
 */
export function jsonText(value: unknown, col: number, step: number): string {
  const text = step > 0 ? JSON.stringify(value, null, step) : JSON.stringify(value);
  return (text ?? 'null').replace(ESCAPE_FOR_YAML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).split('\n').join(`\n${' '.repeat(col)}`);
}

const spaces = (n: number): string => ' '.repeat(Math.max(0, n));

/**
 * A multi-line string as a literal block (`|` or `|-`), its lines at column `col`; undefined when a
 * literal block could not hold it exactly (leading spaces, blank lines of spaces, several trailing
 * newlines, characters YAML does not print).
 */
export function literalBlock(text: string, col: number): { header: string; lines: string } | undefined {
  if (!text.includes('\n') || text.includes('\r') || NON_PRINTABLE.test(text)) return undefined;
  let body = text;
  let header = '|-';
  if (body.endsWith('\n')) {
    body = body.slice(0, -1);
    header = '|';
    if (body.endsWith('\n') || body === '') return undefined;
  }
  const lines = body.split('\n');
  if (lines[0]?.startsWith(' ') || lines[0] === '' || lines[0]?.startsWith('\t')) return undefined;
  if (lines.some((l) => l !== '' && l.trim() === '')) return undefined;
  return { header, lines: lines.map((l) => (l === '' ? '\n' : `${spaces(col)}${l}\n`)).join('') };
}

/** What follows `key:` in block context: a value on the same line, or a header there and lines below. */
export type BlockRendering = { inline: string } | { header: string; body: string; col: number };

/**
 * A value written after `key:` in block context, the key at column `keyCol`. `col` overrides the
 * column of the lines below (the column of the collection or block scalar being replaced).
 */
export function afterKey(value: unknown, keyCol: number, layout: Layout, opts: { like?: ScalarStyle; col?: number } = {}): BlockRendering {
  if (typeof value === 'string' && value.includes('\n') && opts.like !== 'QUOTE_DOUBLE' && opts.like !== 'QUOTE_SINGLE') {
    const col = opts.col ?? keyCol + layout.step;
    const literal = literalBlock(value, col);
    if (literal) return { header: ` ${literal.header}`, body: literal.lines, col };
  }
  if (isScalarValue(value)) return { inline: inlineScalar(value, { flow: false, json: false, like: opts.like }) };
  if (isEmptyCollection(value)) return { inline: Array.isArray(value) ? '[]' : '{}' };
  if (Array.isArray(value)) {
    const col = opts.col ?? keyCol + layout.seqIndent;
    return { header: '', body: blockItems(value, col, layout), col };
  }
  const col = opts.col ?? keyCol + layout.step;
  return { header: '', body: blockEntries(value as Record<string, unknown>, col, layout), col };
}

/** `key: value` lines at column `col`, ending with a newline. */
export function blockPair(key: string, value: unknown, col: number, layout: Layout): string {
  const r = afterKey(value, col, layout);
  const head = `${spaces(col)}${keyText(key, false, false)}:`;
  return 'inline' in r ? `${head} ${r.inline}\n` : `${head}${r.header}\n${r.body}`;
}

/** The entries of a mapping as block lines at column `col`. */
export function blockEntries(value: Record<string, unknown>, col: number, layout: Layout): string {
  return Object.keys(value).map((k) => blockPair(k, value[k], col, layout)).join('');
}

/** Lines of `text` rendered at column `col`, moved so the first starts right after the `-` at `dashCol`. */
function afterDash(text: string, col: number, dashCol: number): string {
  return `${spaces(dashCol)}-${spaces(col - dashCol - 1)}${text.slice(col)}`;
}

/**
 * One `- item` of a block sequence whose dashes are at column `dashCol`, ending with a newline;
 * `gap` is how far the item's content starts past its dash (2 for `- name`, 4 for `-   name`).
 */
export function blockItem(value: unknown, dashCol: number, layout: Layout, gap = 2): string {
  const col = dashCol + Math.max(2, gap);
  const dash = `${spaces(dashCol)}-${spaces(col - dashCol - 1)}`;
  if (typeof value === 'string' && value.includes('\n')) {
    const literal = literalBlock(value, col);
    if (literal) return `${dash}${literal.header}\n${literal.lines}`;
  }
  if (isScalarValue(value) || isEmptyCollection(value)) return `${dash}${isScalarValue(value) ? inlineScalar(value, { flow: false, json: false }) : flowText(value)}\n`;
  if (Array.isArray(value)) return afterDash(blockItems(value, col, layout), col, dashCol);
  return afterDash(blockEntries(value as Record<string, unknown>, col, layout), col, dashCol);
}

/** The items of a sequence as block lines, dashes at column `dashCol`. */
export function blockItems(value: readonly unknown[], dashCol: number, layout: Layout): string {
  return value.map((v) => blockItem(v, dashCol, layout)).join('');
}

/**
 * A value standing alone where a node starts at column `col` (a sequence item's content, a replaced
 * collection): block lines whose first line starts at `col` without its indentation, no final newline.
 */
export function blockAt(value: unknown, col: number, layout: Layout): string {
  let text: string;
  if (Array.isArray(value) && value.length > 0) text = blockItems(value, col, layout);
  else if (isRecord(value) && Object.keys(value).length > 0) text = blockEntries(value, col, layout);
  else return isScalarValue(value) ? inlineScalar(value, { flow: false, json: false }) : flowText(value);
  return text.slice(col).replace(/\n$/, '');
}

/** Whether a value needs lines of its own in block context (a non-empty collection, or a string written as a literal block). */
export function needsBlock(value: unknown): boolean {
  return (Array.isArray(value) && value.length > 0) || (isRecord(value) && Object.keys(value).length > 0);
}
