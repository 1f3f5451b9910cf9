import { z } from 'zod';
import { configDuration } from './duration.js';

/** Where a cluster's desired state comes from. */
export const DesiredSourceConfig = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('directory'),
    /** A directory of manifests (a git checkout, `kustomize build` or `helm template` output). */
    path: z.string().min(1, 'path must not be empty'),
    /** Namespace given to namespaced objects that declare none, as `kubectl apply` would. */
    defaultNamespace: z.string().min(1).default('default'),
  }),
  z.strictObject({ type: z.literal('last-applied') }),
  z.strictObject({ type: z.literal('managers') }),
]);
export type DesiredSourceConfig = z.infer<typeof DesiredSourceConfig>;

/**
 * A kind to scan: `Deployment`, `Deployment.apps`, `apps/v1/Deployment`, `v1/ConfigMap`,
 * `widgets.example.com/v1/Widget`, or `{ group?, version?, kind }`. Without a group (string or
 * object alike) the kind is looked up by name, in its well-known group when it has one; `group: ''`
 * is the core group.
 */
export const KindSelector = z.union([
  z.string().regex(/^([a-z0-9.-]+\/)?([a-z0-9]+\/)?[A-Z][A-Za-z0-9]*$|^[A-Z][A-Za-z0-9]*(\.[a-z0-9.-]+)?$/, {
    message: 'expected Kind, Kind.group, version/Kind or group/version/Kind (e.g. apps/v1/Deployment)',
  }),
  z.strictObject({
    group: z.string().optional(),
    version: z.string().min(1).optional(),
    kind: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, { message: 'kind must be a Kind name like Deployment' }),
  }),
]);
export type KindSelector = z.infer<typeof KindSelector>;

export const ClusterConfig = z.strictObject({
  /** The name findings and changes use for this cluster. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'cluster name: letters, digits, dot, dash, underscore' }),
  /** A kubeconfig context; omitted: in-cluster service account, else the kubeconfig's current context. */
  context: z.string().min(1).optional(),
  /** A kubeconfig file for this cluster; omitted: KUBECONFIG or ~/.kube/config. */
  kubeconfig: z.string().min(1).optional(),
  desired: DesiredSourceConfig.default({ type: 'last-applied' }),
  /** Kinds to scan; omitted: the default set (workloads, services, config, policy, nodes). */
  kinds: z.array(KindSelector).min(1).optional(),
  /** A bearer token for this cluster's audit webhook: a batch sent with it is this cluster's. */
  auditToken: z.string().min(16, 'use a token of at least 16 characters').optional(),
  /** Only these namespaces (cluster-scoped kinds are always scanned); omitted: all. */
  namespaces: z.array(z.string().min(1)).min(1).optional(),
});
export type ClusterConfig = z.infer<typeof ClusterConfig>;

/** Objects or fields never reported. Every given criterion must match; globs use `*` and `?`. */
export const IgnoreRule = z.strictObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  /** JSON pointers (`*` matches one segment) ignored on matching objects; omitted: the whole object. */
  pointers: z.array(z.string().regex(/^\//, { message: 'a JSON pointer starts with /' })).optional(),
});
export type IgnoreRule = z.infer<typeof IgnoreRule>;

export const DriftConfig = z.strictObject({
  /** Managers whose fields are never drift (the HPA writes replicas through kube-controller-manager). */
  trustedManagers: z.array(z.string().min(1)).default(['kube-controller-manager']),
  /** Managers (exact or `prefix*`) classed as automation in addition to the built-in list. */
  automationManagers: z.array(z.string().min(1)).default([]),
  ignore: z.array(IgnoreRule).default([]),
  /** JSON pointers whose values are sensitive like Secret data: only fingerprints are kept. */
  sensitivePointers: z.array(z.string().regex(/^\//, { message: 'a JSON pointer starts with /' })).default([]),
  ignoreAggregatedRoles: z.boolean().default(false),
  /** Objects per list page. */
  pageSize: z.number().int().min(1).max(10_000).default(500),
  /**
   * Full relist interval while watching; desired state is re-read at the same pace, so a merged fix
   * is confirmed as codified within one interval.
   */
  resyncSeconds: z.number().int().min(1).default(600),
  /** Server-side watch duration before the watch is renewed. */
  watchTimeoutSeconds: z.number().int().min(1).default(300),
  /** A watch that sends no bytes (not even a bookmark) for this long is considered dead. */
  inactivitySeconds: z.number().int().min(1).default(120),
  /** Timeout of one list or discovery request. */
  requestTimeoutSeconds: z.number().int().min(1).default(60),
  backoffInitialSeconds: z.number().min(0).default(1),
  backoffMaxSeconds: z.number().min(0).default(60),
  /** How long a finding may stay linked to no change before it is posted as unclaimed drift (ms). */
  unclaimedAfter: configDuration(['s', 'm', 'h']).default(600_000),
});
export type DriftConfig = z.infer<typeof DriftConfig>;
