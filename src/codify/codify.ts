/**
 * Codify: drifted fields in, a unified diff of the manifests that declare them out. Each field is
 * written into the YAML (or JSON) document the directory source read the object from, as a splice of
 * the file's text; after each splice the document is read again and must say exactly what was meant
 * and nothing else, or the splice is undone and the field explained instead. Reads files under the
 * root; writes nothing.
 */
import { lstat, readFile, realpath } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, sep } from 'node:path';
import { isMap, isScalar, isSeq, parseAllDocuments, visit } from 'yaml';
import type { Document, Node, YAMLMap } from 'yaml';
import { manifestChunks, manifestNodeValue, parseManifestText, parseManifestYaml, type ManifestChunk } from '../drift/manifest-parser.js';
import { listKeyFor } from '../drift/merge-keys.js';
import { isQuantityPath, isSecretKind, LAST_APPLIED_ANNOTATION, SECRET_VALUE_FIELDS, setOwn } from '../drift/normalize.js';
import { parsePointer, resolvePointer } from '../drift/pointer.js';
import { quantitiesEqual } from '../drift/quantity.js';
import { holdsSecretValue } from '../drift/secret-values.js';
import { parseManifests } from '../drift/sources/manifests.js';
import { describeRef, refOf } from '../drift/sources/source.js';
import type { ObjectRef } from '../drift/types.js';
import { canonicalJson, isRecord } from '../json.js';
import {
  chartFor,
  fileReader,
  generatorFor,
  helmRendered,
  kustomizeSuggestion,
  readablePath,
  SECRET_PLACEHOLDER,
  sourceReason,
  valuesSuggestion,
  whatToDo,
} from './explain.js';
import { loadManifestIndex, type Declaration, type ManifestIndex } from './manifest-index.js';
import type { CodifyRequest, CodifyResult, FieldToCodify, ObjectToCodify, UnwrittenField, WrittenField } from './types.js';
import { shownLines, unifiedDiff } from './unified-diff.js';
import { itemIndex, layoutOf, planEdit, type Splice } from './yaml-edit.js';

interface FileState {
  rel: string;
  original: string;
  current: string;
  /** Read as JSON (a `.json` file starting like JSON), as the directory source reads it. */
  json: boolean;
  /** Splices applied so far, each in offsets of the text it was applied to: to name lines of the original. */
  splices: Splice[];
  /** The last chunk read, parsed: the next field of the same object starts from it. */
  parsed?: { text: string; docs: Document.Parsed[] };
  /** The chunks of the last text split. */
  split?: { text: string; chunks: ManifestChunk[] };
  /** Whole documents to remove (objects deleted by hand), applied last so chunk numbers hold meanwhile. */
  removals: { chunk: number; ref: ObjectRef; field: FieldToCodify; line: number }[];
  /** Lines of the original text a sensitive field's old value was on (replaced or removed by a splice). */
  sensitiveLines: Set<number>;
}

/** Where an object is in a file: the chunk, the document in it, the `kind: List` item. */
interface Found {
  chunk: ManifestChunk;
  text: string;
  doc: Document.Parsed;
  /** Every document of the chunk. */
  docs: Document.Parsed[];
  docIndex: number;
  itemIndex?: number;
  root: YAMLMap;
  value: unknown;
}

function sameRef(value: unknown, ref: ObjectRef): boolean {
  if (!isRecord(value)) return false;
  const r = refOf(value);
  return !!r && r.group === ref.group && r.kind === ref.kind && r.name === ref.name && (r.namespace ?? '') === (ref.namespace ?? '');
}

function chunksOf(state: FileState, text: string): ManifestChunk[] {
  if (state.split?.text === text) return state.split.chunks;
  const chunks = state.json ? [{ start: 0, end: text.length, firstLine: 1 }] : manifestChunks(text);
  state.split = { text, chunks };
  return chunks;
}

function parseChunk(state: FileState, text: string): Document.Parsed[] {
  if (state.parsed?.text === text) return state.parsed.docs;
  let docs: Document.Parsed[];
  if (!state.json) docs = parseManifestYaml(text);
  else {
    const all = parseAllDocuments(text, { prettyErrors: false });
    docs = Array.isArray(all) ? all : [];
  }
  state.parsed = { text, docs };
  return docs;
}

