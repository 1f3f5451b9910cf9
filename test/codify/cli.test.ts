import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireBuiltCli, runBuiltCli } from '../support/built-cli.js';
import { runCliCaptured } from '../support/cli.js';
import { gitApply, gitApplyCheck, gitRepo, readText, removeRepo } from './git.js';

const GITOPS = new URL('../fixtures/codify/gitops/', import.meta.url).pathname;

let dir: string;
let repo: string;
beforeAll(() => requireBuiltCli());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stopgap-codify-cli-'));
  repo = gitRepo({});
  cpSync(GITOPS, repo, { recursive: true });
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  removeRepo(repo);
});

/** `kubectl get deploy,svc -n shop -o yaml --show-managed-fields` after an incident: scaled, rolled back, DEBUG set by hand. */
const LIVE = `apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: payments-api
    namespace: shop
    uid: 6f1c
    resourceVersion: "48213"
    labels:
      app: payments-api
    managedFields:
    - manager: kubectl-set
      operation: Update
      apiVersion: apps/v1
      time: "2026-11-30T03:12:00Z"
      fieldsType: FieldsV1
      fieldsV1:
        f:spec:
          f:template:
            f:spec:
              f:containers:
                k:{"name":"api"}:
                  f:env:
                    .: {}
                    k:{"name":"DEBUG"}:
                      .: {}
                      f:name: {}
                      f:value: {}
  spec:
    replicas: 10
    selector:
      matchLabels:
        app: payments-api
    template:
      metadata:
        labels:
          app: payments-api
      spec:
        containers:
        - name: api
          image: registry.example.com/shop/payments-api:1.7.4
          env:
          - name: DEBUG
            value: "true"
          ports:
          - containerPort: 8080
            protocol: TCP
          resources:
            limits:
              cpu: 500m
              memory: 512Mi
        - name: proxy
          image: envoyproxy/envoy:v1.29.1
          ports:
          - containerPort: 9901
            protocol: TCP
- apiVersion: v1
  kind: Service
  metadata:
    name: payments-api
    namespace: shop
  spec:
    selector:
      app: payments-api
    ports:
    - port: 80
      targetPort: 8080
      protocol: TCP
`;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('stopgap codify --desired DIR --live FILE', () => {
  it('writes the drift of kubectl get output (a List) into the manifests, a patch git applies, and exits 1', async () => {
    const r = await runCliCaptured(['codify', '--desired', repo, '--live', file('live.yaml', LIVE)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`stopgap codify: 3 fields written into apps/shop.yaml; apply it with: cd ${repo} && git apply PATCH\n`);
    expect(gitApplyCheck(repo, r.stdout)).toEqual({ ok: true, stderr: '' });
    gitApply(repo, r.stdout);
    const after = readText(repo, 'apps/shop.yaml');
    expect(after).toContain('  replicas: 10  # baseline; scale by PR, not by hand\n');
    expect(after).toContain('          image: "registry.example.com/shop/payments-api:1.7.4"  # PR #412\n');
    expect(after).toContain('          env:\n            - name: DEBUG\n              value: "true"\n');
    // Codified: the same live objects now match the manifests.
    const again = await runCliCaptured(['codify', '--desired', repo, '--live', join(dir, 'live.yaml')]);
    expect(again).toMatchObject({ code: 0, stdout: '', stderr: 'nothing to codify: the live objects match the manifests\n' });
  });

  it('limits the patch to --path fields', async () => {
    const r = await runCliCaptured(['codify', '--desired', repo, '--live', file('live.yaml', LIVE), '--path', '/spec/replicas']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('+  replicas: 10');
    expect(r.stdout).not.toContain('image');
    const star = await runCliCaptured(['codify', '--desired', repo, '--live', join(dir, 'live.yaml'), '--path', '/spec/template/spec/containers/*/image']);
    expect(star.stdout).toContain('payments-api:1.7.4');
    expect(star.stdout).not.toContain('replicas');
  });

  it('writes the patch to --out', async () => {
    const out = join(dir, 'fix.patch');
    const r = await runCliCaptured(['codify', '--desired', repo, '--live', file('live.yaml', LIVE), '--out', out]);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(gitApplyCheck(repo, readText(dir, 'fix.patch')).ok).toBe(true);
  });

  it('exits 2 explaining why, when no manifest declares the live object', async () => {
    const node = file('node.yaml', 'apiVersion: v1\nkind: Node\nmetadata:\n  name: ip-10-0-1-7\nspec:\n  unschedulable: true\n');
    const r = await runCliCaptured(['codify', '--desired', repo, '--live', node]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(`not compared: no manifest in ${repo} declares Node/ip-10-0-1-7\nno patch possible: no manifest in ${repo} declares the live object\n`);
  });

  it('names the manifest files it could not read when an object looks undeclared', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'stopgap-codify-broken-'));
    try {
      writeFileSync(join(broken, 'node.yaml'), 'apiVersion: v1\nkind: Node\nmetadata:\n  name: ip-10-0-1-7\n  name: twice\n');
      const node = file('node.yaml', 'apiVersion: v1\nkind: Node\nmetadata:\n  name: ip-10-0-1-7\nspec:\n  unschedulable: true\n');
      const r = await runCliCaptured(['codify', '--desired', broken, '--live', node]);
      expect(r).toMatchObject({ code: 2, stdout: '' });
      expect(r.stderr).toMatch(/could not read a manifest \(it may declare one of them\): \S*node\.yaml:\d+: /);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('refuses bad input with one line, never a stack trace', async () => {
    const live = file('live.yaml', LIVE);
    const cases: [string[], string][] = [
      [['codify', '--desired', join(dir, 'nope'), '--live', live], `stopgap codify: --desired ${join(dir, 'nope')}: no such directory\n`],
      [['codify', '--desired', live, '--live', live], `stopgap codify: --desired ${live} is a file; give the manifests directory\n`],
      [['codify', '--desired', repo, '--live', join(dir, 'absent.yaml')], `stopgap codify: cannot read --live ${join(dir, 'absent.yaml')}: no such file\n`],
      [['codify', '--desired', repo, '--live', file('bad.yaml', 'kind: [unclosed\n')], `stopgap codify: --live ${join(dir, 'bad.yaml')} is not valid YAML or JSON (line 2): Flow sequence in block collection must be sufficiently indented and end with a ]\n`],
      [['codify', '--desired', repo, '--live', file('scalar.yaml', 'just text\n')], `stopgap codify: --live ${join(dir, 'scalar.yaml')}: the document at line 1 is not a Kubernetes object\n`],
      [['codify', '--desired', repo, '--live', file('empty.yaml', '# nothing\n')], `stopgap codify: --live ${join(dir, 'empty.yaml')} holds no object\n`],
      [['codify', '--desired', repo], "stopgap codify: missing --live FILE. Run 'stopgap codify --help'.\n"],
      [['codify'], "stopgap codify: missing a change (SG-n), or --desired DIR and --live FILE. Run 'stopgap codify --help'.\n"],
      [['codify', 'SG-1', '--desired', repo], "stopgap codify: give either a change (SG-n) or --desired DIR --live FILE, not both. Run 'stopgap codify --help'.\n"],
      [['codify', 'twelve'], "stopgap codify: 'twelve' is not a change key like SG-12. Run 'stopgap codify --help'.\n"],
      [['codify', '--desired', repo, '--live', live, '--path', 'spec/replicas'], 'stopgap codify: --path takes a JSON pointer starting with "/", got "spec/replicas". Run \'stopgap codify --help\'.\n'],
    ];
    for (const [argv, stderr] of cases) {
      const r = await runCliCaptured(argv);
      expect({ argv, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ argv, code: 2, stdout: '', stderr });
    }
  });
});

describe('stopgap codify, the built command', () => {
  it('reads live objects from standard input and exits 1 with the patch on stdout', () => {
    const r = runBuiltCli(['codify', '--desired', repo, '--live', '-'], { input: LIVE });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^diff --git a\/apps\/shop.yaml b\/apps\/shop.yaml\n/);
    expect(gitApplyCheck(repo, r.stdout).ok).toBe(true);
  });

  it('is listed in the help and has its own', () => {
    const all = runBuiltCli(['--help']);
    expect(all.stdout).toContain('codify     stopgap codify SG-n [--out FILE]');
    const own = runBuiltCli(['help', 'codify']);
    expect(own.status).toBe(0);
    expect(own.stdout).toContain('Exit status: 0 nothing to codify, 1 patch written, 2 no patch possible (explained) or an error.');
  });
});
