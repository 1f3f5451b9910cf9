import { readdir, readFile, stat } from 'node:fs/promises';
import { drain, runInSlices, type Steps } from './slices.js';
import { extname, join } from 'node:path';
import { StopgapError } from '../../errors.js';
import { isRecord } from '../../json.js';
import { parseManifestTextSteps } from '../manifest-parser.js';
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

/**
 * Parses one manifest file's text: multi-document YAML or JSON, `kind: List` expanded. A document
 * that fails to parse becomes a problem with its file and line; the other documents still count.
 * `stopgap diff` reads its files with the same parser.
 */
export function parseManifests(content: string, file: string): ParsedManifests {
  return drain(parseManifestsSteps(content, file));
}

function* parseManifestsSteps(content: string, file: string): Steps<ParsedManifests> {
  const out: ParsedManifests = { manifests: [], problems: [], skipped: 0 };
  const parsed = yield* parseManifestTextSteps(content, { json: extname(file).toLowerCase() === '.json' });
  for (const problem of parsed.problems) out.problems.push({ file, line: problem.line, message: problem.message });
  for (const doc of parsed.documents) {
    addDocument(doc.value, file, doc.line, out, doc.itemLines);
    yield;
  }
  return out;
}

/** Keeps each manifest as compact JSON (a step per manifest). */
function* storeAll(from: Manifest[], to: StoredManifest[]): Steps<void> {
  for (const manifest of from) {
    to.push(stored(manifest));
    yield;
  }
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
    // A reload inside `serve` takes turns with Slack's requests: a few milliseconds at a time.
    const parsed = await runInSlices(parseManifestsSteps(text, file));
    await runInSlices(storeAll(parsed.manifests, out.manifests));
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
  return drain(directorySourceSteps(parsed, options));
}

/** {@link directorySource}, indexing a few milliseconds at a time (for `serve`). */
export function directorySourceInSlices(parsed: ManifestSet, options: DirectorySourceOptions = {}): Promise<DesiredSource> {
  return runInSlices(directorySourceSteps(parsed, options));
}

function* directorySourceSteps(parsed: ManifestSet, options: DirectorySourceOptions): Steps<DesiredSource> {
  const defaultNamespace = options.defaultNamespace ?? 'default';
  const problems = [...parsed.problems];
  const byKey = new Map<string, StoredManifest>();
  const byKind = new Map<string, StoredManifest[]>();
  for (const m of parsed.manifests) {
    yield;
    const manifest = stored(m);
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