/** The object in a chunk of the file's current text, at a known document and item or looked for by name. */
function findIn(state: FileState, chunkIndex: number, ref: ObjectRef, at?: { docIndex: number; itemIndex?: number }): Found | undefined {
  const chunk = chunksOf(state, state.current)[chunkIndex];
  if (!chunk) return undefined;
  const text = state.current.slice(chunk.start, chunk.end);
  const docs = parseChunk(state, text);
  for (const [docIndex, doc] of docs.entries()) {
    if (at && at.docIndex !== docIndex) continue;
    if (doc.errors.length > 0 || !isMap(doc.contents)) continue;
    let value: unknown;
    try {
      value = manifestNodeValue(doc.contents, doc);
    } catch {
      continue;
    }
    const items = isRecord(value) && typeof value['kind'] === 'string' && value['kind'].endsWith('List') ? doc.contents.get('items', true) : undefined;
    if (isSeq(items) && isRecord(value) && Array.isArray(value['items'])) {
      const list = value['items'] as unknown[];
      for (const [itemIndex, item] of list.entries()) {
        if (at && at.itemIndex !== itemIndex) continue;
        const node = items.items[itemIndex] as Node | null;
        if (sameRef(item, ref) && isMap(node)) return { chunk, text, doc, docs, docIndex, itemIndex, root: node, value: item };
      }
      continue;
    }
    if (at?.itemIndex === undefined && sameRef(value, ref)) return { chunk, text, doc, docs, docIndex, root: doc.contents, value };
  }
  return undefined;
}

/** `before` with the field set (or removed): what the document must read as after the edit. */
function expectedAfter(before: unknown, segments: readonly string[], remove: boolean, value: unknown): unknown {
  const copy = structuredClone(before);
  let node: unknown = copy;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as string;
    const last = i === segments.length - 1;
    const next = segments[i + 1];
    const newContainer = (): unknown => (next !== undefined && (/^\d+$/.test(next) || (next.includes('=') && listKeyFor(seg, last ? undefined : value) !== undefined)) ? [] : {});
    if (Array.isArray(node)) {
      const field = segments[i - 1] ?? '';
      const index = itemIndex(node, field, seg);
      const present = index >= 0 && index < node.length;
      if (last) {
        if (remove) {
          if (present) node.splice(index, 1);
        } else if (present) node[index] = value;
        else node.push(value);
        return copy;
      }
      if (!present) node.push(newContainer());
      node = node[present ? index : node.length - 1];
    } else if (isRecord(node)) {
      if (last) {
        if (remove) delete node[seg];
        else setOwn(node, seg, value);
        return copy;
      }
      const child = node[seg];
      if (!isRecord(child) && !Array.isArray(child)) setOwn(node, seg, newContainer());
      node = node[seg];
    } else return undefined;
  }
  return copy;
}

/** Null, `{}` and `[]` dropped from mappings (Kubernetes reads them all as absent), recursively. */
function pruned(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pruned);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = pruned(value[k]);
    if (v === null || v === undefined || (Array.isArray(v) && v.length === 0) || (isRecord(v) && Object.keys(v).length === 0)) continue;
    setOwn(out, k, v);
  }
  return out;
}

