/**
 * The resource-reference grammar: how people name Kubernetes objects in text (`deploy/payments-api`,
 * `deployment.apps/web`, `rollout.argoproj.io/web`, `ns/shop`): kinds and their aliases, API groups,
 * DNS-1123 name rules, and which kinds live in a namespace. Shared by the `/fix` change draft and the
 * log-change modal. Pure.
 */
import type { ResourceRef } from './model.js';
import { stripWrap } from './fix-text.js';

/** What a reference names: an object, or (`ns/shop`) the namespace of the others. */
export type RefMatch = { ref: ResourceRef } | { namespace: string };

const KIND_ALIASES: Record<string, string> = {};
const KINDS: Array<[string, string[]]> = [
  ['deployment', ['deploy', 'deployment', 'deployments']],
  ['statefulset', ['sts', 'statefulset', 'statefulsets']],
  ['daemonset', ['ds', 'daemonset', 'daemonsets']],
  ['replicaset', ['rs', 'replicaset', 'replicasets']],
  ['configmap', ['cm', 'configmap', 'configmaps']],
  ['secret', ['secret', 'secrets']],
  ['service', ['svc', 'service', 'services']],
  ['ingress', ['ing', 'ingress', 'ingresses']],
  ['horizontalpodautoscaler', ['hpa', 'horizontalpodautoscaler', 'horizontalpodautoscalers']],
  ['poddisruptionbudget', ['pdb', 'poddisruptionbudget', 'poddisruptionbudgets']],
  ['cronjob', ['cj', 'cronjob', 'cronjobs']],
  ['job', ['job', 'jobs']],
  ['pod', ['po', 'pod', 'pods']],
  ['node', ['no', 'node', 'nodes']],
  ['networkpolicy', ['netpol', 'networkpolicy', 'networkpolicies']],
  ['persistentvolumeclaim', ['pvc', 'persistentvolumeclaim', 'persistentvolumeclaims']],
  ['persistentvolume', ['pv', 'persistentvolume', 'persistentvolumes']],
  ['serviceaccount', ['sa', 'serviceaccount', 'serviceaccounts']],
];
for (const [kind, aliases] of KINDS) for (const a of aliases) KIND_ALIASES[a] = kind;

const NAMESPACE_ALIASES = new Set(['ns', 'namespace', 'namespaces']);

const CLUSTER_SCOPED = new Set([
  'node', 'persistentvolume', 'namespace', 'storageclass', 'ingressclass', 'priorityclass',
  'runtimeclass', 'csidriver', 'apiservice', 'customresourcedefinition',
  'mutatingwebhookconfiguration', 'validatingwebhookconfiguration',
]);

/** Whether a kind lives in a namespace; the modal and the parser share this rule. */
export function isNamespaced(kind: string): boolean {
  // CRD scope is unknowable without discovery; `Cluster*` kinds (ClusterIssuer, ClusterRole, …) are the
  // cluster-scoped convention.
  return !CLUSTER_SCOPED.has(kind) && !kind.startsWith('cluster');
}

/**
 * The references one word of text names, through the punctuation and mrkdwn around it and commas
 * between them: `deploy/web`, `(sts/db-0),`, `svc/api,svc/admin`, `ns/shop`.
 */
export function refsInWord(word: string): RefMatch[] {
  if (!word.includes('/')) return [];
  const matches: RefMatch[] = [];
  for (const part of word.split(',')) {
    const match = parseResourceRef(stripWrap(part));
    if (match !== undefined) matches.push(match);
  }
  return matches;
}

/**
 * One reference as kubectl takes it: `kind/name` with a kind, short name or plural (`deploy/web`,
 * `po/web-0`), optionally with an API group (`deployment.apps/web`, `hpa.v2.autoscaling/web`), or a custom
 * resource with a domain-like group (`rollout.argoproj.io/web`); or `ns/shop`, a namespace. Undefined for
 * anything else, names that break DNS-1123 rules included.
 */
export function parseResourceRef(s: string): RefMatch | undefined {
  const slash = s.indexOf('/');
  if (slash <= 0 || s.indexOf('/', slash + 1) !== -1) return undefined;
  const kindPart = s.slice(0, slash);
  const name = s.slice(slash + 1);
  if (!/^[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*$/.test(kindPart)) return undefined;
  const lower = kindPart.toLowerCase();
  const dot = lower.indexOf('.');
  const head = dot === -1 ? lower : lower.slice(0, dot);
  let group = dot === -1 ? undefined : lower.slice(dot + 1);
  // `resource.version.group` is valid kubectl: the version is not part of the group.
  const versioned = group === undefined ? null : /^v\d+(?:(?:alpha|beta)\d+)?\.(.+)$/.exec(group);
  if (versioned?.[1] !== undefined) group = versioned[1];

  if (NAMESPACE_ALIASES.has(head) && group === undefined) {
    return isDnsLabel(name) ? { namespace: name } : undefined;
  }
  if (!isDnsSubdomain(name)) return undefined;
  const builtin = KIND_ALIASES[head];
  if (builtin !== undefined) {
    return { ref: group === undefined ? { kind: builtin, name } : { kind: builtin, group, name } };
  }
  // An unknown kind is a custom resource only with a domain-like group (`rollout.argoproj.io/web`);
  // this keeps `github.com/acme` and `ghcr.io/app` out.
  if (group === undefined || !group.includes('.') || head === 'www') return undefined;
  return { ref: { kind: singular(head), group, name } };
}

/** Best-effort singular for custom resource plurals (`rollouts` → `rollout`, `policies` → `policy`). */
function singular(kind: string): string {
  let out = kind;
  if (kind.endsWith('ies')) out = `${kind.slice(0, -3)}y`;
  else if (kind.endsWith('sses') || kind.endsWith('uses') || kind.endsWith('xes')) out = kind.slice(0, -2);
  else if (kind.endsWith('s') && !kind.endsWith('ss') && !kind.endsWith('us')) out = kind.slice(0, -1);
  return /^[a-z]/.test(out) ? out : kind;
}

/** The refs with `namespace` given to those that live in one (a node never gets one). */
export function withNamespace(refs: ResourceRef[], namespace: string | undefined): ResourceRef[] {
  return refs.map((r) => (namespace !== undefined && isNamespaced(r.kind) ? { ...r, namespace } : r));
}

/** The refs in order, each once. */
export function dedupeRefs(refs: ResourceRef[]): ResourceRef[] {
  const seen = new Set<string>();
  const out: ResourceRef[] = [];
  for (const r of refs) {
    const key = `${r.kind}|${r.group ?? ''}|${r.namespace ?? ''}|${r.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
  }
  return out;
}

/** A DNS-1123 label: what a namespace (and each part of most names) must be. */
export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/.test(s);
}

/** A DNS-1123 subdomain: what most object names must be. */
function isDnsSubdomain(s: string): boolean {
  return s.length >= 1 && s.length <= 253 && s.split('.').every(isDnsLabel);
}
