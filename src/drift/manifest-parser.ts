/**
 * Manifest text → JSON values, the way Kubernetes reads it. The scanner's directory source and
 * `stopgap diff` both read manifests through here, so that one file never means two objects.
 */
import { drain } from './sources/slices.js';
import { isCollection, isMap, isPair, isScalar, isSeq, parseAllDocuments, visit } from 'yaml';
import type { Document, DocumentOptions, Node, ParseOptions, ScalarTag, SchemaOptions, Tags, ToJSOptions } from 'yaml';

/** One document of a manifest file, as JSON would hold it. */
export interface ManifestDocument {
  value: unknown;
  /** 1-based line where the document's content starts. */
  line: number;
  /** For a mapping with an `items` sequence (a `kind: List`): the line of each item. */
  itemLines?: number[];
}

/** A document that could not be read. The message never quotes the text: it may be a Secret. */
export interface ManifestParseProblem {
  line: number;
  message: string;
}

export interface ParsedManifestText {
  /** Non-empty documents in file order; empty ones (a trailing `---`, a comment) are left out. */
  documents: ManifestDocument[];
  problems: ManifestParseProblem[];
}

/**
 * Aliases let a few lines of YAML stand for a tree too large for memory (a "billion laughs"). The
 * `yaml` package counts alias expansions, weighted by the aliases they contain, and gives up past
 * this many; real manifests use a handful.
 */
export const MAX_ALIAS_COUNT = 100;

// ---------------------------------------------------------------------------------------------
// YAML 1.1 as Kubernetes reads it: sigs.k8s.io/yaml over go-yaml v2. The `yaml` package's YAML 1.1
// schema agrees on booleans (yes/no/on/off/y/n), null and `<<` merge keys; numbers and timestamps
// are replaced below by go-yaml's own rules.

const INT = 'tag:yaml.org,2002:int';
const FLOAT = 'tag:yaml.org,2002:float';
const TIMESTAMP = 'tag:yaml.org,2002:timestamp';

/** go-yaml reads a plain scalar as a number only when it starts with a digit or a sign (or `.` for floats). */
const NUMBER_HINT = /^[-+0-9]/;
/** What Go's strconv.ParseInt(s, 0, 64) accepts once go-yaml has dropped every underscore. */
const GO_INT = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]+|[1-9][0-9]*|0)$/;
/** go-yaml's yamlStyleFloat, also applied with underscores dropped. */
const GO_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** A float starting with `.`: strconv.ParseFloat on the text as it is. */
const GO_DOT_FLOAT = /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** The integer go-yaml reads, or undefined: `0644` and `0o644` are octal 420, `1_000` is 1000. */
function goInteger(text: string): bigint | undefined {
  if (!NUMBER_HINT.test(text)) return undefined;
  const match = GO_INT.exec(text.replace(/_/g, ''));
  if (!match) return undefined;
  const sign = match[1] ?? '';
  const body = match[2] ?? '';
  const magnitude = BigInt(/^0[0-7]/.test(body) ? `0o${body.slice(1)}` : body);
  const value = sign === '-' ? -magnitude : magnitude;
  // Out of int64 and uint64 range go-yaml falls back to a float, or to a string for 0x, 0o, 0b.
  return value >= INT64_MIN && value <= UINT64_MAX ? value : undefined;
}

function isGoFloat(text: string): boolean {
  if (NUMBER_HINT.test(text)) return GO_FLOAT.test(text.replace(/_/g, ''));
  return GO_DOT_FLOAT.test(text);
}

/** A tag test that is a function: go-yaml's number rules read better as code than as one pattern. */
class Predicate extends RegExp {
  constructor(private readonly accepts: (text: string) => boolean) {
    super('(?!)');
  }

  override test(text: string): boolean {
    return this.accepts(text);
  }
}

