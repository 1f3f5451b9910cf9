import { isRecord } from '../../json.js';
import { LAST_APPLIED_ANNOTATION } from '../normalize.js';
import type { KubeObject, ObjectRef } from '../types.js';
import type { SourceType } from '../findings.js';

/** Something wrong with desired state, located as precisely as we can: a file and a line. */
export interface SourceProblem {
  file?: string;
  line?: number;
  /** Set when the problem is about one live object (an unreadable last-applied annotation). */
  object?: string;
  message: string;
}

export type DesiredLookup =
  /**
   * Diff `desired` against `live` (the live object, possibly adjusted for this source).
   * `threeWay: false` when desired state already is the last-applied configuration, or has none.
   */
  | { status: 'declared'; desired: KubeObject; live: KubeObject; threeWay?: false }
  /** Desired state does not mention the object: it is not managed, so it cannot drift. */
  | { status: 'undeclared' }
  /** Desired state for this object exists but cannot be read: nothing can be concluded. */
  | { status: 'unreadable'; problem: SourceProblem };

export interface DeclaredObject {
  ref: ObjectRef;
  file?: string;
  line?: number;
}

/** A per-cluster desired state, chosen in config. */
export interface DesiredSource {
  readonly type: SourceType;
  lookup(live: KubeObject, ref: ObjectRef): DesiredLookup;
  /**
   * Declared objects of one kind, effective namespace applied, so that a declared object missing
   * from the cluster can be reported. Empty for sources read from the live objects themselves.
   */
  declared(group: string, kind: string, namespaced: boolean): DeclaredObject[];
  readonly problems: readonly SourceProblem[];
  /** False when part of desired state could not be read: an undeclared object then proves nothing. */
  readonly complete: boolean;
  /** Files and documents of a manifest directory left out as not Kubernetes objects (kustomization, values). */
  readonly skipped?: number;
}

export function formatProblem(problem: SourceProblem): string {
  const where = problem.file ? `${problem.file}${problem.line !== undefined ? `:${problem.line}` : ''}: ` : '';
  const what = problem.object ? `${problem.object}: ` : '';
  return `${where}${what}${problem.message}`;
}

/** `apps/v1` → `{ group: 'apps', version: 'v1' }`; `v1` → core group `''`. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function metadataOf(object: KubeObject): Record<string, unknown> {
  const metadata = object['metadata'];
  return isRecord(metadata) ? metadata : {};
}

/** The identity of a raw object, or undefined when it lacks apiVersion, kind or metadata.name. */
export function refOf(object: KubeObject): ObjectRef | undefined {
  const apiVersion = object['apiVersion'];
  const kind = object['kind'];
  const metadata = metadataOf(object);
  const name = metadata['name'];
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof name !== 'string' || name === '') {
    return undefined;
  }
  const ref: ObjectRef = { ...splitApiVersion(apiVersion), kind, name };
  const namespace = metadata['namespace'];
  if (typeof namespace === 'string' && namespace !== '') ref.namespace = namespace;
  const uid = metadata['uid'];
  if (typeof uid === 'string') ref.uid = uid;
  return ref;
}

export function describeRef(ref: Pick<ObjectRef, 'group' | 'kind' | 'namespace' | 'name'>): string {
  const kind = ref.group === '' ? ref.kind : `${ref.kind}.${ref.group}`;
  return `${kind}/${ref.name}${ref.namespace ? ` -n ${ref.namespace}` : ''}`;
}

export function annotationsOf(object: KubeObject): Record<string, unknown> {
  const annotations = metadataOf(object)['annotations'];
  return isRecord(annotations) ? annotations : {};
}

/** A shallow copy of the object without the last-applied annotation, leaving the original untouched. */
export function withoutLastApplied(object: KubeObject): KubeObject {
  const annotations = annotationsOf(object);
  if (!(LAST_APPLIED_ANNOTATION in annotations)) return object;
  const { [LAST_APPLIED_ANNOTATION]: _dropped, ...rest } = annotations;
  const metadata = { ...metadataOf(object), annotations: rest };
  return { ...object, metadata };
}

/** The object's identity alone: what a desired state that declares nothing else looks like. */
export function identityOf(ref: ObjectRef): KubeObject {
  const metadata: Record<string, unknown> = { name: ref.name };
  if (ref.namespace) metadata['namespace'] = ref.namespace;
  return {
    apiVersion: ref.group === '' ? ref.version : `${ref.group}/${ref.version}`,
    kind: ref.kind,
    metadata,
  };
}