function sameObject(a: unknown, b: unknown): boolean {
  return canonicalJson(pruned(a)) === canonicalJson(pruned(b));
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

/** An offset of the current text as an offset of the original: through every splice, last first. */
function originalOffset(state: FileState, offset: number): number {
  let p = offset;
  for (let i = state.splices.length - 1; i >= 0; i--) {
    const s = state.splices[i] as Splice;
    if (p >= s.at + s.insert.length) p = p - s.insert.length + s.remove;
    else if (p >= s.at) p = s.at;
  }
  return p;
}

function applySplice(text: string, s: Splice): string {
  return text.slice(0, s.at) + s.insert + text.slice(s.at + s.remove);
}

class Run {
  readonly written: WrittenField[] = [];
  readonly notWritten: UnwrittenField[] = [];
  readonly warnings: string[] = [];
  private readonly files = new Map<string, Promise<FileState | undefined>>();
  readonly read;

  constructor(
    readonly root: string,
    readonly index: ManifestIndex | undefined,
    readonly defaultNamespace: string,
  ) {
    this.read = fileReader(root);
  }

  file(rel: string): Promise<FileState | undefined> {
    let state = this.files.get(rel);
    if (!state) {
      state = readFile(join(this.root, rel), 'utf8').then(
        (text): FileState => ({
          rel,
          original: text,
          current: text,
          json: extname(rel).toLowerCase() === '.json' && /^\uFEFF?\s*[{[]/.test(text),
          splices: [],
          removals: [],
          sensitiveLines: new Set(),
        }),
        () => undefined,
      );
      this.files.set(rel, state);
    }
    return state;
  }

  async states(): Promise<FileState[]> {
    const all = await Promise.all(this.files.values());
    return all.filter((s): s is FileState => s !== undefined);
  }

  refuse(ref: ObjectRef, field: FieldToCodify, reason: string, suggestion?: UnwrittenField['suggestion']): void {
    this.notWritten.push({ ref, path: field.path, reason, ...(suggestion ? { suggestion } : {}) });
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }
}

async function undeclared(run: Run, object: ObjectToCodify): Promise<void> {
  const { ref } = object;
  const layout = run.index?.layout;
  const chart = layout ? chartFor(layout, ref) : undefined;
  const generator = layout ? generatorFor(layout.kustomizations, ref) : undefined;
  const problems = run.index?.problems.length ?? 0;
  for (const field of object.fields) {
    if (chart && layout) {
      const suggestion = await valuesSuggestion(chart, layout, ref, field, run.read);
      run.refuse(
        ref,
        field,
        `no manifest declares ${describeRef(ref)}: it looks rendered from the Helm chart in ${chart.dir || '.'} (${chart.name}), whose templates Stopgap does not patch; ${readablePath(field.path)} comes from the chart's values`,
        suggestion,
      );
    } else if (generator) {
      run.refuse(ref, field, `${describeRef(ref)} is made by the kustomize generator ${generator.name} in ${generator.file}, which Stopgap does not edit`, {
        file: generator.file,
        text: `${whatToDo(field)} in the ${generator.name} generator`,
      });
    } else {
      const unread = problems > 0 ? ` (${problems} manifest problem${problems === 1 ? '' : 's'} in the directory: a file that could not be read may declare it)` : '';
      run.refuse(ref, field, `no manifest in the manifests directory declares ${describeRef(ref)}${unread}: Stopgap has nothing to patch; ${whatToDo(field)} wherever it is managed`);
    }
  }
}

async function helmOutput(run: Run, object: ObjectToCodify, helm: { chart?: string; source?: string }, file: string): Promise<void> {
  const layout = run.index?.layout;
  const chart = layout && helm.chart ? chartFor(layout, object.ref, helm.chart) : undefined;
  const from = helm.source ? `rendered by Helm from ${helm.source}` : `rendered by Helm from the chart ${helm.chart ?? ''}`.trimEnd();
  for (const field of object.fields) {
    const suggestion = layout && (chart || layout.valuesFiles.length > 0) ? await valuesSuggestion(chart, layout, object.ref, field, run.read) : undefined;
    const noChart = chart ? '' : ' (the chart is not in the manifests directory)';
    run.refuse(object.ref, field, `${describeRef(object.ref)} in ${file} is ${from}${noChart}: a patch to the rendered output would be overwritten at the next render; ${readablePath(field.path)} comes from the chart's values`, suggestion);
  }
}

function describeSensitive(ref: ObjectRef, field: FieldToCodify, segments: readonly string[]): string {
  const what = field.kind === 'extra' ? 'was added by hand' : 'was changed by hand';
  const name = `${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
  const subject = isSecretKind(ref.kind) && segments.length === 2 ? `Secret ${name} key \`${segments[1]}\`` : `${describeRef(ref)} field ${readablePath(field.path)} (sensitive)`;
  return `${subject} ${what}: Stopgap never writes secret values, so the patch holds a placeholder there; set the value through your secret mechanism (sealed-secrets, external-secrets) before merging`;
}

async function codifyField(
  run: Run,
  state: FileState,
  chunkIndex: number,
  object: ObjectToCodify,
  field: FieldToCodify,
  at: { docIndex: number; itemIndex?: number },
  declared: ObjectRef,
  declaredLine: number,
): Promise<void> {
  const { ref } = object;
  const where = readablePath(field.path);
  let segments: string[];
  try {
    segments = parsePointer(field.path);
  } catch {
    run.refuse(ref, field, `${field.path} is not a JSON pointer`);
    return;
  }
  const found = findIn(state, chunkIndex, declared, at);
  if (!found) {
    run.refuse(ref, field, `${state.rel} no longer declares ${describeRef(ref)} where it did (the file changed while being read)`);
    return;
  }
  if (segments.length === 0) {
    if (field.kind !== 'missing') {
      run.refuse(ref, field, `the whole object differs; Stopgap writes fields, not objects`);
      return;
    }
    if (found.itemIndex !== undefined) {
      // A `kind: List` item: removed like any list item.
      segments = ['items', String(found.itemIndex)];
      const listRoot = found.doc.contents;
      if (!isMap(listRoot)) return;
      const listValue = manifestNodeValue(listRoot, found.doc);
      edit(run, state, { found, target: { root: listRoot, value: listValue }, object, field, segments, value: undefined, removeWhole: true, quantity: false, sensitive: false });
      return;
    }
    state.removals.push({ chunk: chunkIndex, ref: declared, field, line: declaredLine });
    return;
  }
  // A Secret's drift names `data` (stringData is merged into it); a manifest that spells the key in
  // stringData gets it there, where it wins over data.
  if (isSecretKind(ref.kind) && segments.length === 2 && segments[0] === 'data' && resolvePointer(found.value, ['stringData', segments[1] as string]) !== undefined) {
    segments = ['stringData', segments[1] as string];
  }
  const sensitive = field.sensitive || (isSecretKind(ref.kind) && holdsSecretValue(segments, 0, segments.length));
  const quantity = isQuantityPath(segments, segments.length, ref.kind);
  const kustomizations = run.index?.layout.kustomizations ?? [];
  if (kustomizations.length > 0) {
    const overlay = await kustomizeSuggestion(kustomizations, ref, found.value, { ...field, sensitive }, run.read);
    if (overlay) {
      run.refuse(ref, field, `${overlay.why}, not from ${state.rel}: Stopgap does not edit kustomize overlays`, { file: overlay.file, text: overlay.text });
      return;
    }
    const literal = resolvePointer(found.value, segments);
    if (field.kind !== 'extra' && literal === undefined) {
      run.refuse(ref, field, `${state.rel} does not spell out ${where}: it comes from a kustomize overlay or generator Stopgap could not find`);
      return;
    }
    const same = quantity ? quantitiesEqual(literal, field.desired) : canonicalJson(literal) === canonicalJson(field.desired);
    if (field.kind === 'changed' && !sensitive && field.desired !== undefined && !same) {
      run.refuse(ref, field, `${state.rel} says ${where} is ${JSON.stringify(literal)} but the cluster's desired state says ${JSON.stringify(field.desired)}: a kustomize overlay Stopgap could not find sets it`);
      return;
    }
  }
  const value = field.kind === 'missing' ? undefined : sensitive ? SECRET_PLACEHOLDER : field.live;
  edit(run, state, { found, target: found, object, field, segments, value, removeWhole: false, quantity, sensitive });
}

/** One field's edit: where (`target`, a document of `found`'s chunk), what, and how to spell it. */
interface EditJob {
  found: Found;
  target: Pick<Found, 'root' | 'value'>;
  object: ObjectToCodify;
  field: FieldToCodify;
  segments: string[];
  value: unknown;
  /** The field is a `kind: List` item standing for a whole object deleted by hand. */
  removeWhole: boolean;
  quantity: boolean;
  sensitive: boolean;
}

/** Plans one field's splice, and applies it if the document then reads as meant. */
function edit(run: Run, state: FileState, job: EditJob): void {
  const { found, target, object, field, segments, value, removeWhole } = job;
  const { ref } = object;
  const where = readablePath(field.path);
  const kind = removeWhole ? 'missing' : field.kind;
  const layout = layoutOf(found.doc, found.text, state.json);
  const plan = planEdit({ text: found.text, doc: found.doc, root: target.root, layout }, { segments, kind, value, quantity: job.quantity });
  if ('refused' in plan) {
    run.refuse(ref, field, `Stopgap cannot edit ${where} in ${state.rel}: ${plan.refused}`);
    return;
  }
  // A file with Windows line endings gets them in what is added too.
  if (found.text.includes('\r\n')) plan.splice.insert = plan.splice.insert.replace(/\r?\n/g, '\r\n');
  const chunkText = applySplice(found.text, plan.splice);
  if (chunkText === found.text) {
    run.refuse(ref, field, `${state.rel} already says what the cluster has for ${where}: nothing to change (the manifests changed after the drift was seen)`);
    return;
  }
  // Read the document back: it must hold exactly the edited value and everything else as it was.
  const fileSplice: Splice = { at: found.chunk.start + plan.splice.at, remove: plan.splice.remove, insert: plan.splice.insert };
  const after = applySplice(state.current, fileSplice);
  const ok = verify(state, after, found, segments, kind === 'missing', plan.value, removeWhole);
  if (!ok) {
    run.refuse(ref, field, `Stopgap cannot edit ${where} in ${state.rel} without changing something else; edit it by hand (${whatToDo(field)})`);
    return;
  }
  const line = lineAt(state.original, originalOffset(state, fileSplice.at));
  if (job.sensitive && fileSplice.remove > 0) {
    const last = lineAt(state.original, originalOffset(state, fileSplice.at + fileSplice.remove));
    for (let l = line; l <= last; l++) state.sensitiveLines.add(l);
  }
  state.current = after;
  state.splices.push(fileSplice);
  run.written.push({ ref, path: field.path, file: state.rel, line });
  if (job.sensitive && kind !== 'missing') run.warn(describeSensitive(ref, field, segments));
}

function verify(state: FileState, after: string, found: Found, segments: readonly string[], remove: boolean, value: unknown, removeWhole: boolean): boolean {
  const before = chunksOf(state, state.current);
  const index = before.findIndex((c) => c.start === found.chunk.start);
  const chunks = chunksOf(state, after);
  if (chunks.length !== before.length) return false;
  const chunk = chunks[index];
  if (!chunk) return false;
  const text = after.slice(chunk.start, chunk.end);
  const docs = parseChunk(state, text);
  if (docs.length !== found.docs.length || docs.some((d) => d.errors.length > 0)) return false;
  // The scanner reads a JSON file with JSON.parse: it must still be strict JSON. (A YAML chunk is read
  // with the very options just used.)
  if (state.json && parseManifestText(text, { json: true }).problems.length > 0) return false;
  const doc = docs[found.docIndex];
  if (!doc || !isMap(doc.contents)) return false;
  const whole = manifestNodeValue(doc.contents, doc);
  // Nothing else in the chunk moved: its other documents read as before.
  const othersSame = docs.every((d, i) => i === found.docIndex || canonicalJson(d.toJS()) === canonicalJson((found.docs[i] as Document.Parsed).toJS()));
  if (!othersSame) return false;
  if (removeWhole) return sameObject(whole, expectedAfter(manifestNodeValue(found.doc.contents as Node, found.doc), segments, true, undefined));
  const now = found.itemIndex === undefined ? whole : isRecord(whole) && Array.isArray(whole['items']) ? (whole['items'] as unknown[])[found.itemIndex] : undefined;
  const declared = isRecord(found.value) ? refOf(found.value) : undefined;
  if (!declared || !sameRef(now, declared)) return false;
  const expected = expectedAfter(found.value, segments, remove, value);
  return expected !== undefined && sameObject(now, expected);
}

/** Removes the documents of objects deleted by hand, last first, each checked by reading the file again. */
function removeDocuments(run: Run, state: FileState): void {
  const sorted = [...state.removals].sort((a, b) => b.chunk - a.chunk);
  for (const removal of sorted) {
    const chunks = chunksOf(state, state.current);
    const chunk = chunks[removal.chunk];
    const { ref, field } = removal;
    if (!chunk || state.json) {
      run.refuse(ref, field, `Stopgap cannot remove ${describeRef(ref)} from ${state.rel}; delete it by hand`);
      continue;
    }
    const docs = parseChunk(state, state.current.slice(chunk.start, chunk.end));
    if (docs.length !== 1) {
      run.refuse(ref, field, `${state.rel} holds more than one document between its --- lines there; delete ${describeRef(ref)} by hand`);
      continue;
    }
    const text = state.current;
    let start = chunk.start;
    let end = chunk.end;
    if (end < text.length) {
      // The `---` line after the document goes with it.
      const nl = text.indexOf('\n', end);
      end = nl < 0 ? text.length : nl + 1;
    } else if (start > 0) {
      start = text.lastIndexOf('\n', start - 2) + 1;
    }
    const splice: Splice = { at: start, remove: end - start, insert: '' };
    const after = applySplice(text, splice);
    const before = parseManifests(text, state.rel).manifests;
    const now = parseManifests(after, state.rel).manifests;
    const gone = now.length === before.length - 1 && !now.some((m) => sameRef(m.object, ref));
    if (!gone) {
      run.refuse(ref, field, `Stopgap cannot remove ${describeRef(ref)} from ${state.rel} cleanly; delete it by hand`);
      continue;
    }
    state.current = after;
    state.splices.push(splice);
    run.written.push({ ref, path: field.path, file: state.rel, line: removal.line });
    if (after.trim() === '') run.warn(`${state.rel} is left empty: delete the file`);
  }
}

/**
 * The file to patch for a manifest the directory source read: git keeps a symbolic link as the link,
 * not as the file it points to, so a patch to the link's path never applies. A link to a file under
 * the root is patched at that file; a link leading out of the root is not patched at all.
 */
async function fileToPatch(root: string, rel: string): Promise<{ rel: string } | { refused: string }> {
  const path = join(root, rel);
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isSymbolicLink()) return { rel };
  const [realRoot, target] = await Promise.all([realpath(root).catch(() => undefined), realpath(path).catch(() => undefined)]);
  const inside = realRoot && target ? relative(realRoot, target) : undefined;
  if (inside === undefined || inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    return { refused: `${rel} is a symbolic link to a file outside the manifests directory: a patch to the link would not apply; edit the file it points to by hand` };
  }
  return { rel: inside.split(sep).join('/') };
}

/**
 * The nodes a sensitive pointer names in a document: `*` is any one key or item; a list item is named
 * as the scanner names it (merge key `name=web`, `key=value` pairs, or index).
 */
function nodesAt(doc: Document, node: unknown, segments: readonly string[], i: number, field: string, out: Node[]): void {
  if (i === segments.length) {
    if (node) out.push(node as Node);
    return;
  }
  const segment = segments[i] as string;
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (segment === '*' || segment === key) nodesAt(doc, pair.value, segments, i + 1, key, out);
    }
  } else if (isSeq(node)) {
    if (segment === '*') {
      for (const item of node.items) nodesAt(doc, item, segments, i + 1, field, out);
      return;
    }
    let items: unknown;
    try {
      // Items as the scanner sees them (aliases resolved), so `name=web` finds the same item.
      items = node.toJS(doc, { maxAliasCount: 100 });
    } catch {
      // Too many aliases to resolve: every item may be the one named, and showing none is the safe side.
      for (const item of node.items) nodesAt(doc, item, segments, i + 1, field, out);
      return;
    }
    const trace = { indexes: [] as number[], items: [] as unknown[] };
    resolvePointer({ [field]: items }, [field, segment], trace);
    const index = trace.indexes[1] ?? -1;
    if (index >= 0) nodesAt(doc, node.items[index], segments, i + 1, field, out);
  }
}

