/** Realistic live objects for scanner tests: server defaults, managedFields, last-applied. */
import type { KubeObject } from '../drift/types.js';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const APPLIED_AT = '2025-03-01T09:00:00Z';

export interface ManagedEntry {
  manager: string;
  operation: 'Update' | 'Apply';
  subresource?: string;
  time: string;
  fields: Record<string, unknown>;
}

function managed(entries: ManagedEntry[], apiVersion: string): unknown[] {
  return entries.map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion,
    time: e.time,
    fieldsType: 'FieldsV1',
    fieldsV1: e.fields,
    ...(e.subresource ? { subresource: e.subresource } : {}),
  }));
}

export interface DeploymentOptions {
  name: string;
  namespace?: string;
  /** Desired (applied) values. */
  replicas?: number;
  image?: string;
  /** Live values, when someone changed them by hand. */
  liveReplicas?: number;
  liveImage?: string;
  /** Who changed the live value by hand, and when (the image too, unless `imageSetBy` says otherwise). */
  scaledBy?: { manager: string; time: string };
  /** Who set the live image by hand, and when. */
  imageSetBy?: { manager: string; time: string };
  lastApplied?: boolean;
}

/** The manifest a team applies. */
export function desiredDeployment(o: DeploymentOptions): KubeObject {
  const namespace = o.namespace ?? 'shop';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: o.name, namespace, labels: { app: o.name } },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: o.name } },
      template: {
        metadata: { labels: { app: o.name } },
        spec: { containers: [{ name: 'api', image: o.image ?? `registry.example.com/${o.name}:1.0.0`, ports: [{ containerPort: 8080 }] }] },
      },
    },
  };
}

/** What the API server returns for that Deployment: defaults, status, managedFields. */
export function liveDeployment(o: DeploymentOptions): KubeObject {
  const desired = desiredDeployment(o);
  const replicas = o.liveReplicas ?? o.replicas ?? 3;
  const image = o.liveImage ?? o.image ?? `registry.example.com/${o.name}:1.0.0`;
  const imageBy = o.imageSetBy ?? o.scaledBy;
  const applyFields: Record<string, unknown> = {
    'f:metadata': {
      'f:annotations': { '.': {}, ...(o.lastApplied !== false ? { [`f:${LAST_APPLIED}`]: {} } : {}) },
      'f:labels': { '.': {}, 'f:app': {} },
    },
    'f:spec': {
      ...(o.scaledBy && o.liveReplicas !== undefined ? {} : { 'f:replicas': {} }),
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:containers': {
            'k:{"name":"api"}': {
              '.': {},
              ...(imageBy && o.liveImage !== undefined ? {} : { 'f:image': {} }),
              'f:name': {},
              'f:ports': { '.': {}, 'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } },
            },
          },
        },
      },
    },
  };
  const entries: ManagedEntry[] = [
    { manager: 'kubectl-client-side-apply', operation: 'Update', time: APPLIED_AT, fields: applyFields },
    {
      manager: 'kube-controller-manager',
      operation: 'Update',
      subresource: 'status',
      time: APPLIED_AT,
      fields: { 'f:metadata': { 'f:annotations': { 'f:deployment.kubernetes.io/revision': {} } }, 'f:status': { 'f:replicas': {} } },
    },
  ];
  if (o.scaledBy && o.liveReplicas !== undefined) {
    entries.push({ manager: o.scaledBy.manager, operation: 'Update', subresource: 'scale', time: o.scaledBy.time, fields: { 'f:spec': { 'f:replicas': {} } } });
  }
  if (imageBy && o.liveImage !== undefined) {
    entries.push({
      manager: imageBy.manager,
      operation: 'Update',
      time: imageBy.time,
      fields: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"api"}': { 'f:image': {} } } } } } },
    });
  }
  const annotations: Record<string, string> = { 'deployment.kubernetes.io/revision': '1' };
  if (o.lastApplied !== false) annotations[LAST_APPLIED] = JSON.stringify(desired);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: o.name,
      namespace: o.namespace ?? 'shop',
      labels: { app: o.name },
      annotations,
      generation: 2,
      managedFields: managed(entries, 'apps/v1'),
    },
    spec: {
      replicas,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { app: o.name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: o.name }, creationTimestamp: null },
        spec: {
          containers: [
            {
              name: 'api',
              image,
              ports: [{ containerPort: 8080, protocol: 'TCP' }],
              resources: {},
              imagePullPolicy: 'IfNotPresent',
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
            },
          ],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          securityContext: {},
          schedulerName: 'default-scheduler',
        },
      },
    },
    status: { replicas, readyReplicas: replicas, observedGeneration: 2 },
  };
}

