/**
 * `stopgap doctor`'s checks of one configured cluster: its kubeconfig, the API server answering
 * discovery for the configured kinds, RBAC allowing list and watch on each (SelfSubjectAccessReview,
 * per configured namespace), and a manifests directory that can be read and parsed.
 */
import { isAbsolute, resolve } from 'node:path';
import { ApiException, AuthorizationV1Api, Observable, type KubeConfig, type ObservableMiddleware } from '@kubernetes/client-node';
import type { ClusterConfig } from '../config/clusters.js';
import { directorySource, formatProblem, loadManifestDirectory, type SourceProblem } from '../drift/sources/index.js';
import { isStopgapError } from '../errors.js';
import { createKubeClient, KubeRequestError } from '../k8s/client.js';
import { describeSpec, discoverKinds, kindSpecsOf, type ApiResource, type DiscoveryResult } from '../k8s/discovery.js';
import { loadKubeConfig } from '../k8s/kubeconfig.js';
import { note, ok, problem, type Check, type CheckGroup } from './report.js';

export interface ClusterCheckOptions {
  env: NodeJS.ProcessEnv;
  /** Where relative paths in stopgap.yml are read from. */
  baseDir: string;
  /** How long each request to the API server may go without an answer. */
  timeoutMs: number;
}

/** What the scanner and the watcher do with every configured kind. */
const VERBS = ['list', 'watch'] as const;
/** Reviews in flight at once: a cluster with many namespaces is not flooded. */
const REVIEWS_AT_ONCE = 8;
/** Manifest problems shown one a line; the rest are counted. */
const MANIFEST_PROBLEMS_SHOWN = 20;

function messageOf(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}

function kubeconfigFix(cluster: ClusterConfig): string {
  return `set KUBECONFIG, or "kubeconfig" and "context" in cluster ${cluster.name}'s entry in stopgap.yml`;
}

function reachFix(status: number | undefined): string {
  if (status === 401) return "the API server rejected the kubeconfig's credentials: refresh them (log in again, or a new service account token)";
  if (status === 403) return 'let this identity read API discovery (the system:discovery ClusterRole is bound to every authenticated user by default)';
  return 'check that the cluster is up and reachable from here (VPN, firewall, proxy) and that the kubeconfig context points at it';
}

function resourceName(resource: Pick<ApiResource, 'group' | 'resource'>): string {
  return resource.group === '' ? resource.resource : `${resource.resource}.${resource.group}`;
}

function where(resource: ApiResource, namespace: string | undefined): string {
  if (!resource.namespaced) return 'cluster-wide';
  return namespace === undefined ? 'in all namespaces' : `in namespace ${namespace}`;
}

/** Runs `work` over `items`, at most `limit` at once, keeping their order. */
async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

interface Review {
  resource: ApiResource;
  namespace: string | undefined;
  verb: (typeof VERBS)[number];
}

type ReviewAnswer = { allowed: boolean } | { error: string };

