/**
 * Audit events as the API server writes them for kubectl's manual changes, synthesized from how
 * kubectl sends each request (verb, subresource, fieldManager in the URI, body kind): the project's
 * own fixtures, so the behaviour is covered without the shared corpus.
 */
export type KubectlChange = 'scale' | 'edit' | 'set-image' | 'cordon' | 'annotate';

let seq = 0;

export function kubectlEvent(
  change: KubectlChange,
  opts: { user?: string; at?: string; auditId?: string; name?: string; /** scale */ replicas?: number; /** edit */ data?: Record<string, string>; /** set-image */ image?: string } = {},
): Record<string, unknown> {
  const at = opts.at ?? '2026-11-30T03:12:00.123456Z';
  const user = { username: opts.user ?? 'alice@corp.example', groups: ['system:authenticated'] };
  const common = {
    level: 'RequestResponse',
    auditID: opts.auditId ?? `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    user,
    sourceIPs: ['10.0.0.7'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/abcdef0',
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: at,
    stageTimestamp: at,
    annotations: { 'authorization.k8s.io/decision': 'allow' },
  };
  const name = opts.name;
  switch (change) {
    case 'scale':
      return {
        ...common,
        verb: 'patch',
        requestURI: `/apis/apps/v1/namespaces/shop/deployments/${name ?? 'payments-api'}/scale`,
        objectRef: { resource: 'deployments', namespace: 'shop', name: name ?? 'payments-api', apiGroup: 'apps', apiVersion: 'v1', subresource: 'scale' },
        requestObject: { spec: { replicas: opts.replicas ?? 12 } },
        responseObject: { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: name ?? 'payments-api', namespace: 'shop' }, spec: { replicas: opts.replicas ?? 12 }, status: { replicas: 3 } },
      };
    case 'edit':
      return {
        ...common,
        verb: 'patch',
        requestURI: `/api/v1/namespaces/shop/configmaps/${name ?? 'app-config'}?fieldManager=kubectl-edit&fieldValidation=Strict`,
        objectRef: { resource: 'configmaps', namespace: 'shop', name: name ?? 'app-config', apiVersion: 'v1' },
        requestObject: { data: opts.data ?? { LOG_LEVEL: 'debug' } },
        responseObject: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: name ?? 'app-config', namespace: 'shop' }, data: opts.data ?? { LOG_LEVEL: 'debug' } },
      };
    case 'set-image':
      return {
        ...common,
        verb: 'patch',
        requestURI: `/apis/apps/v1/namespaces/shop/deployments/${name ?? 'checkout'}?fieldManager=kubectl-set`,
        objectRef: { resource: 'deployments', namespace: 'shop', name: name ?? 'checkout', apiGroup: 'apps', apiVersion: 'v1' },
        requestObject: { spec: { template: { spec: { containers: [{ name: 'api', image: opts.image ?? 'registry.example.com/checkout:0.9.7' }] } } } },
      };
    case 'cordon':
      return {
        ...common,
        verb: 'patch',
        requestURI: `/api/v1/nodes/${name ?? 'ip-10-0-1-7'}`,
        objectRef: { resource: 'nodes', name: name ?? 'ip-10-0-1-7', apiVersion: 'v1' },
        requestObject: { spec: { unschedulable: true } },
      };
    case 'annotate':
      return {
        ...common,
        verb: 'patch',
        requestURI: `/apis/apps/v1/namespaces/shop/deployments/${name ?? 'web'}?fieldManager=kubectl-annotate`,
        objectRef: { resource: 'deployments', namespace: 'shop', name: name ?? 'web', apiGroup: 'apps', apiVersion: 'v1' },
        requestObject: { metadata: { annotations: { 'team.example/owner': 'payments' } } },
      };
  }
}
