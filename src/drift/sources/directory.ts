/**
 * The `directory` desired source: parsed manifests indexed by object key and by kind, looked up
 * for each live object (a manifest without a namespace stands for the default namespace).
 */
import type { KubeObject, ObjectRef } from '../types.js';
import { isRecord } from '../../json.js';
import { objectKey } from '../findings.js';
import { stored } from './manifests.js';
import type { ManifestSet, StoredManifest } from './manifests.js';
import { drain, runInSlices, type Steps } from './slices.js';
import type { DeclaredObject, DesiredLookup, DesiredSource } from './source.js';


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
