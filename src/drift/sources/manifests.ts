/**
 * Manifests: the documents of one manifest file (YAML or JSON) turned into Kubernetes objects, each
 * with the file and line that declared it; documents that are not Kubernetes objects left out.
 */
import { extname } from 'node:path';
import { parseManifestTextSteps } from '../manifest-parser.js';
import { isRecord } from '../../json.js';
import type { KubeObject, ObjectRef } from '../types.js';
import { drain, type Steps } from './slices.js';
import { refOf } from './source.js';
import type { SourceProblem } from './source.js';

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

/** A manifest as it is kept for the life of a source (see {@link StoredManifest}). */
export function stored(m: Manifest | StoredManifest): StoredManifest {
  return 'json' in m ? m : { json: Buffer.from(JSON.stringify(m.object)), ref: m.ref, file: m.file, line: m.line };
}

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

/** {@link parseManifests}, a step per document (see slices.ts). */
export function* parseManifestsSteps(content: string, file: string): Steps<ParsedManifests> {
  const out: ParsedManifests = { manifests: [], problems: [], skipped: 0 };
  const parsed = yield* parseManifestTextSteps(content, { json: extname(file).toLowerCase() === '.json' });
  for (const problem of parsed.problems) out.problems.push({ file, line: problem.line, message: problem.message });
  for (const doc of parsed.documents) {
    addDocument(doc.value, file, doc.line, out, doc.itemLines);
    yield;
  }
  return out;
}
