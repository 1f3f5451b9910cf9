/**
 * Which manifest file declares each object of a manifests directory, read the way the directory
 * source reads it (same walk, same parser, first declaration wins, a manifest without a namespace
 * stands for the default one), plus the Helm and kustomize files around the manifests. Loaded once, it
 * serves any number of codify requests over the same directory.
 */
import { relative, sep } from 'node:path';
import { objectKey } from '../drift/findings.js';
import { loadManifestDirectory } from '../drift/sources/manifest-files.js';
import type { ManifestSet } from '../drift/sources/manifests.js';
import type { SourceProblem } from '../drift/sources/source.js';
import type { ObjectRef } from '../drift/types.js';
import { readLayout, type DirectoryLayout } from './layout.js';

/** Where a manifest declares an object. */
export interface Declaration {
  /** Relative to the root, `/`-separated. */
  file: string;
  /** 1-based line where the document (or the `kind: List` item) starts. */
  line: number;
  /** The object as the manifest names it: no namespace when it leaves it to the default. */
  ref: ObjectRef;
}

export interface ManifestIndex {
  readonly root: string;
  /** Files under the root that could not be read or parsed: an object declared there is not found. */
  readonly problems: readonly SourceProblem[];
  readonly layout: DirectoryLayout;
  /** The declaration the directory source uses for a live object (the first one), if any. */
  find(ref: Pick<ObjectRef, 'group' | 'kind' | 'namespace' | 'name'>, defaultNamespace?: string): Declaration | undefined;
  /** Every declaration of the object, the one used first (kustomize patches name the object again). */
  all(ref: Pick<ObjectRef, 'group' | 'kind' | 'namespace' | 'name'>, defaultNamespace?: string): Declaration[];
}

function relativeTo(root: string, file: string): string {
  return relative(root, file).split(sep).join('/');
}

/**
 * Indexes the manifests directory `root`: reads it with the directory source's reader (or takes the
 * set it already read, `loaded`) and looks at its charts and kustomizations. Throws
 * `desired_source_failed` when the directory cannot be read.
 */
export async function loadManifestIndex(root: string, loaded?: ManifestSet): Promise<ManifestIndex> {
  const [set, layout] = await Promise.all([loaded ? Promise.resolve(loaded) : loadManifestDirectory(root), readLayout(root)]);
  const byKey = new Map<string, Declaration[]>();
  for (const m of set.manifests) {
    const declared: ObjectRef = { ...m.ref };
    delete declared.uid;
    const key = objectKey(declared);
    const list = byKey.get(key);
    const declaration: Declaration = { file: relativeTo(root, m.file), line: m.line, ref: declared };
    if (list) list.push(declaration);
    else byKey.set(key, [declaration]);
  }
  const all = (ref: Pick<ObjectRef, 'group' | 'kind' | 'namespace' | 'name'>, defaultNamespace = 'default'): Declaration[] => {
    const explicit = byKey.get(objectKey(ref));
    if (explicit) return explicit;
    if (ref.namespace === defaultNamespace) return byKey.get(objectKey({ ...ref, namespace: undefined })) ?? [];
    return [];
  };
  return {
    root,
    problems: set.problems.map((p) => (p.file ? { ...p, file: relativeTo(root, p.file) } : p)),
    layout,
    find: (ref, defaultNamespace) => all(ref, defaultNamespace)[0],
    all,
  };
}
