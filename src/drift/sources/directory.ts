import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { CORE_SCHEMA, loadAll, Type } from 'js-yaml';
import type { YAMLException } from 'js-yaml';
import { StopgapError } from '../../errors.js';
import type { KubeObject, ObjectRef } from '../types.js';
import { objectKey } from '../findings.js';
import { refOf } from './source.js';
import type { DeclaredObject, DesiredLookup, DesiredSource, SourceProblem } from './source.js';

export interface Manifest {
  object: KubeObject;
  /** Identity as declared: `namespace` is absent when the manifest leaves it to the default. */
  ref: ObjectRef;
  file: string;
  line: number;
}

/**
 * A manifest kept for the life of a source: compact JSON bytes, parsed again when an object is
 * compared. Desired state for a whole cluster stays resident: as bytes outside the JS heap it takes
 * a third of the memory of objects, and the garbage collector does not size the heap after it.
 */
export interface StoredManifest {
  json: Buffer;
  ref: ObjectRef;
  file: string;
  line: number;
}

export interface ParsedManifests {
  manifests: Manifest[];
  problems: SourceProblem[];
  /** Documents left out because they are not Kubernetes objects (plain config, kustomize files). */
  skipped: number;
}

export interface ManifestSet {
  manifests: (Manifest | StoredManifest)[];
  problems: SourceProblem[];
  /** Files and documents left out because they are not Kubernetes objects; they do not make it incomplete. */
  skipped?: number;
}