const goIntTag: ScalarTag = {
  tag: INT,
  default: true,
  identify: (value) => typeof value === 'number' && Number.isInteger(value),
  test: new Predicate((text) => goInteger(text) !== undefined),
  resolve: (text, onError) => {
    const value = goInteger(text);
    if (value === undefined) {
      onError('not an integer');
      return text;
    }
    return Number(value);
  },
};

const goFloatTag: ScalarTag = {
  tag: FLOAT,
  default: true,
  identify: (value) => typeof value === 'number',
  test: new Predicate(isGoFloat),
  resolve: (text, onError) => {
    if (!isGoFloat(text)) {
      onError('not a number');
      return text;
    }
    return Number(NUMBER_HINT.test(text) ? text.replace(/_/g, '') : text);
  },
};

/** `.inf` and `.nan`: read, then refused, as JSON holds neither. */
const nonFiniteTag: ScalarTag = {
  tag: FLOAT,
  default: true,
  identify: (value) => typeof value === 'number' && !Number.isFinite(value),
  test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  resolve: (text) => (text.toLowerCase().endsWith('nan') ? NaN : text.startsWith('-') ? -Infinity : Infinity),
};

/**
 * The YAML 1.1 schema without its numbers (base 60 `1:30`, `0o` unknown, `.` a NaN) and its
 * timestamps: go-yaml hands a timestamp to JSON as the string it was written as.
 */
function kubernetesTags(tags: Tags): Tags {
  const kept = tags.filter((t) => typeof t === 'string' || ![INT, FLOAT, TIMESTAMP].includes(t.tag));
  return [...kept, goIntTag, nonFiniteTag, goFloatTag];
}

const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  schema: 'yaml-1.1',
  customTags: kubernetesTags,
  merge: true,
  uniqueKeys: true,
  prettyErrors: false,
};

const TO_JS: ToJSOptions = { maxAliasCount: MAX_ALIAS_COUNT };

// ---------------------------------------------------------------------------------------------

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

/** The parser's reason without anything after a colon, where it may quote the text. */
function reason(message: string, code?: string): string {
  if (code === 'BAD_DQ_ESCAPE') return 'invalid escape sequence in a double-quoted string';
  const first = (message.split('\n')[0] ?? '').trim();
  const colon = first.indexOf(': ');
  return (colon > 0 ? first.slice(0, colon) : first) || 'cannot parse';
}

const YAML_TAG = 'tag:yaml.org,2002:';

function shortTag(tag: string): string {
  return tag.startsWith(YAML_TAG) ? `!!${tag.slice(YAML_TAG.length)}` : tag;
}

/**
 * The first node whose value JSON cannot hold (so neither can a Kubernetes object): `!!binary` bytes,
 * `!!set`, `!!omap` and `!!pairs` collections, `.nan` and `.inf`. `at` is the node to take the line
 * from: for a block collection the key it is the value of (the tag's line).
 */
function findNonJson(doc: Document): { at: Node; why: string } | undefined {
  let found: { at: Node; why: string } | undefined;
  visit(doc, (_key, node, path) => {
    let why: string | undefined;
    if (isScalar(node)) {
      const v = node.value;
      if (typeof v === 'number' && !Number.isFinite(v)) why = '.nan and .inf are not JSON numbers';
      // A symbol is the `<<` of a merge key, gone once merged.
      else if (!(v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'symbol')) {
        why = `${node.tag ? shortTag(node.tag) : 'such'} values are not supported (a Kubernetes object holds JSON values only)`;
      }
    } else if (isCollection(node) && node.tag?.startsWith(YAML_TAG) && !['map', 'seq'].includes(node.tag.slice(YAML_TAG.length))) {
      why = `${shortTag(node.tag)} collections are not supported (a Kubernetes object holds JSON values only)`;
    }
    if (why === undefined) return undefined;
    const parent = path[path.length - 1];
    const key = isPair(parent) && parent.value === node && isScalar(parent.key) ? parent.key : undefined;
    found = { at: isCollection(node) && key ? key : (node as Node), why };
    return visit.BREAK;
  });
  return found;
}