/**
 * Lines of a file's original text holding a secret value: every Secret's (or a `kind: List` item
 * Secret's) data, stringData, binaryData and last-applied annotation, the values at the configured
 * sensitive pointers (drift.sensitivePointers) of any object, and the old values of sensitive fields
 * the patch replaced.
 */
function secretLines(state: FileState, sensitive: readonly (readonly string[])[]): Set<number> {
  const lines = new Set(state.sensitiveLines);
  // The values' lines, not the keys' alone: `data: {}` or a key's line above a block scalar shows nothing.
  const addRange = (start: number, node: Node | null | undefined): void => {
    if (!node) return;
    visit(node, {
      Scalar(key, scalar) {
        if (key === 'key' || !scalar.range || scalar.value === null) return;
        const first = lineAt(state.original, start + scalar.range[0]);
        const last = lineAt(state.original, start + Math.max(scalar.range[0], scalar.range[1] - 1));
        for (let l = first; l <= last; l++) lines.add(l);
      },
    });
  };
  const addSecret = (start: number, object: Node | null | undefined): void => {
    if (!isMap(object)) return;
    const kind = object.get('kind');
    if (!isSecretKind(kind)) return;
    for (const field of SECRET_VALUE_FIELDS) addRange(start, object.get(field, true) as Node | undefined);
    const metadata = object.get('metadata', true);
    const annotations = isMap(metadata) ? metadata.get('annotations', true) : undefined;
    if (isMap(annotations)) addRange(start, annotations.get(LAST_APPLIED_ANNOTATION, true) as Node | undefined);
  };
  for (const chunk of chunksOf(state, state.original)) {
    for (const doc of parseChunk(state, state.original.slice(chunk.start, chunk.end))) {
      const contents = doc.contents as Node | null;
      const items = isMap(contents) ? contents.get('items', true) : undefined;
      for (const object of [contents, ...(isSeq(items) ? (items.items as Node[]) : [])]) {
        addSecret(chunk.start, object);
        for (const segments of sensitive) {
          const found: Node[] = [];
          nodesAt(doc, object, segments, 0, '', found);
          for (const node of found) addRange(chunk.start, node);
        }
      }
    }
  }
  return lines;
}