function stored(m: Manifest | StoredManifest): StoredManifest {
  return 'json' in m ? m : { json: Buffer.from(JSON.stringify(m.object)), ref: m.ref, file: m.file, line: m.line };
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * Files a git checkout holds next to manifests that are never Kubernetes objects: kustomize's
 * kustomization, a Helm chart's Chart.yaml and its values files. Left out without being read.
 */
const NOT_MANIFEST_FILE = /^(?:kustomization\.ya?ml|Chart\.yaml|values(?:[-_.][^/]*)?\.ya?ml)$/;

/** Configuration read by kustomize itself (Kustomization, Component), never sent to a cluster. */
const KUSTOMIZE_API = 'kustomize.config.k8s.io/';

/**
 * Aliases let a few lines of YAML stand for a tree too large for memory (a "billion laughs"): a
 * document whose expanded JSON would exceed both this many bytes and ten times its own text is
 * refused. Kubernetes objects are at most a few MiB (etcd's request limit), so real ones fit.
 */
const MIN_EXPANDED_BYTES = 8 * 1024 * 1024;
const MAX_EXPANSION = 10;

/**
 * Kubernetes reads YAML as YAML 1.1 (sigs.k8s.io/yaml over go-yaml v2): `0644` is octal 420,
 * `yes`/`no`/`on`/`off`/`y`/`n` are booleans, `<<` merges, and timestamps stay strings (as in the JSON
 * the API server would see). js-yaml's core schema is YAML 1.2, so booleans and integers are redefined.
 */
const BOOL_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const BOOL_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
const INT_11 = /^[-+]?(?:0b[01]+|0x[0-9a-fA-F]+|0o?[0-7]+|[1-9][0-9]*|0)$/;

// Implicit types with the tag of a core one replace it (an array would add explicit types only).
const K8S_YAML_SCHEMA = CORE_SCHEMA.extend({
  implicit: [
  new Type('tag:yaml.org,2002:bool', {
    kind: 'scalar',
    resolve: (data: unknown) => typeof data === 'string' && (BOOL_TRUE.has(data) || BOOL_FALSE.has(data)),
    construct: (data: string) => BOOL_TRUE.has(data),
    predicate: (value: object) => typeof value === 'boolean',
    represent: (value: object) => String(value),
  }),
  new Type('tag:yaml.org,2002:int', {
    kind: 'scalar',
    // Go's strconv.ParseInt(s, 0, 64) after dropping underscores, as go-yaml v2 does.
    resolve: (data: unknown) => typeof data === 'string' && INT_11.test(data.replace(/_/g, '')),
    construct: (data: string) => {
      const text = data.replace(/_/g, '');
      const sign = text.startsWith('-') ? -1 : 1;
      const digits = text.replace(/^[-+]/, '');
      if (digits.startsWith('0b')) return sign * parseInt(digits.slice(2), 2);
      if (digits.startsWith('0x')) return sign * parseInt(digits.slice(2), 16);
      if (digits.startsWith('0o')) return sign * parseInt(digits.slice(2), 8);
      if (digits.length > 1 && digits.startsWith('0')) return sign * parseInt(digits.slice(1), 8);
      return sign * parseInt(digits, 10);
    },
    predicate: (value: object) => typeof value === 'number' && Number.isInteger(value),
    represent: (value: object) => String(value),
  }),
  new Type('tag:yaml.org,2002:merge', { kind: 'scalar', resolve: (data: unknown) => data === '<<' || data === null }),
  ],
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line += 1;
  return line;
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

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Whether `value`, expanded as JSON.stringify would expand it, stays within `budget` bytes. Walks
 * shared (aliased) nodes once per use, as serialising would, but stops as soon as it is over: the
 * walk costs at most `budget` steps however large the expansion.
 */
function expandsWithin(value: unknown, budget: number): boolean {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === 'string') {
      size += node.length + 2;
    } else if (Array.isArray(node)) {
      size += node.length + 2;
      if (size > budget) return false;
      for (const item of node) stack.push(item);
    } else if (node !== null && typeof node === 'object') {
      size += 2;
      for (const [key, item] of Object.entries(node)) {
        size += key.length + 4;
        stack.push(item);
      }
    } else {
      size += 5; // a number, boolean or null
    }
    if (size > budget) return false;
  }
  return true;
}

/**
 * A document that is not a Kubernetes object at all, left out quietly: plain configuration (a
 * mapping with neither apiVersion nor kind, a sequence, a scalar) or kustomize's own files. One
 * with only one of apiVersion and kind, or without a name, is a broken manifest instead.
 */
function isNotManifest(value: unknown): boolean {
  if (!isRecord(value)) return true;
  const apiVersion = value['apiVersion'];
  const kind = value['kind'];
  if ((apiVersion === undefined || apiVersion === null) && (kind === undefined || kind === null)) return true;
  return typeof apiVersion === 'string' && apiVersion.startsWith(KUSTOMIZE_API);
}

/** Adds one parsed document to the result, unless it is not meant for a cluster at all. */
function addDocument(value: unknown, file: string, line: number, out: ParsedManifests, itemLines?: number[]): void {
  if (value === null || value === undefined) return; // an empty document, e.g. a trailing `---`
  if (isNotManifest(value)) {
    out.skipped += 1;
    return;
  }
  addObject(value, file, line, out, itemLines);
}

/** Adds one object (or the items of a `kind: List`, each of which must be an object) to the result. */
function addObject(value: unknown, file: string, line: number, out: ParsedManifests, itemLines?: number[]): void {
  if (value === null || value === undefined) return;
  if (!isRecord(value)) {
    out.problems.push({ file, line, message: 'not a Kubernetes object (expected a mapping with apiVersion and kind)' });
    return;
  }
  const kind = value['kind'];
  if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(value['items'])) {
    value['items'].forEach((item: unknown, i: number) => addObject(item, file, itemLines?.[i] ?? line, out));
    return;
  }
  const ref = refOf(value);
  if (!ref) {
    out.problems.push({ file, line, message: 'not a Kubernetes object: apiVersion, kind and metadata.name are required' });
    return;
  }
  delete ref.uid;
  out.manifests.push({ object: value, ref, file, line });
}

