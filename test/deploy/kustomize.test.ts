/**
 * deploy/: every overlay rendered by `kubectl kustomize`, every object checked against the Kubernetes
 * schemas (kubernetes-models), and the install checked against what Stopgap itself reads: the
 * environment and stopgap.yml go through the app's own config loader, and the ClusterRole grants exactly
 * the kinds that config watches, derived from the scanner's default kinds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { FileConfig, loadServeConfig } from '../../src/config/config.js';
import { DEFAULT_KINDS, kindSpecsOf } from '../../src/k8s/discovery.js';
import { pluralOf } from '../../src/audit/watched.js';
import { isStopgapError } from '../../src/errors.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEPLOY = join(ROOT, 'deploy');

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown };

/** Each kind the install may contain, with its schema validator; an object of any other kind fails the test. */
const VALIDATORS: Record<string, (o: K8sObject) => { validate(): void }> = {
  'v1/Namespace': (o) => new Namespace(o as never),
  'v1/ServiceAccount': (o) => new ServiceAccount(o as never),
  'v1/ConfigMap': (o) => new ConfigMap(o as never),
  'v1/Secret': (o) => new Secret(o as never),
  'v1/Service': (o) => new Service(o as never),
  'v1/PersistentVolumeClaim': (o) => new PersistentVolumeClaim(o as never),
  'apps/v1/Deployment': (o) => new Deployment(o as never),
  'rbac.authorization.k8s.io/v1/ClusterRole': (o) => new ClusterRole(o as never),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': (o) => new ClusterRoleBinding(o as never),
};

function kustomize(dir: string): K8sObject[] {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr || run.error?.message}`);
  return parseAllDocuments(run.stdout).map((doc) => {
    expect(doc.errors).toEqual([]);
    return doc.toJS() as K8sObject;
  });
}

function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as K8sObject;
}

interface Container {
  name: string;
  env?: { name: string; value?: string }[];
  envFrom?: { secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  securityContext?: Record<string, unknown>;
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  image: string;
}
interface PodSpec {
  securityContext?: Record<string, unknown>;
  containers: Container[];
  serviceAccountName?: string;
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string }; configMap?: { name: string } }[];
}

function podOf(objects: K8sObject[]): PodSpec {
  const deployment = only(objects, 'Deployment') as unknown as { spec: { template: { spec: PodSpec } } };
  return deployment.spec.template.spec;
}

/** `group/resource` → verbs, from a ClusterRole's rules. */
function grants(objects: K8sObject[]): Map<string, string[]> {
  const role = only(objects, 'ClusterRole') as unknown as { rules: { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }[] };
  const out = new Map<string, string[]>();
  for (const rule of role.rules) {
    expect(rule.resourceNames, 'no resourceNames').toBeUndefined();
    expect(rule.nonResourceURLs, 'no nonResourceURLs').toBeUndefined();
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const key = group === '' ? resource : `${group}/${resource}`;
        expect(out.has(key), `${key} granted twice`).toBe(false);
        out.set(key, [...rule.verbs].sort());
      }
    }
  }
  return out;
}

/** The resources a cluster config watches, as RBAC names them, from the project's own kind handling. */
function resourcesOf(kinds: readonly { group?: string; kind: string }[]): string[] {
  return kinds.map((k) => {
    expect(k.group, `${k.kind} must name its group: RBAC cannot grant a kind looked up by name`).toBeDefined();
    return k.group === '' ? pluralOf(k.kind) : `${k.group}/${pluralOf(k.kind)}`;
  }).sort();
}

/** The rendered stopgap.yml, read with the app's schema. */
function stopgapYml(objects: K8sObject[]): FileConfig {
  const cm = only(objects, 'ConfigMap') as unknown as { data: Record<string, string> };
  expect(Object.keys(cm.data)).toEqual(['stopgap.yml']);
  return FileConfig.parse(parseYaml(cm.data['stopgap.yml'] as string));
}

const envOf = (c: Container): Record<string, string> => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? '']));

const work = mkdtempSync(join(tmpdir(), 'stopgap-deploy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An overlay of `overlay` with the secret-drift component, as a user adds it (kustomize wants relative paths). */
function withSecretDrift(overlay: string): string {
  const dir = mkdtempSync(join(work, 'overlay-'));
  const rel = (p: string) => relative(dir, p).split('\\').join(posix.sep);
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [${rel(join(DEPLOY, 'overlays', overlay))}]\ncomponents: [${rel(join(DEPLOY, 'components/secret-drift'))}]\n`,
  );
  return dir;
}

