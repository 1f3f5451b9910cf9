import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StopgapError } from '../../src/errors.js';
import {
  directorySource,
  formatProblem,
  lastAppliedSource,
  loadManifestDirectory,
  managersSource,
  openDesiredSource,
  parseManifests,
  refOf,
} from '../../src/drift/sources/index.js';
import { LAST_APPLIED_ANNOTATION } from '../../src/drift/normalize.js';
import type { KubeObject, ObjectRef } from '../../src/drift/types.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'manifests');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function live(apiVersion: string, kind: string, name: string, namespace?: string, extra: KubeObject = {}): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}), uid: 'u-1', resourceVersion: '7' },
    ...extra,
  };
}

function ref(object: KubeObject): ObjectRef {
  const r = refOf(object);
  if (!r) throw new Error('object without identity');
  return r;
}

describe('directory source', () => {
  it('loads every manifest under the directory, recursively, with file and line', async () => {
    const parsed = await loadManifestDirectory(FIXTURES);
    const names = parsed.manifests.map((m) => `${m.ref.kind}/${m.ref.name}`).sort();
    expect(names).toEqual([
      'ConfigMap/checkout-settings',
      'ConfigMap/feature-flags',
      'ConfigMap/payments-config',
      'ConfigMap/saved-on-windows',
      'ConfigMap/survives-the-break',
      'Deployment/payments-api',
      'Node/ip-10-0-1-7',
      'PodDisruptionBudget/payments-api',
      'Secret/payments-db',
      'Service/payments-api',
    ]);
    const service = parsed.manifests.find((m) => m.ref.kind === 'Service');
    expect(service?.file).toBe(join(FIXTURES, 'shop', 'config.yaml'));
    expect(service?.line).toBe(12);
    const deployment = parsed.manifests.find((m) => m.ref.kind === 'Deployment');
    expect(deployment?.ref).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment', name: 'payments-api' });
  });

  it('reports a file that fails to parse with its file and line, and still loads the rest', async () => {
    const parsed = await loadManifestDirectory(FIXTURES);
    const problems = parsed.problems.map(formatProblem);
    expect(problems).toContainEqual(expect.stringMatching(/broken\/half-broken\.yaml:16: \w+/));
    expect(problems).toContainEqual(expect.stringMatching(/broken\/not-json\.json:4: /));
    expect(problems).toContainEqual(
      expect.stringMatching(/broken\/no-kind\.yaml:1: not a Kubernetes object: apiVersion, kind and metadata.name are required/),
    );
    expect(parsed.problems).toHaveLength(3);
    // The valid document before the broken one in the same file still loads.
    expect(parsed.manifests.some((m) => m.ref.name === 'survives-the-break')).toBe(true);
    const source = directorySource(parsed);
    expect(source.complete).toBe(false);
  });

  it('skips dot-directories and files that are not YAML or JSON', async () => {
    const parsed = await loadManifestDirectory(FIXTURES);
    expect(parsed.manifests.some((m) => m.ref.name === 'must-not-load')).toBe(false);
    expect(parsed.problems.some((p) => p.file?.endsWith('README.md'))).toBe(false);
  });

  it('expands kind: List items and reads YAML as Kubernetes does (0644 is octal, timestamps stay strings)', () => {
    const parsed = parseManifests(
      [
        'apiVersion: v1',
        'kind: ConfigMapList',
        'items:',
        '  - apiVersion: v1',
        '    kind: ConfigMap',
        '    metadata: { name: a, namespace: x }',
        '    data: { when: 2024-01-01 }',
        '  - apiVersion: v1',
        '    kind: Secret',
        '    metadata: { name: b, namespace: x }',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: { name: c }',
        'spec: { mode: 0644, enabled: yes }',
      ].join('\n'),
      'inline.yaml',
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.manifests.map((m) => [m.ref.name, m.line])).toEqual([
      ['a', 4],
      ['b', 8],
      ['c', 12],
    ]);
    expect((parsed.manifests[0]?.object['data'] as Record<string, unknown>)['when']).toBe('2024-01-01');
    expect(parsed.manifests[2]?.object['spec']).toEqual({ mode: 420, enabled: true });
  });

  it('gives namespaced objects without a namespace the cluster default namespace', async () => {
    const source = directorySource(await loadManifestDirectory(FIXTURES), { defaultNamespace: 'shop' });
    const inShop = live('apps/v1', 'Deployment', 'payments-api', 'shop');
    const found = source.lookup(inShop, ref(inShop));
    expect(found.status).toBe('declared');
    if (found.status === 'declared') {
      expect((found.desired['metadata'] as Record<string, unknown>)['namespace']).toBe('shop');
      expect((found.desired['spec'] as Record<string, unknown>)['replicas']).toBe(3);
      expect(found.live).toBe(inShop);
    }
    const elsewhere = live('apps/v1', 'Deployment', 'payments-api', 'staging');
    expect(source.lookup(elsewhere, ref(elsewhere)).status).toBe('undeclared');

    const declared = source.declared('apps', 'Deployment', true).map((d) => d.ref);
    expect(declared).toEqual([{ group: 'apps', version: 'v1', kind: 'Deployment', name: 'payments-api', namespace: 'shop' }]);
  });

  it('matches objects by group and kind whatever the version, and cluster-scoped objects without namespace', async () => {
    const source = directorySource(await loadManifestDirectory(FIXTURES));
    const node = live('v1', 'Node', 'ip-10-0-1-7');
    expect(source.lookup(node, ref(node)).status).toBe('declared');
    expect(source.declared('', 'Node', false).map((d) => d.ref.namespace)).toEqual([undefined]);
    const pdbOtherVersion = live('policy/v1beta1', 'PodDisruptionBudget', 'payments-api', 'shop');
    expect(source.lookup(pdbOtherVersion, ref(pdbOtherVersion)).status).toBe('declared');
    const otherGroup = live('example.com/v1', 'PodDisruptionBudget', 'payments-api', 'shop');
    expect(source.lookup(otherGroup, ref(otherGroup)).status).toBe('undeclared');
  });

  it('never quotes the text of a broken file: it may be a Secret', () => {
    const yaml = parseManifests('apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: [hunter2-leak\n', 's.yaml');
    const json = parseManifests('{"apiVersion": "v1", "kind": "Secret", "stringData": {"password": hunter2-leak}}', 's.json');
    const problems = [...yaml.problems, ...json.problems];
    expect(problems).toHaveLength(2);
    expect(problems.map((p) => p.line)).toEqual([expect.any(Number), 1]);
    expect(JSON.stringify(problems)).not.toContain('hunter2');
  });

  it('splits documents on `---` lines only, as kubectl does, keeping line numbers', () => {
    const parsed = parseManifests(
      ['# leading comment', '--- ', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: a}', 'data:', '  doc: |', '    ---', '    inner', '---\r', '', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: b}', '...', ''].join('\n'),
      'split.yaml',
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.manifests.map((m) => [m.ref.name, m.line])).toEqual([
      ['a', 3],
      ['b', 12],
    ]);
    expect(parsed.manifests[0]?.object['data']).toEqual({ doc: '---\ninner\n' });
  });

  it('reports an object declared twice and uses the first declaration', () => {
    const first = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: team}\ndata: {v: "1"}\n', 'one.yaml');
    const second = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: team}\ndata: {v: "2"}\n', 'two.yaml');
    const source = directorySource({
      manifests: [...first.manifests, ...second.manifests],
      problems: [],
    });
    expect(source.problems.map(formatProblem)).toEqual([
      'two.yaml:1: ConfigMap/a is declared twice (first at one.yaml:1); the first one is used',
    ]);
    expect(source.complete).toBe(true);
    const cm = live('v1', 'ConfigMap', 'a', 'team');
    const found = source.lookup(cm, ref(cm));
    expect(found.status === 'declared' && found.desired['data']).toEqual({ v: '1' });
  });

  it('leaves out quietly what a git checkout holds besides manifests: kustomization, Helm chart files, plain config', async () => {
    const parsed = await loadManifestDirectory(join(FIXTURES, 'checkout'));
    expect(parsed.problems.map(formatProblem)).toEqual([]);
    expect(parsed.manifests.map((m) => `${m.ref.kind}/${m.ref.name}`).sort()).toEqual(['ConfigMap/checkout-settings', 'ConfigMap/saved-on-windows']);
    // web.yaml starts with a byte-order mark and `---`: the object is declared on line 2.
    expect(parsed.manifests.find((m) => m.ref.name === 'checkout-settings')?.line).toBe(2);
    // Files: 2 kustomizations, Chart.yaml, 2 values files, 1 chart template. Documents: a kustomize
    // Component, a plain mapping and a plain sequence.
    expect(parsed.skipped).toBe(9);
    const source = directorySource(parsed);
    expect(source.complete).toBe(true);
    expect(source.skipped).toBe(9);
  });

  it('still reports a document with only one of apiVersion and kind, or without a name, and leaves the source incomplete', () => {
    const parsed = parseManifests(
      [
        'kind: ConfigMap',
        'metadata: {name: no-api-version}',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {generateName: no-name-}',
        '---',
        'owner: team-payments',
        '---',
        'apiVersion: v1',
        'kind: List',
        'items:',
        '  - {metadata: {name: item-without-kind}}',
        '  - plain',
      ].join('\n'),
      'mixed.yaml',
    );
    expect(parsed.problems.map(formatProblem)).toEqual([
      'mixed.yaml:1: not a Kubernetes object: apiVersion, kind and metadata.name are required',
      'mixed.yaml:4: not a Kubernetes object: apiVersion, kind and metadata.name are required',
      'mixed.yaml:13: not a Kubernetes object: apiVersion, kind and metadata.name are required',
      'mixed.yaml:14: not a Kubernetes object (expected a mapping with apiVersion and kind)',
    ]);
    expect(parsed.skipped).toBe(1);
    expect(directorySource({ ...parsed, manifests: [] }).complete).toBe(false);
  });

  it('reads JSON and YAML saved with a UTF-8 byte-order mark', () => {
    const json = parseManifests('\uFEFF{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}', 'bom.json');
    expect(json.problems).toEqual([]);
    expect(json.manifests.map((m) => [m.ref.name, m.line])).toEqual([['j', 1]]);
    const yaml = parseManifests('\uFEFF---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: yml}\n', 'bom.yaml');
    expect(yaml.problems).toEqual([]);
    expect(yaml.manifests.map((m) => [m.ref.name, m.line])).toEqual([['yml', 2]]);
  });

  it('refuses a YAML alias bomb with its file and line, quickly, and still loads the rest of the directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stopgap-src-'));
    dirs.push(dir);
    // Nine levels of ten aliases each: a billion leaves from a dozen lines.
    const levels = ['    a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let n = 1; n <= 8; n++) levels.push(`    a${n}: &a${n} [${Array.from({ length: 10 }, () => `*a${n - 1}`).join(', ')}]`);
    const bomb = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: ok-before}', '---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: bomb}', 'spec:', '  nested:', ...levels].join('\n');
    writeFileSync(join(dir, 'bomb.yaml'), bomb);
    writeFileSync(join(dir, 'fine.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n');
    const started = Date.now();
    const parsed = await loadManifestDirectory(dir);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(parsed.problems.map(formatProblem)).toEqual([expect.stringMatching(/bomb\.yaml:5: too many aliases/)]);
    expect(parsed.manifests.map((m) => m.ref.name).sort()).toEqual(['fine', 'ok-before']);
    expect(directorySource(parsed).complete).toBe(false);
  });

  it('still reads ordinary anchors, aliases and merge keys', () => {
    const parsed = parseManifests(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web, labels: &labels {app: web, tier: "*"}}',
        'spec:',
        '  selector: {matchLabels: *labels}',
        '  template:',
        '    metadata: {labels: {<<: *labels, extra: "yes"}}',
      ].join('\n'),
      'anchors.yaml',
    );
    expect(parsed.problems).toEqual([]);
    const spec = parsed.manifests[0]?.object['spec'] as { selector: unknown; template: { metadata: { labels: unknown } } };
    expect(spec.selector).toEqual({ matchLabels: { app: 'web', tier: '*' } });
    expect(spec.template.metadata.labels).toEqual({ app: 'web', tier: '*', extra: 'yes' });
  });

  it('fails with desired_source_failed when the directory does not exist', async () => {
    const missing = join(tmpdir(), `stopgap-no-such-dir-${process.pid}`);
    await expect(loadManifestDirectory(missing)).rejects.toMatchObject({ code: 'desired_source_failed' });
    await expect(openDesiredSource({ type: 'directory', path: missing, defaultNamespace: 'default' })).rejects.toBeInstanceOf(
      StopgapError,
    );
  });

  it('reads a relative directory from the config file directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stopgap-src-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'cm.json'), JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }));
    const source = await openDesiredSource({ type: 'directory', path: '.', defaultNamespace: 'default' }, dir);
    expect(source.declared('', 'ConfigMap', true).map((d) => d.ref.namespace)).toEqual(['default']);
  });
});