interface Chunk {
  text: string;
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
        chunks.push({ text: text.slice(start, end), firstLine, contentLine: n });
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

/**
 * Lines of the `items:` entries of a block-style List, found from the text: the `- ` lines at the
 * indentation of the first one. Undefined when the count does not match (flow style, odd layout).
 */
function blockItemLines(chunk: Chunk, count: number): number[] | undefined {
  const lines = chunk.text.split('\n');
  const start = lines.findIndex((l) => /^items:\s*(#.*)?$/.test(l));
  if (start < 0) return undefined;
  const found: number[] = [];
  let indent: number | undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const match = /^(\s*)- /.exec(line) ?? /^(\s*)-$/.exec(line);
    if (!match) {
      if (/^\S/.test(line) && !line.startsWith('#')) break; // the next top-level key
      continue;
    }
    const width = (match[1] as string).length;
    indent ??= width;
    if (width === indent) found.push(chunk.firstLine + i);
  }
  return found.length === count ? found : undefined;
}

function parseYaml(text: string, file: string, out: ParsedManifests): void {
  for (const chunk of splitDocuments(text)) {
    let docs: unknown[];
    try {
      docs = loadAll(chunk.text, null, { schema: K8S_YAML_SCHEMA, filename: file });
    } catch (cause) {
      const err = cause as YAMLException;
      const line = err.mark ? chunk.firstLine + err.mark.line : chunk.contentLine;
      // The reason alone: js-yaml's message quotes the text around the error, which may be a Secret.
      out.problems.push({ file, line, message: firstLine(err.reason ?? 'cannot parse') });
      continue;
    }
    // Without an alias (`*name`) a document cannot expand beyond its own text: only check the others.
    const budget = chunk.text.includes('*') ? Math.max(MIN_EXPANDED_BYTES, MAX_EXPANSION * chunk.text.length) : undefined;
    for (const doc of docs) {
      if (budget !== undefined && !expandsWithin(doc, budget)) {
        out.problems.push({
          file,
          line: chunk.contentLine,
          message: `too many aliases: the document expands to more than ${Math.round(budget / (1024 * 1024))} MiB; not read`,
        });
        continue;
      }
      const items = isRecord(doc) && Array.isArray(doc['items']) ? doc['items'].length : 0;
      const itemLines = items > 0 && docs.length === 1 ? blockItemLines(chunk, items) : undefined;
      addDocument(doc, file, chunk.contentLine, out, itemLines);
    }
  }
}

/**
 * Parses one manifest file's text: multi-document YAML or JSON, `kind: List` expanded. A document
 * that fails to parse becomes a problem with its file and line; the other documents still count.
 */
export function parseManifests(content: string, file: string): ParsedManifests {
  const out: ParsedManifests = { manifests: [], problems: [], skipped: 0 };
  // Editors on Windows save a byte-order mark; JSON.parse refuses it and it hides a leading `{`.
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  // Like kubectl, a document that starts with `{` is JSON and read strictly (YAML would forgive a
  // trailing comma); anything else in a .json file is read as YAML.
  if (extname(file).toLowerCase() === '.json' && /^\s*[{[]/.test(text)) {
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch (cause) {
      // Only the parser's reason, never its message: that may quote the file, which may be a Secret.
      const reason = ((cause as Error).message.split(/,| in JSON| is not valid JSON/)[0] ?? '').trim() || 'syntax error';
      out.problems.push({ file, line: lineAt(text, jsonErrorOffset(text)), message: `invalid JSON: ${reason}` });
      return out;
    }
    addDocument(value, file, 1, out);
    return out;
  }
  parseYaml(text, file, out);
  return out;
}

interface FileList {
  files: string[];
  /** Manifest-looking files left out: kustomization, Chart.yaml, values files, chart templates. */
  skipped: number;
}

async function listManifestFiles(dir: string, out: FileList): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // A Helm chart's templates are Go templates, not manifests: only their rendered output is.
  const isChart = entries.some((e) => e.name === 'Chart.yaml' && !e.isDirectory());
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue; // .git and friends
    const path = join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await stat(path).catch(() => undefined);
      isFile = target?.isFile() ?? false;
      isDir = false; // following directory links risks cycles
    }
    if (isDir && isChart && entry.name === 'templates') {
      const templates: FileList = { files: [], skipped: 0 };
      await listManifestFiles(path, templates);
      out.skipped += templates.files.length + templates.skipped;
    } else if (isDir) {
      await listManifestFiles(path, out);
    } else if (isFile && MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) {
      if (NOT_MANIFEST_FILE.test(entry.name)) out.skipped += 1;
      else out.files.push(path);
    }
  }
}

/**
 * Reads every `.yaml`, `.yml` and `.json` file under `dir`, recursively, skipping dot-directories
 * and files that are never manifests (kustomization.yaml, Helm's Chart.yaml, values files and
 * chart templates), which are counted in `skipped`.
 */
export async function loadManifestDirectory(dir: string): Promise<ManifestSet & { manifests: StoredManifest[]; skipped: number }> {
  const listing: FileList = { files: [], skipped: 0 };
  try {
    await listManifestFiles(dir, listing);
  } catch (cause) {
    throw new StopgapError(
      'desired_source_failed',
      `Cannot read the manifest directory ${dir}: ${(cause as Error).message}. Check desired.path in the cluster's config.`,
      { cause },
    );
  }
  const out: { manifests: StoredManifest[]; problems: SourceProblem[]; skipped: number } = {
    manifests: [],
    problems: [],
    skipped: listing.skipped,
  };
  for (const file of listing.files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      out.problems.push({ file, message: `cannot read: ${(cause as Error).message}` });
      continue;
    }
    const parsed = parseManifests(text, file);
    for (const manifest of parsed.manifests) out.manifests.push(stored(manifest));
    out.problems.push(...parsed.problems);
    out.skipped += parsed.skipped;
  }
  return out;
}