const OVERLAYS = [
  { name: 'http', secretKeys: ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'], mode: 'http' },
  { name: 'socket-mode', secretKeys: ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN'], mode: 'socket' },
] as const;

const WITHOUT_SECRETS = DEFAULT_KINDS.filter((k) => !(k.group === '' && k.kind === 'Secret'));

describe.each(OVERLAYS)('deploy/overlays/$name', ({ name, secretKeys, mode }) => {
  let objects: K8sObject[];
  let drift: K8sObject[];
  beforeAll(() => {
    objects = kustomize(join(DEPLOY, 'overlays', name));
    drift = kustomize(withSecretDrift(name));
  });

  it('renders only objects of known kinds, each valid against the Kubernetes schema, all in the stopgap namespace', () => {
    for (const variant of [objects, drift]) {
      expect(variant.map((o) => o.kind).sort()).toEqual(
        ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Namespace', 'PersistentVolumeClaim', 'Secret', 'Service', 'ServiceAccount'],
      );
      for (const o of variant) {
        const validator = VALIDATORS[`${o.apiVersion}/${o.kind}`];
        expect(validator, `${o.apiVersion}/${o.kind} has a validator`).toBeDefined();
        expect(() => validator?.(o).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
        const clusterScoped = ['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind);
        expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(clusterScoped ? undefined : 'stopgap');
      }
    }
  });

  it('runs one replica, replaced with Recreate, of the stopgap image with a tag', () => {
    const deployment = only(objects, 'Deployment') as unknown as { spec: { replicas: number; strategy: { type: string } } };
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    const [container, ...others] = podOf(objects).containers;
    expect(others).toEqual([]);
    expect(container?.image).toMatch(/^ghcr\.io\/stopgap\/stopgap:[0-9A-Za-z][\w.-]*$/);
  });

  it('runs non-root with a read-only root filesystem, no privilege escalation, no capabilities and the runtime seccomp profile', () => {
    const pod = podOf(objects);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext?.['runAsUser']).toBeGreaterThan(0);
    for (const c of pod.containers) {
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect((c.securityContext?.['capabilities'] as { add?: unknown }).add).toBeUndefined();
      expect(c.securityContext?.['privileged']).not.toBe(true);
    }
  });

  it('probes liveness on /healthz and readiness on /readyz at PORT, and serves /metrics on METRICS_PORT', () => {
    const [c] = podOf(objects).containers as [Container];
    const env = envOf(c);
    const portNamed = (port: string | number | undefined) => (typeof port === 'number' ? port : c.ports?.find((p) => p.name === port)?.containerPort);
    expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
    // The serving checks only: a cluster or Slack's Web API being down must not take /fix away.
    expect(c.readinessProbe?.httpGet?.path).toBe('/readyz?exclude=slack-api&exclude=clusters');
    expect(c.startupProbe?.httpGet?.path).toBe('/healthz');
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) expect(portNamed(probe?.httpGet?.port)).toBe(Number(env['PORT']));
    expect(env['METRICS_PORT']).toBeDefined();
    expect(env['METRICS_PORT']).not.toBe(env['PORT']);
    expect(portNamed('metrics')).toBe(Number(env['METRICS_PORT']));
    // The Service reaches both: Slack's endpoint and the audit webhook on http, Prometheus on metrics.
    const service = only(objects, 'Service') as unknown as { spec: { selector: Record<string, string>; ports: { name: string; targetPort: string | number }[] } };
    expect(service.spec.ports.map((p) => portNamed(p.targetPort)).sort()).toEqual([Number(env['PORT']), Number(env['METRICS_PORT'])].sort());
    const deployment = only(objects, 'Deployment') as unknown as { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } } };
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
  });

  it('requests CPU and memory and limits memory', () => {
    const [c] = podOf(objects).containers as [Container];
    expect(c.resources?.requests?.['cpu']).toBeDefined();
    expect(c.resources?.requests?.['memory']).toBeDefined();
    expect(c.resources?.limits?.['memory']).toBeDefined();
  });

  it('keeps the database on the claimed volume and reads stopgap.yml from the generated ConfigMap', () => {
    const pod = podOf(objects);
    const [c] = pod.containers as [Container];
    const env = envOf(c);
    const mountOf = (path: string | undefined) => c.volumeMounts?.filter((m) => path?.startsWith(`${m.mountPath}/`)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
    const dbVolume = pod.volumes?.find((v) => v.name === mountOf(env['STOPGAP_DB'])?.name);
    expect(dbVolume?.persistentVolumeClaim?.claimName).toBe(only(objects, 'PersistentVolumeClaim').metadata.name);
    const configMount = mountOf(env['STOPGAP_CONFIG']);
    expect(configMount?.readOnly).toBe(true);
    expect(env['STOPGAP_CONFIG']).toBe(`${configMount?.mountPath}/stopgap.yml`);
    expect(pod.volumes?.find((v) => v.name === configMount?.name)?.configMap?.name).toBe(only(objects, 'ConfigMap').metadata.name);
    expect(pod.serviceAccountName).toBe(only(objects, 'ServiceAccount').metadata.name);
  });

  it(`holds the ${mode} mode Slack credentials as placeholders the app refuses, never real values`, () => {
    const secret = only(objects, 'Secret') as unknown as { data: Record<string, string> };
    const [c] = podOf(objects).containers as [Container];
    expect(c.envFrom?.map((e) => e.secretRef?.name)).toEqual([only(objects, 'Secret').metadata.name]);
    expect(Object.keys(secret.data).sort()).toEqual([...secretKeys].sort());
    const values = Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    for (const v of Object.values(values)) expect(v).toBe('REPLACE_ME');
    // Started as rendered, the app names the placeholder token instead of trying it on Slack.
    const configPath = join(work, `${name}.yml`);
    writeFileSync(configPath, (only(objects, 'ConfigMap') as unknown as { data: Record<string, string> }).data['stopgap.yml'] as string);
    const env = { ...envOf(c), ...values, STOPGAP_CONFIG: configPath, STOPGAP_DB: join(work, 'db', 'stopgap.db') };
    let refused: unknown;
    try {
      loadServeConfig(env);
    } catch (err) {
      refused = err;
    }
    expect(isStopgapError(refused)).toBe(true);
    expect((refused as Error).message).toContain('SLACK_BOT_TOKEN');
  });

  it(`starts in ${mode} mode with the rendered environment and stopgap.yml once real-looking tokens are in`, () => {
    const [c] = podOf(objects).containers as [Container];
    const configPath = join(work, `${name}-ok.yml`);
    writeFileSync(configPath, (only(objects, 'ConfigMap') as unknown as { data: Record<string, string> }).data['stopgap.yml'] as string);
    const tokens: Record<string, string> = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'abcdef0123456789', SLACK_APP_TOKEN: 'xapp-1-abc' };
    const env = { ...envOf(c), ...Object.fromEntries(secretKeys.map((k) => [k, tokens[k] as string])), STOPGAP_CONFIG: configPath, STOPGAP_DB: join(work, 'db', 'stopgap.db') };
    const config = loadServeConfig(env);
    expect(config.slack.mode).toBe(mode);
    expect(config.port).toBe(Number(envOf(c)['PORT']));
    expect(config.metricsPort).toBe(Number(envOf(c)['METRICS_PORT']));
    expect(config.file.clusters).toHaveLength(1);
    // In the pod, no context means the pod's own service account.
    expect(config.file.clusters[0]?.context).toBeUndefined();
  });

  it('grants get/list/watch on exactly the default kinds but Secrets, which stopgap.yml watches; nothing on Secrets', () => {
    const granted = grants(objects);
    const watched = resourcesOf(kindSpecsOf(stopgapYml(objects).clusters[0] as FileConfig['clusters'][number]));
    expect(watched).toEqual(resourcesOf(WITHOUT_SECRETS));
    expect([...granted.keys()].sort()).toEqual(watched);
    for (const [resource, verbs] of granted) expect(verbs, resource).toEqual(['get', 'list', 'watch']);
    expect(granted.has('secrets')).toBe(false);
    const binding = only(objects, 'ClusterRoleBinding') as unknown as { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace: string }[] };
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: only(objects, 'ClusterRole').metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: only(objects, 'ServiceAccount').metadata.name, namespace: 'stopgap' }]);
  });

  it('with components/secret-drift, grants and watches exactly the default kinds, Secrets included', () => {
    const granted = grants(drift);
    const watched = resourcesOf(kindSpecsOf(stopgapYml(drift).clusters[0] as FileConfig['clusters'][number]));
    expect(watched).toEqual(resourcesOf(DEFAULT_KINDS));
    expect([...granted.keys()].sort()).toEqual(watched);
    expect(granted.get('secrets')).toEqual(['get', 'list', 'watch']);
    for (const [resource, verbs] of granted) expect(verbs, resource).toEqual(['get', 'list', 'watch']);
    // Only the kinds differ from the base's stopgap.yml: the component's copy follows the base.
    const strip = (c: FileConfig) => ({ ...c, clusters: c.clusters.map(({ kinds: _kinds, ...rest }) => rest) });
    expect(strip(stopgapYml(drift))).toEqual(strip(stopgapYml(objects)));
  });
});
