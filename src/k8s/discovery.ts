import { z } from 'zod';
import type { KindSelector } from '../config/clusters.js';
import { StopgapError } from '../errors.js';
import type { KubeClient, RequestOptions } from './client.js';
import { KubeRequestError } from './client.js';

/** A kind to scan; `group` undefined means "find it in whichever group serves it". */
export interface KindSpec {
  group?: string;
  version?: string;
  kind: string;
}

/** A kind resolved against the cluster's discovery: where to list and watch it. */
export interface ApiResource {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name in the URL, e.g. `deployments`. */
  resource: string;
  namespaced: boolean;
}

export const DEFAULT_KINDS: readonly KindSpec[] = [
  { group: 'apps', kind: 'Deployment' },
  { group: 'apps', kind: 'StatefulSet' },
  { group: 'apps', kind: 'DaemonSet' },
  { group: 'batch', kind: 'CronJob' },
  { group: '', kind: 'Service' },
  { group: 'networking.k8s.io', kind: 'Ingress' },
  { group: '', kind: 'ConfigMap' },
  { group: '', kind: 'Secret' },
  { group: 'autoscaling', kind: 'HorizontalPodAutoscaler' },
  { group: 'policy', kind: 'PodDisruptionBudget' },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy' },
  { group: '', kind: 'Node' },
];

/** Well-known groups, so that `kinds: [Deployment]` needs no search through every API group. */
const KNOWN_GROUPS: Record<string, string> = {
  Deployment: 'apps',
  StatefulSet: 'apps',
  DaemonSet: 'apps',
  ReplicaSet: 'apps',
  CronJob: 'batch',
  Job: 'batch',
  Ingress: 'networking.k8s.io',
  IngressClass: 'networking.k8s.io',
  NetworkPolicy: 'networking.k8s.io',
  HorizontalPodAutoscaler: 'autoscaling',
  PodDisruptionBudget: 'policy',
  Role: 'rbac.authorization.k8s.io',
  RoleBinding: 'rbac.authorization.k8s.io',
  ClusterRole: 'rbac.authorization.k8s.io',
  ClusterRoleBinding: 'rbac.authorization.k8s.io',
  StorageClass: 'storage.k8s.io',
  PriorityClass: 'scheduling.k8s.io',
  CustomResourceDefinition: 'apiextensions.k8s.io',
  MutatingWebhookConfiguration: 'admissionregistration.k8s.io',
  ValidatingWebhookConfiguration: 'admissionregistration.k8s.io',
};

const CORE_VERSION = /^v\d+((alpha|beta)\d+)?$/;

/** The kinds a cluster's config asks for: its `kinds`, else the default set. */
export function kindSpecsOf(cluster: { kinds?: readonly KindSelector[] }): KindSpec[] {
  return cluster.kinds ? cluster.kinds.map(parseKindSelector) : [...DEFAULT_KINDS];
}

/** `Deployment`, `Deployment.apps`, `apps/v1/Deployment`, `v1/ConfigMap`, `apps/Deployment`, or an object. */
export function parseKindSelector(selector: KindSelector): KindSpec {
  if (typeof selector !== 'string') {
    // No group given is not the core group: like the bare `Deployment`, the kind is looked up.
    const spec: KindSpec = { kind: selector.kind };
    if (selector.group !== undefined) spec.group = selector.group;
    if (selector.version !== undefined) spec.version = selector.version;
    return spec;
  }
  const parts = selector.split('/');
  if (parts.length === 3) return { group: parts[0] as string, version: parts[1] as string, kind: parts[2] as string };
  if (parts.length === 2) {
    const [first, kind] = parts as [string, string];
    return CORE_VERSION.test(first) ? { group: '', version: first, kind } : { group: first, kind };
  }
  const dot = selector.indexOf('.');
  if (dot > 0) return { group: selector.slice(dot + 1), kind: selector.slice(0, dot) };
  return { kind: selector };
}

export function describeSpec(spec: KindSpec): string {
  const group = spec.group === undefined || spec.group === '' ? '' : `${spec.group}/`;
  return `${group}${spec.version ? `${spec.version}/` : ''}${spec.kind}`;
}

const ApiGroupList = z.object({
  groups: z.array(
    z.object({
      name: z.string(),
      versions: z.array(z.object({ groupVersion: z.string(), version: z.string() })),
      preferredVersion: z.object({ version: z.string() }).optional(),
    }),
  ),
});

const ApiVersions = z.object({ versions: z.array(z.string()) });

const ApiResourceList = z.object({
  resources: z.array(
    z.object({
      name: z.string(),
      kind: z.string(),
      namespaced: z.boolean(),
      verbs: z.array(z.string()).default([]),
    }),
  ),
});