export interface DirectorySourceOptions {
  /** Namespace of namespaced objects whose manifest names none. Default `default`. */
  defaultNamespace?: string;
}

function withNamespace(object: KubeObject, namespace: string): KubeObject {
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  return { ...object, metadata: { ...metadata, namespace } };
}

/** Desired state from parsed manifests. */
export function directorySource(parsed: ManifestSet, options: DirectorySourceOptions = {}): DesiredSource {
  const defaultNamespace = options.defaultNamespace ?? 'default';
  const problems = [...parsed.problems];
  const byKey = new Map<string, StoredManifest>();
  const byKind = new Map<string, StoredManifest[]>();
  for (const manifest of parsed.manifests.map(stored)) {
    const key = objectKey(manifest.ref);
    const first = byKey.get(key);
    if (first) {
      problems.push({
        file: manifest.file,
        line: manifest.line,
        message: `${manifest.ref.kind}/${manifest.ref.name} is declared twice (first at ${first.file}:${first.line}); the first one is used`,
      });
      continue;
    }
    byKey.set(key, manifest);
    const kindKey = `${manifest.ref.group}/${manifest.ref.kind}`;
    const list = byKind.get(kindKey) ?? [];
    list.push(manifest);
    byKind.set(kindKey, list);
  }

  function lookup(live: KubeObject, ref: ObjectRef): DesiredLookup {
    const explicit = byKey.get(objectKey(ref));
    if (explicit) return { status: 'declared', desired: JSON.parse(explicit.json.toString('utf8')) as KubeObject, live };
    if (ref.namespace === defaultNamespace) {
      const defaulted = byKey.get(objectKey({ ...ref, namespace: undefined }));
      if (defaulted) {
        return { status: 'declared', desired: withNamespace(JSON.parse(defaulted.json.toString('utf8')) as KubeObject, defaultNamespace), live };
      }
    }
    return { status: 'undeclared' };
  }

  function declared(group: string, kind: string, namespaced: boolean): DeclaredObject[] {
    return (byKind.get(`${group}/${kind}`) ?? []).map((m) => {
      const ref: ObjectRef = { ...m.ref };
      if (namespaced) ref.namespace = m.ref.namespace ?? defaultNamespace;
      else delete ref.namespace;
      return { ref, file: m.file, line: m.line };
    });
  }

  // A duplicate is still readable: only unparsable files and malformed manifests leave desired state
  // incomplete. Files that are not manifests at all (skipped) say nothing about the cluster.
  return { type: 'directory', lookup, declared, problems, complete: parsed.problems.length === 0, skipped: parsed.skipped ?? 0 };
}