async function codifyObject(run: Run, object: ObjectToCodify, declaration: Declaration): Promise<void> {
  const { ref } = object;
  const file = await fileToPatch(run.root, declaration.file);
  if ('refused' in file) {
    for (const field of object.fields) run.refuse(ref, field, `${file.refused} (${whatToDo(field)})`);
    return;
  }
  const state = await run.file(file.rel);
  if (!state) {
    for (const field of object.fields) run.refuse(ref, field, `cannot read ${declaration.file}, which declares ${describeRef(ref)}`);
    return;
  }
  const chunks = chunksOf(state, state.original);
  let chunkIndex = 0;
  chunks.forEach((c, i) => {
    if (c.firstLine <= declaration.line) chunkIndex = i;
  });
  const found = findIn(state, chunkIndex, declaration.ref);
  if (!found) {
    for (const field of object.fields) run.refuse(ref, field, `${declaration.file} no longer declares ${describeRef(ref)} at line ${declaration.line}: the manifests changed since they were read; try again`);
    return;
  }
  const helm = state.json ? undefined : helmRendered(found.text, found.value);
  if (helm) {
    await helmOutput(run, object, helm, state.rel);
    return;
  }
  const at = { docIndex: found.docIndex, ...(found.itemIndex !== undefined ? { itemIndex: found.itemIndex } : {}) };
  for (const field of object.fields) await codifyField(run, state, chunkIndex, object, field, at, declaration.ref, declaration.line);
}