export interface Resolved {
  spec: KindSpec;
  resource: ApiResource;
}

export interface Unresolved {
  spec: KindSpec;
  /** `not-served`: no API group serves the kind; `failed`: discovery of its group failed. */
  reason: 'not-served' | 'failed';
  error: StopgapError;
}

class NotServed extends StopgapError {}

export interface DiscoveryResult {
  resolved: Resolved[];
  /** Kinds the cluster does not serve, or whose API group failed discovery: per-kind failures. */
  unresolved: Unresolved[];
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new KubeRequestError(`${what}: unexpected discovery document (${result.error.issues[0]?.message ?? 'invalid'})`, {
      status: 200,
    });
  }
  return result.data;
}

/**
 * Maps kinds to resources through the API server's discovery. Failing to read the group list is a
 * cluster failure (thrown); a group version that fails, or a kind nobody serves, only fails that kind.
 */
export async function discoverKinds(client: KubeClient, specs: readonly KindSpec[], options: RequestOptions = {}): Promise<DiscoveryResult> {
  const core = parse(ApiVersions, await client.getJson('/api', {}, options), '/api');
  const groupList = parse(ApiGroupList, await client.getJson('/apis', {}, options), '/apis');
  const groups = new Map<string, { versions: string[]; preferred: string }>();
  groups.set('', { versions: core.versions, preferred: core.versions.includes('v1') ? 'v1' : (core.versions[0] ?? 'v1') });
  for (const g of groupList.groups) {
    groups.set(g.name, {
      versions: g.versions.map((v) => v.version),
      preferred: g.preferredVersion?.version ?? g.versions[0]?.version ?? '',
    });
  }

  const resourceLists = new Map<string, Promise<z.infer<typeof ApiResourceList>>>();
  function resourcesOf(group: string, version: string): Promise<z.infer<typeof ApiResourceList>> {
    const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    let pending = resourceLists.get(path);
    if (!pending) {
      pending = client.getJson(path, {}, options).then((v) => parse(ApiResourceList, v, path));
      resourceLists.set(path, pending);
    }
    return pending;
  }

  async function find(group: string, version: string, kind: string): Promise<ApiResource | undefined> {
    const list = await resourcesOf(group, version);
    const entry = list.resources.find(
      (r) => r.kind === kind && !r.name.includes('/') && r.verbs.includes('list') && r.verbs.includes('watch'),
    );
    return entry && { group, version, kind, resource: entry.name, namespaced: entry.namespaced };
  }

  async function resolve(spec: KindSpec): Promise<ApiResource> {
    const group = spec.group ?? KNOWN_GROUPS[spec.kind];
    const candidates: string[] = group !== undefined ? [group] : ['', ...groupList.groups.map((g) => g.name)];
    let lastError: unknown;
    for (const candidate of candidates) {
      const served = groups.get(candidate);
      if (!served) continue;
      const version = spec.version ?? served.preferred;
      if (!served.versions.includes(version)) continue;
      try {
        const found = await find(candidate, version, spec.kind);
        if (found) return found;
      } catch (err) {
        // An unavailable aggregated API (metrics-server down) fails only kinds looked up there.
        lastError = err;
        if (group !== undefined) throw err;
      }
    }
    if (lastError instanceof StopgapError) throw lastError;
    throw new NotServed(
      'k8s_request_failed',
      `The cluster does not serve ${describeSpec(spec)}${group !== undefined && !groups.has(group) ? ` (no API group "${group}")` : ''}. Check "kinds" in the cluster's config (e.g. apps/v1/Deployment) or install its CRD.`,
    );
  }

  const resolved: Resolved[] = [];
  const unresolved: Unresolved[] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    try {
      const resource = await resolve(spec);
      const key = `${resource.group}/${resource.resource}`;
      if (seen.has(key)) continue;
      seen.add(key);
      resolved.push({ spec, resource });
    } catch (err) {
      const error =
        err instanceof StopgapError
          ? err
          : new StopgapError('k8s_request_failed', `Discovery of ${describeSpec(spec)} failed: ${(err as Error).message}`, { cause: err });
      unresolved.push({ spec, reason: err instanceof NotServed ? 'not-served' : 'failed', error });
    }
  }
  return { resolved, unresolved };
}

/** The collection URL path of a resource, optionally within one namespace. */
export function collectionPath(resource: ApiResource, namespace?: string): string {
  const base = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  return namespace !== undefined && resource.namespaced
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${resource.resource}`
    : `${base}/${resource.resource}`;
}

export function apiVersionOf(resource: Pick<ApiResource, 'group' | 'version'>): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}