/** Each request aborted after `timeoutMs`, so that a cluster that accepts connections and never answers cannot hang doctor. */
function withTimeout(timeoutMs: number): { middleware: ObservableMiddleware[]; middlewareMergeStrategy: 'append' } {
  return {
    // The object-parameter API takes the client's own Observable middleware.
    middleware: [
      {
        pre: (context) => {
          context.setSignal(AbortSignal.timeout(timeoutMs));
          return new Observable(Promise.resolve(context));
        },
        post: (context) => new Observable(Promise.resolve(context)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

function reviewError(err: unknown, timeoutMs: number): string {
  if (err instanceof ApiException) return `the API server answered ${err.code}`;
  const name = (err as Error)?.name;
  if (name === 'AbortError' || name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  return messageOf(err);
}

async function checkRbac(kc: KubeConfig, cluster: ClusterConfig, resolved: DiscoveryResult['resolved'], timeoutMs: number): Promise<Check[]> {
  const api = kc.makeApiClient(AuthorizationV1Api);
  const options = withTimeout(timeoutMs);
  const reviews: Review[] = resolved.flatMap(({ resource }) =>
    (resource.namespaced && cluster.namespaces ? cluster.namespaces : [undefined]).flatMap((namespace) => VERBS.map((verb) => ({ resource, namespace, verb }))),
  );
  // After one review fails (the API server stopped answering) the rest are not sent: one timeout, not one per batch.
  let firstError: string | undefined;
  const answers = await inBatches(reviews, REVIEWS_AT_ONCE, async (review): Promise<ReviewAnswer> => {
    if (firstError !== undefined) return { error: firstError };
    try {
      const answer = await api.createSelfSubjectAccessReview(
        {
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: {
              resourceAttributes: {
                verb: review.verb,
                group: review.resource.group,
                resource: review.resource.resource,
                ...(review.namespace !== undefined ? { namespace: review.namespace } : {}),
              },
            },
          },
        },
        options,
      );
      return { allowed: answer.status?.allowed === true };
    } catch (err) {
      firstError ??= reviewError(err, timeoutMs);
      return { error: firstError };
    }
  });
  const failed = answers.find((a): a is { error: string } => 'error' in a);
  if (failed) {
    return [
      problem(
        `cannot check RBAC with SelfSubjectAccessReview: ${failed.error}`,
        'check that the cluster answers (see above) and that this identity may create selfsubjectaccessreviews (every authenticated user may, by default)',
      ),
    ];
  }
  // Denials by kind and place, the verbs together: one line each.
  const denied = new Map<string, { review: Review; verbs: string[] }>();
  reviews.forEach((review, i) => {
    const answer = answers[i];
    if (!answer || !('allowed' in answer) || answer.allowed) return;
    const key = `${resourceName(review.resource)}\n${review.namespace ?? ''}`;
    const entry = denied.get(key) ?? { review, verbs: [] };
    entry.verbs.push(review.verb);
    denied.set(key, entry);
  });
  const identity = `the identity of ${cluster.context ? `kubeconfig context ${cluster.context}` : "the cluster's credentials"}`;
  const checks = [...denied.values()].map(({ review, verbs }) => {
    const { resource, namespace } = review;
    const grant = resource.namespaced && namespace !== undefined ? `a Role and RoleBinding in ${namespace}, or a ClusterRole` : 'a ClusterRole and ClusterRoleBinding';
    return problem(
      `RBAC denies ${verbs.join(' and ')} on ${resource.kind} (${resourceName(resource)}) ${where(resource, namespace)}: its drift cannot be watched`,
      `grant get, list and watch on ${resourceName(resource)} to ${identity} (${grant})`,
    );
  });
  if (checks.length === 0) {
    const scope = cluster.namespaces ? ` (namespaced kinds in ${cluster.namespaces.join(', ')})` : '';
    checks.push(ok(`RBAC allows list and watch on ${resolved.length === 1 ? 'the one kind' : `all ${resolved.length} kinds`}${scope}`));
  }
  return checks;
}

function manifestFix(p: SourceProblem): string {
  if (p.message.includes('declared twice')) return 'keep one of the two declarations';
  return 'correct the file, or move it out of the manifests directory; until then what it declares is not compared';
}

async function checkManifests(cluster: ClusterConfig, baseDir: string): Promise<Check[]> {
  const desired = cluster.desired;
  if (desired.type !== 'directory') return [note(`desired state: ${desired.type} (read from the live objects: no manifests to check)`)];
  const dir = isAbsolute(desired.path) ? desired.path : resolve(baseDir, desired.path);
  let parsed;
  try {
    parsed = await loadManifestDirectory(dir);
  } catch (err) {
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    return [
      problem(
        `the manifests directory ${dir} cannot be read (${cause?.code ?? messageOf(err)})`,
        `point desired.path of cluster ${cluster.name} at a readable directory (a relative path is read from stopgap.yml's directory)`,
      ),
    ];
  }
  const source = directorySource(parsed, { defaultNamespace: desired.defaultNamespace });
  const checks: Check[] = source.problems.slice(0, MANIFEST_PROBLEMS_SHOWN).map((p) => problem(`manifest ${formatProblem(p)}`, manifestFix(p)));
  const more = source.problems.length - MANIFEST_PROBLEMS_SHOWN;
  if (more > 0) checks.push(problem(`${more} more manifest problems`, `run stopgap scan --context ${cluster.context ?? cluster.name} to see them all`));
  const skipped = parsed.skipped > 0 ? `; ${parsed.skipped} files or documents that are not objects skipped` : '';
  if (parsed.manifests.length === 0) {
    checks.push(
      problem(
        `the manifests directory ${dir} holds no Kubernetes objects${skipped}: nothing would be compared`,
        'point desired.path at manifests: plain YAML, or the output of kustomize build or helm template',
      ),
    );
  } else {
    checks.push(ok(`manifests: ${parsed.manifests.length} object${parsed.manifests.length === 1 ? '' : 's'} read from ${dir}${skipped}`));
  }
  return checks;
}

async function checkApi(kc: KubeConfig, cluster: ClusterConfig, timeoutMs: number): Promise<Check[]> {
  const client = createKubeClient(kc);
  const server = client.server;
  let discovered: DiscoveryResult;
  try {
    discovered = await discoverKinds(client, kindSpecsOf(cluster), { idleTimeoutMs: timeoutMs });
  } catch (err) {
    const status = err instanceof KubeRequestError ? err.status : undefined;
    // The client's message ends with advice of its own; the fix says it here.
    const what = messageOf(err).replace(/\. Check that the cluster .*$/, '');
    return [problem(`the API server at ${server} cannot be used: ${what}`, reachFix(status))];
  }
  const checks: Check[] = [ok(`the API server at ${server} answers: ${discovered.resolved.length} of the configured kinds served`)];
  for (const u of discovered.unresolved) {
    checks.push(
      u.reason === 'not-served'
        ? problem(`the cluster does not serve ${describeSpec(u.spec)}`, `correct "kinds" in cluster ${cluster.name}'s entry (e.g. apps/v1/Deployment), or install its CRD`)
        : problem(`discovery of ${describeSpec(u.spec)} failed: ${u.error.message}`, 'check the API server\'s aggregated APIs (kubectl get apiservices) and try again'),
    );
  }
  if (discovered.resolved.length > 0) checks.push(...(await checkRbac(kc, cluster, discovered.resolved, timeoutMs)));
  return checks;
}

/** Every check of one cluster, under `Cluster NAME`. Never throws: what failed is a problem line. */
export async function checkCluster(cluster: ClusterConfig, options: ClusterCheckOptions): Promise<CheckGroup> {
  const group: CheckGroup = { area: `Cluster ${cluster.name}`, checks: [] };
  const kubeconfig = cluster.kubeconfig && (isAbsolute(cluster.kubeconfig) ? cluster.kubeconfig : resolve(options.baseDir, cluster.kubeconfig));
  let kc: KubeConfig | undefined;
  try {
    kc = loadKubeConfig({ ...(cluster.context ? { context: cluster.context } : {}), ...(kubeconfig ? { kubeconfig } : {}) }, options.env);
  } catch (err) {
    group.checks.push(problem(`kubeconfig: ${isStopgapError(err) ? err.message : messageOf(err)}`, kubeconfigFix(cluster)));
  }
  if (kc) {
    try {
      group.checks.push(...(await checkApi(kc, cluster, options.timeoutMs)));
    } catch (err) {
      group.checks.push(problem(`the cluster could not be checked: ${messageOf(err)}`, reachFix(undefined)));
    }
  }
  group.checks.push(...(await checkManifests(cluster, options.baseDir)));
  return group;
}