interface Chunk {
  text: string;
  /** Offsets of the chunk in the text it was split from: `text` is `whole.slice(start, end)`. */
  start: number;
  end: number;
  /** Line (1-based) of the chunk's first line in the file. */
  firstLine: number;
  /** Line of the first line with content: where the object is declared. */
  contentLine: number;
}

/**
 * Splits a stream into documents the way kubectl does: on lines that are `---` and nothing else,
 * so that every document can fail on its own and keep its line numbers.
 */
function splitDocuments(text: string): Chunk[] {
  const chunks: Chunk[] = [];
  let start = 0;
  let line = 1;
  const flush = (end: number, firstLine: number): void => {
    // The first line that is neither blank nor a comment is where the object is declared.
    let at = start;
    let n = firstLine;
    while (at < end) {
      let eol = text.indexOf('\n', at);
      if (eol < 0 || eol > end) eol = end;
      const content = text.slice(at, eol).trim();
      if (content !== '' && !content.startsWith('#')) {
        chunks.push({ text: text.slice(start, end), start, end, firstLine, contentLine: n });
        return;
      }
      at = eol + 1;
      n += 1;
    }
  };
  let at = 0;
  let chunkLine = 1;
  while (at <= text.length) {
    let eol = text.indexOf('\n', at);
    if (eol < 0) eol = text.length;
    if (text.startsWith('---', at) && text.slice(at + 3, eol).trim() === '') {
      flush(at, chunkLine);
      start = eol + 1;
      chunkLine = line + 1;
    }
    at = eol + 1;
    line += 1;
  }
  flush(text.length, chunkLine);
  return chunks;
}

/** Lines of the `items:` entries of a top-level mapping, from the document itself. */
function itemLinesOf(doc: Document, lineOf: (offset: number) => number): number[] | undefined {
  const contents = doc.contents;
  if (!isMap(contents)) return undefined;
  const items = contents.get('items', true);
  if (!isSeq(items)) return undefined;
  const lines: number[] = [];
  for (const item of items.items) {
    const offset = isPair(item) ? undefined : (item as Node | null)?.range?.[0];
    if (offset === undefined) return undefined;
    lines.push(lineOf(offset));
  }
  return lines;
}

/** Parses YAML one `---` chunk at a time, yielding after each so a caller may take turns with other work. */
function* parseYamlSteps(text: string, out: ParsedManifestText): Generator<void, void, void> {
  for (const chunk of splitDocuments(text)) {
    yield;
    const lineOf = (offset: number) => chunk.firstLine - 1 + lineAt(chunk.text, offset);
    const docs = parseAllDocuments(chunk.text, YAML_OPTIONS);
    if (!Array.isArray(docs)) continue; // nothing but comments and directives
    for (const doc of docs) {
      const error = doc.errors[0];
      if (error) {
        out.problems.push({ line: error.pos[0] >= 0 ? lineOf(error.pos[0]) : chunk.contentLine, message: reason(error.message, error.code) });
        continue;
      }
      const nonJson = findNonJson(doc);
      if (nonJson) {
        const offset = nonJson.at.range?.[0];
        out.problems.push({ line: offset !== undefined ? lineOf(offset) : chunk.contentLine, message: nonJson.why });
        continue;
      }
      const start = doc.contents?.range?.[0];
      const line = start !== undefined ? lineOf(start) : chunk.contentLine;
      let value: unknown;
      try {
        value = doc.toJS(TO_JS);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        out.problems.push({
          line,
          message: /excessive alias/i.test(message)
            ? `too many aliases (more than ${MAX_ALIAS_COUNT} expansions); expand them or simplify the document`
            : reason(message),
        });
        continue;
      }
      if (value === null || value === undefined) continue;
      const itemLines = itemLinesOf(doc, lineOf);
      out.documents.push(itemLines ? { value, line, itemLines } : { value, line });
    }
  }
}