export interface ConfigMapOptions {
  name: string;
  namespace?: string;
  data: Record<string, string>;
  liveData?: Record<string, string>;
  editedBy?: { manager: string; time: string };
}

export function desiredConfigMap(o: ConfigMapOptions): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: o.name, namespace: o.namespace ?? 'shop' }, data: o.data };
}

export function liveConfigMap(o: ConfigMapOptions): KubeObject {
  const desired = desiredConfigMap(o);
  const dataFields = Object.fromEntries(Object.keys(o.data).map((k) => [`f:${k}`, {}]));
  const entries: ManagedEntry[] = [
    {
      manager: 'kubectl-client-side-apply',
      operation: 'Update',
      time: APPLIED_AT,
      fields: { 'f:data': { '.': {}, ...dataFields }, 'f:metadata': { 'f:annotations': { '.': {}, [`f:${LAST_APPLIED}`]: {} } } },
    },
  ];
  if (o.editedBy && o.liveData) {
    const changed = Object.keys(o.liveData).filter((k) => o.liveData?.[k] !== o.data[k]);
    entries.push({ manager: o.editedBy.manager, operation: 'Update', time: o.editedBy.time, fields: { 'f:data': Object.fromEntries(changed.map((k) => [`f:${k}`, {}])) } });
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: o.name,
      namespace: o.namespace ?? 'shop',
      annotations: { [LAST_APPLIED]: JSON.stringify(desired) },
      managedFields: managed(entries, 'v1'),
    },
    data: o.liveData ?? o.data,
  };
}

export interface SecretOptions {
  name: string;
  namespace?: string;
  /** Plain values; stored base64 as the API server does. */
  data: Record<string, string>;
  liveData?: Record<string, string>;
  editedBy?: { manager: string; time: string };
}

function b64(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
}

export function desiredSecret(o: SecretOptions): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: o.name, namespace: o.namespace ?? 'shop' }, type: 'Opaque', stringData: o.data };
}

export function liveSecret(o: SecretOptions): KubeObject {
  const dataFields = Object.fromEntries(Object.keys(o.data).map((k) => [`f:${k}`, {}]));
  const entries: ManagedEntry[] = [
    { manager: 'argocd-controller', operation: 'Apply', time: APPLIED_AT, fields: { 'f:data': dataFields, 'f:type': {} } },
  ];
  if (o.editedBy && o.liveData) {
    const changed = Object.keys(o.liveData).filter((k) => o.liveData?.[k] !== o.data[k]);
    entries.push({ manager: o.editedBy.manager, operation: 'Update', time: o.editedBy.time, fields: { 'f:data': Object.fromEntries(changed.map((k) => [`f:${k}`, {}])) } });
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: o.name, namespace: o.namespace ?? 'shop', managedFields: managed(entries, 'v1') },
    type: 'Opaque',
    data: b64(o.liveData ?? o.data),
  };
}

/** A Node as a team that keeps nodes in git declares it: its name and labels, nothing it schedules. */
export function desiredNode(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'node.kubernetes.io/instance-type': 'm5.large' } } };
}

/** The live Node; `cordonedBy` marks it unschedulable as `kubectl cordon` does (manager kubectl-cordon). */
export function liveNode(name: string, cordonedBy?: { manager: string; time: string }): KubeObject {
  const entries: ManagedEntry[] = [
    { manager: 'kubelet', operation: 'Update', time: APPLIED_AT, fields: { 'f:metadata': { 'f:labels': { '.': {}, 'f:node.kubernetes.io/instance-type': {} } } } },
  ];
  if (cordonedBy) entries.push({ manager: cordonedBy.manager, operation: 'Update', time: cordonedBy.time, fields: { 'f:spec': { 'f:unschedulable': {} } } });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-node-${name}`, resourceVersion: '1', labels: { 'node.kubernetes.io/instance-type': 'm5.large' }, managedFields: managed(entries, 'v1') },
    spec: { podCIDR: '10.244.1.0/24', ...(cordonedBy ? { unschedulable: true } : {}) },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}