/**
 * Writes each object's drifted fields into the manifests that declare them (objects whose desired
 * state comes from a manifests directory), and says for every other field why it was not written and,
 * where it can guess, where the change belongs. The patch applies with `git apply` from `root`.
 */
export async function codify(request: CodifyRequest): Promise<CodifyResult> {
  const fromDirectory = request.objects.some((o) => o.source === 'directory' && o.fields.length > 0);
  const index = fromDirectory ? (request.index ?? (await loadManifestIndex(request.root))) : request.index;
  const run = new Run(request.root, index, request.defaultNamespace ?? 'default');
  for (const object of request.objects) {
    if (object.source !== 'directory') {
      for (const field of object.fields) run.refuse(object.ref, field, sourceReason(object.source, object.ref, field));
      continue;
    }
    const declaration = index?.find(object.ref, run.defaultNamespace);
    if (!declaration) await undeclared(run, object);
    else await codifyObject(run, object, declaration);
  }
  const states = await run.states();
  for (const state of states) removeDocuments(run, state);
  const changed = states.filter((s) => s.current !== s.original).sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const sensitive = (request.sensitivePointers ?? []).map((p) => parsePointer(p.startsWith('/') ? p : `/${p}`));
  const secretsShown = changed.filter((s) => {
    const secret = secretLines(s, sensitive);
    return secret.size > 0 && shownLines(s.original, s.current).some((l) => secret.has(l));
  });
  return {
    patch: changed.map((s) => unifiedDiff(s.rel, s.original, s.current)).join(''),
    files: changed.map((s) => s.rel),
    written: run.written,
    notWritten: run.notWritten,
    warnings: run.warnings,
    secretsShown: secretsShown.map((s) => s.rel),
  };
}

export { loadManifestIndex } from './manifest-index.js';
export type { ManifestIndex } from './manifest-index.js';