/** One `---` chunk of a manifest file, as the reader splits it: `content.slice(start, end)`. */
export interface ManifestChunk {
  start: number;
  end: number;
  /** 1-based line of the chunk's first line. */
  firstLine: number;
}

/**
 * The chunks a YAML manifest text is read in (offsets into `content` itself, a byte-order mark
 * included), for editing a document in place: each chunk parsed with {@link parseManifestYaml} gives
 * the documents the scanner read, with node ranges relative to the chunk.
 */
export function manifestChunks(content: string): ManifestChunk[] {
  const bom = content.charCodeAt(0) === 0xfeff ? 1 : 0;
  return splitDocuments(bom ? content.slice(1) : content).map((c) => ({ start: c.start + bom, end: c.end + bom, firstLine: c.firstLine }));
}

/** One chunk's YAML documents, parsed as the scanner parses them (YAML 1.1 as Kubernetes reads it), with their source ranges. */
export function parseManifestYaml(chunk: string): Document.Parsed[] {
  const docs = parseAllDocuments(chunk, YAML_OPTIONS);
  return Array.isArray(docs) ? docs : [];
}

/** A node's value as the scanner reads it (aliases expanded, merge keys merged, at most {@link MAX_ALIAS_COUNT} expansions). */
export function manifestNodeValue(node: Node, doc: Document): unknown {
  return node.toJS(doc, TO_JS);
}

const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Where JSON.parse gave up: the parser's own message does not always say, so scan for it. */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw new RangeError(String(i));
  };
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const string = (): void => {
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 32) fail();
      i += c === 92 ? 2 : 1;
    }
    fail();
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') fail();
          string();
          ws();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        fail();
      }
    }
    if (c === '"') return string();
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    JSON_NUMBER.lastIndex = i;
    if (JSON_NUMBER.test(text)) {
      i = JSON_NUMBER.lastIndex;
      return;
    }
    fail();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
  } catch (err) {
    if (err instanceof RangeError) return Number(err.message);
    throw err;
  }
  return text.length;
}

function parseJson(text: string, out: ParsedManifestText): void {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (cause) {
    // Only the parser's reason, never its message: that may quote the file, which may be a Secret.
    const why = ((cause as Error).message.split(/,| in JSON| is not valid JSON/)[0] ?? '').trim() || 'syntax error';
    out.problems.push({ line: lineAt(text, jsonErrorOffset(text)), message: `invalid JSON: ${why}` });
    return;
  }
  if (value !== null) out.documents.push({ value, line: lineAt(text, text.search(/\S/)) });
}

export interface ParseManifestOptions {
  /**
   * Read a text that starts with `{` or `[` strictly as JSON, as kubectl does (YAML would forgive a
   * trailing comma). Set for `.json` files; anything else, and a `.json` file that does not start
   * like JSON, is read as YAML.
   */
  json?: boolean;
}

/**
 * Parses manifest text: multi-document YAML 1.1 (split on `---` lines, as kubectl splits) or JSON.
 * A document that fails to parse becomes a problem with its line; the other documents still count.
 */
export function parseManifestText(content: string, options: ParseManifestOptions = {}): ParsedManifestText {
  return drain(parseManifestTextSteps(content, options));
}

/** {@link parseManifestText}, yielding between documents (see `sources/slices.ts`). */
export function* parseManifestTextSteps(content: string, options: ParseManifestOptions = {}): Generator<void, ParsedManifestText, void> {
  const out: ParsedManifestText = { documents: [], problems: [] };
  // Editors on Windows save a byte-order mark; JSON.parse refuses it and it hides a leading `{`.
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  if (options.json && /^\s*[{[]/.test(text)) parseJson(text, out);
  else yield* parseYamlSteps(text, out);
  return out;
}