describe('last-applied source', () => {
  it('takes desired state from the last-applied annotation of the live object', () => {
    const applied = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 3 } };
    const object = live('apps/v1', 'Deployment', 'web', 'shop', { spec: { replicas: 5 } });
    (object['metadata'] as Record<string, unknown>)['annotations'] = { [LAST_APPLIED_ANNOTATION]: JSON.stringify(applied) };
    const found = lastAppliedSource().lookup(object, ref(object));
    expect(found).toEqual({ status: 'declared', desired: applied, live: object, threeWay: false });
  });

  it('treats an object never applied with kubectl as undeclared', () => {
    const object = live('v1', 'ConfigMap', 'made-by-helm', 'shop');
    expect(lastAppliedSource().lookup(object, ref(object))).toEqual({ status: 'undeclared' });
    expect(lastAppliedSource().declared('', 'ConfigMap', true)).toEqual([]);
  });

  it('reports an unreadable annotation for that object only', () => {
    const object = live('v1', 'ConfigMap', 'mangled', 'shop');
    (object['metadata'] as Record<string, unknown>)['annotations'] = { [LAST_APPLIED_ANNOTATION]: '{"apiVersion": "v1", ' };
    const found = lastAppliedSource().lookup(object, ref(object));
    expect(found.status).toBe('unreadable');
    if (found.status === 'unreadable') {
      expect(formatProblem(found.problem)).toBe(
        'ConfigMap/mangled -n shop: unreadable kubectl.kubernetes.io/last-applied-configuration: not valid JSON',
      );
    }
  });
});

describe('managers source', () => {
  it('declares only the identity and drops last-applied from the live side', () => {
    const object = live('apps/v1', 'Deployment', 'web', 'shop', { spec: { replicas: 5 } });
    (object['metadata'] as Record<string, unknown>)['annotations'] = { [LAST_APPLIED_ANNOTATION]: '{}', team: 'payments' };
    const found = managersSource().lookup(object, ref(object));
    expect(found.status).toBe('declared');
    if (found.status !== 'declared') return;
    expect(found.desired).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } });
    expect((found.live['metadata'] as Record<string, unknown>)['annotations']).toEqual({ team: 'payments' });
    expect(found.live['spec']).toEqual({ replicas: 5 });
    // The original object is left as it was.
    expect((object['metadata'] as Record<string, Record<string, unknown>>)['annotations']?.[LAST_APPLIED_ANNOTATION]).toBe('{}');
  });
});
