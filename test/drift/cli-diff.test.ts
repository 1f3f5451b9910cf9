import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runDiff } from '../../src/commands/diff.js';
import type { CliIo } from '../../src/commands/io.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/k8s/${name}`, import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'stopgap-diff-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tempFile(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], opts: { tty?: boolean; env?: NodeJS.ProcessEnv; stdin?: string; stdinTty?: boolean } = {}): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  if (opts.tty) Object.assign(stdout, { isTTY: true });
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const io: CliIo = { stdout, stderr, env: opts.env ?? {} };
  if (opts.stdin !== undefined) io.stdin = Readable.from([Buffer.from(opts.stdin)]);
  if (opts.stdinTty) io.stdin = Object.assign(new PassThrough(), { isTTY: true });
  const code = await runDiff(argv, io);
  return { code, stdout: out, stderr: err };
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);
const STACK = /\n\s+at |Error:/;

describe('stopgap diff', () => {
  it('exits 0 and says "in sync" for a default-filled live object', async () => {
    const r = await run(['--desired', fixture('deploy-desired.yaml'), '--live', fixture('deploy-live-in-sync.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Deployment shop/payments-api: in sync');
    expect(r.stderr).toBe('');
  });

  it('exits 1 and prints each drifted field with desired → live, manager and time', async () => {
    const r = await run(['--desired', fixture('deploy-desired.yaml'), '--live', fixture('deploy-live-scaled.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('1 difference');
    expect(r.stdout).toContain('~ /spec/replicas');
    expect(r.stdout).toContain('3 → 6');
    expect(r.stdout).toMatch(/written by kubectl \(Update, subresource scale, manual\) at 2025-03-04T02:47:19Z/);
    expect(r.stdout).not.toMatch(ANSI);
  });

  it('marks extra fields with + and what they hold', async () => {
    const r = await run(['--desired', fixture('deploy-desired.yaml'), '--live', fixture('deploy-live-set-env.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('+ /spec/template/spec/containers/name=api/env/name=CHECKOUT_V2_ENABLED (only in live)');
    expect(r.stdout).toContain('(absent) → {"name":"CHECKOUT_V2_ENABLED","value":"false"}');
    expect(r.stdout).toContain('kubectl-set');
  });

  it('colours only for a terminal without NO_COLOR and without --no-color', async () => {
    const args = ['--desired', fixture('deploy-desired.yaml'), '--live', fixture('deploy-live-scaled.yaml')];
    expect((await run(args, { tty: true })).stdout).toMatch(ANSI);
    expect((await run(args, { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toMatch(ANSI);
    expect((await run([...args, '--no-color'], { tty: true })).stdout).not.toMatch(ANSI);
  });

  it('--json prints exactly inSync and differences with path, kind, desired, live, manager, time', async () => {
    const r = await run(['--desired', fixture('deploy-desired.yaml'), '--live', fixture('deploy-live-set-image.yaml'), '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['inSync', 'differences']);
    expect(out).toEqual({
      inSync: false,
      differences: [
        {
          path: '/spec/template/spec/containers/name=api/image',
          kind: 'changed',
          desired: 'registry.example.com/shop/payments-api:v2.4.1',
          live: 'registry.example.com/shop/payments-api:v2.4.0',
          manager: 'kubectl-set',
          time: '2025-03-04T02:52:03Z',
        },
      ],
    });
  });

  it('--json for a missing field has null live and no manager', async () => {
    const desired = tempFile('cm-desired.json', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1', b: '2' } }));
    const live = tempFile('cm-live.json', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } }));
    const r = await run(['--desired', desired, '--live', live, '--json']);
    expect(JSON.parse(r.stdout)).toEqual({ inSync: false, differences: [{ path: '/data/b', kind: 'missing', desired: '2', live: null, manager: null, time: null }] });
  });

  it('--json in sync prints an empty list and exits 0', async () => {
    const r = await run(['--json', '--desired', fixture('deploy-desired.yaml'), '--live', fixture('deploy-live-hpa.yaml')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ inSync: true, differences: [] });
  });

  it('--trust-manager replaces the trusted list: trusting kubectl hides the scale, dropping kube-controller-manager shows the HPA', async () => {
    const scaled = await run(['--desired', fixture('deploy-desired.yaml'), '--live', fixture('deploy-live-scaled.yaml'), '--trust-manager', 'kubectl']);
    expect(scaled.code).toBe(0);
    const hpa = await run(['--desired', fixture('deploy-desired.yaml'), '--live', fixture('deploy-live-hpa.yaml'), '--trust-manager=argocd*', '--json']);
    expect(hpa.code).toBe(1);
    expect(JSON.parse(hpa.stdout)).toMatchObject({ differences: [{ path: '/spec/replicas', manager: 'kube-controller-manager' }] });
  });

  it('--trust-manager is repeatable: every manager given is trusted', async () => {
    const live = fixture('deploy-live-hpa.yaml');
    const both = await run(['--desired', fixture('deploy-desired.yaml'), '--live', live, '--trust-manager', 'argocd*', '--trust-manager=kube-controller-manager']);
    expect(both.code).toBe(0);
  });

  it('--ignore takes JSON pointers, repeatable', async () => {
    const r = await run([
      '--desired', fixture('deploy-desired.yaml'),
      '--live', fixture('deploy-live-scaled.yaml'),
      '--ignore', '/metadata/labels',
      '--ignore', '/spec/replicas',
    ]);
    expect(r.code).toBe(0);
  });

  it('never prints Secret values, only fingerprints', async () => {
    const r = await run(['--desired', fixture('secret-desired.yaml'), '--live', fixture('secret-live-changed.yaml')]);
    const j = await run(['--json', '--desired', fixture('secret-desired.yaml'), '--live', fixture('secret-live-changed.yaml')]);
    expect(r.code).toBe(1);
    expect(j.code).toBe(1);
    for (const secret of ['Tr0ub4dor&3-rotated-during-INC-4821', 'correct-horse-battery-staple-42']) {
      for (const text of [r.stdout, j.stdout]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(Buffer.from(secret).toString('base64'));
      }
    }
    expect(r.stdout).toMatch(/"hmac-sha256:[0-9a-f]{16}" → "hmac-sha256:[0-9a-f]{16}"/);
    expect(JSON.parse(j.stdout)).toMatchObject({ differences: [{ path: '/data/password', manager: 'kubectl-edit' }] });
  });

  it('reads JSON files as well as YAML', async () => {
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
    const a = tempFile('a.json', JSON.stringify(obj));
    const b = tempFile('b.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: "1"\n');
    expect((await run(['--desired', a, '--live', b])).code).toBe(0);
  });

  it('reads YAML as Kubernetes does: hostNetwork: yes and defaultMode: 0644 are true and 420, not drift', async () => {
    const desired = tempFile(
      'yaml11-desired.yaml',
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: p, namespace: shop}',
        'spec:',
        '  hostNetwork: yes',
        '  volumes:',
        '    - name: config',
        '      configMap: {name: app-config, defaultMode: 0644}',
        '',
      ].join('\n'),
    );
    const pod = (hostNetwork: unknown, defaultMode: unknown) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'shop' },
        spec: { hostNetwork, volumes: [{ name: 'config', configMap: { name: 'app-config', defaultMode } }] },
      });
    const inSync = await run(['--desired', desired, '--live', tempFile('yaml11-live.json', pod(true, 420)), '--json']);
    expect(inSync.stderr).toBe('');
    expect(JSON.parse(inSync.stdout)).toEqual({ inSync: true, differences: [] });
    expect(inSync.code).toBe(0);
    // The same file against the values a YAML 1.2 reader would see is drift on exactly those fields.
    const yaml12 = await run(['--desired', desired, '--live', tempFile('yaml12-live.json', pod('yes', 644)), '--json']);
    expect(yaml12.code).toBe(1);
    expect(JSON.parse(yaml12.stdout)).toMatchObject({
      differences: [
        { path: '/spec/hostNetwork', desired: true, live: 'yes' },
        { path: '/spec/volumes/name=config/configMap/defaultMode', desired: 420, live: 644 },
      ],
    });
  });

  it('--live - reads the live object from standard input (kubectl get -o json | stopgap diff)', async () => {
    const live = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } });
    const desired = tempFile('stdin-desired.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: "2"\n');
    const r = await run(['--desired', desired, '--live', '-', '--json'], { stdin: live });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ differences: [{ path: '/data/a', desired: '2', live: '1' }] });
  });

  it('--desired - reads YAML from standard input, as the scanner reads it', async () => {
    const r = await run(['--desired', '-', '--live', fixture('deploy-live-in-sync.yaml')], {
      stdin: readFileSync(fixture('deploy-desired.yaml'), 'utf8'),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Deployment shop/payments-api: in sync');
  });

  it('names standard input and the line when what it holds is broken', async () => {
    const r = await run(['--desired', fixture('configmap-desired.yaml'), '--live', '-'], { stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^stopgap diff: --live \(stdin\) is not valid YAML or JSON \(line \d+\)/);
  });

  it('--help prints usage and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--trust-manager');
  });
});

describe('stopgap diff never prints a Secret value, whatever the two files hold', () => {
  const RAW = 'S3cret-hunter2-INC-9001';
  const B64 = Buffer.from(RAW).toString('base64');
  const OTHER = 'other-S3cret-value-77';
  const OTHER_B64 = Buffer.from(OTHER).toString('base64');
  const yamlOf = (kind: string, name: string, body: string, apiVersion = 'v1', namespace = 'shop') =>
    `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n${body}`;
  const secretYaml = (kind = 'Secret', value = B64) => yamlOf(kind, 's', `data:\n  password: ${value}\n`);
  const listOf = (...items: string[]) =>
    `apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: ""\nitems:\n${items.map((i) => `- ${i.trimEnd().split('\n').join('\n  ')}\n`).join('')}`;

  async function both(desired: string, live: string): Promise<Run[]> {
    return [await run(['--desired', desired, '--live', live]), await run(['--desired', desired, '--live', live, '--json'])];
  }
  function expectClean(runs: Run[]): void {
    for (const r of runs) {
      for (const text of [r.stdout, r.stderr]) {
        for (const s of [RAW, B64, OTHER, OTHER_B64]) expect(text).not.toContain(s);
      }
    }
  }

  it('desired ConfigMap s, live Secret s: exit 2, "compare the same object", no value', async () => {
    const cm = tempFile('leak-cm.yaml', yamlOf('ConfigMap', 's', `data:\n  password: ${RAW}\n`));
    const secret = tempFile('leak-secret.yaml', secretYaml());
    const runs = await both(cm, secret);
    for (const r of runs) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('desired is ConfigMap shop/s but live is Secret shop/s: compare the same object');
    }
    expectClean(runs);
    expectClean(await both(secret, cm));
  });

  it('a List holding one Secret is unwrapped and redacted', async () => {
    const desired = tempFile('leak-list-desired.yaml', listOf(secretYaml('Secret', OTHER_B64)));
    const live = tempFile('leak-list-live.yaml', listOf(secretYaml()));
    const runs = await both(desired, live);
    for (const r of runs) expect(r.code).toBe(1);
    expect(runs[0]?.stdout).toContain('Secret shop/s: 1 difference');
    expect(runs[0]?.stdout).toContain('~ /data/password');
    expect(runs[0]?.stdout).toMatch(/"hmac-sha256:[0-9a-f]{16}" → "hmac-sha256:[0-9a-f]{16}"/);
    expect(JSON.parse(runs[1]?.stdout ?? '')).toMatchObject({ differences: [{ path: '/data/password' }] });
    expectClean(runs);
    // The same List against the bare object is in sync.
    const bare = tempFile('leak-bare.yaml', secretYaml());
    expect((await run(['--desired', bare, '--live', live])).code).toBe(0);
  });

  it('a SecretList whose item has no kind or apiVersion (the raw API form) is unwrapped as a Secret', async () => {
    const live = tempFile('leak-secretlist.json', JSON.stringify({ apiVersion: 'v1', kind: 'SecretList', items: [{ metadata: { name: 's', namespace: 'shop' }, data: { password: B64 } }] }));
    const desired = tempFile('leak-secretlist-desired.yaml', secretYaml('Secret', OTHER_B64));
    const runs = await both(desired, live);
    for (const r of runs) expect(r.code).toBe(1);
    expect(JSON.parse(runs[1]?.stdout ?? '')).toMatchObject({ differences: [{ path: '/data/password' }] });
    expectClean(runs);
  });

  it('a List of two objects, or of none, is rejected with exit 2', async () => {
    const two = tempFile('leak-list-two.yaml', listOf(secretYaml(), yamlOf('ConfigMap', 'c', 'data: {}\n')));
    const none = tempFile('leak-list-none.yaml', 'apiVersion: v1\nkind: List\nitems: []\n');
    const secret = tempFile('leak-secret2.yaml', secretYaml('Secret', OTHER_B64));
    const a = await both(two, secret);
    for (const r of a) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--desired .*leak-list-two\.yaml holds a List of 2 objects; give one object per file/);
    }
    expectClean(a);
    const b = await both(secret, none);
    for (const r of b) expect(r.stderr).toMatch(/--live .*leak-list-none\.yaml holds an empty List/);
    expectClean(b);
  });

  it('a lower-case kind: secret is redacted (and is not "another object")', async () => {
    const desired = tempFile('leak-lower.yaml', secretYaml('secret', OTHER_B64));
    const live = tempFile('leak-upper.yaml', secretYaml());
    const runs = await both(desired, live);
    for (const r of runs) expect(r.code).toBe(1);
    expect(runs[0]?.stdout).toContain('/data/password');
    expectClean(runs);
    expectClean(await both(live, tempFile('leak-lower-live.yaml', secretYaml('secret', OTHER_B64))));
  });

  it('a name, namespace or API group that differs is another object: exit 2', async () => {
    const base = tempFile('id-base.yaml', yamlOf('ConfigMap', 'a', 'data: {}\n'));
    const cases: Array<[string, RegExp]> = [
      [yamlOf('ConfigMap', 'b', 'data: {}\n'), /desired is ConfigMap shop\/a but live is ConfigMap shop\/b: compare the same object/],
      [yamlOf('ConfigMap', 'a', 'data: {}\n', 'v1', 'other'), /desired is ConfigMap shop\/a but live is ConfigMap other\/a: compare the same object/],
      [yamlOf('ConfigMap', 'a', 'data: {}\n', 'example.com/v1'), /desired is ConfigMap shop\/a \(v1\) but live is ConfigMap shop\/a \(example\.com\/v1\): compare the same object/],
    ];
    for (const [text, message] of cases) {
      const r = await run(['--desired', base, '--live', tempFile('id-other.yaml', text)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    // Another version of the same group, and a desired manifest without a namespace, are the same object.
    const noNamespace = tempFile('id-nons.yaml', 'apiVersion: apps/v1beta2\nkind: Deployment\nmetadata:\n  name: payments-api\nspec:\n  replicas: 3\n');
    expect((await run(['--desired', noNamespace, '--live', fixture('deploy-live-scaled.yaml')])).code).toBe(1);
  });
});

/** Exit 2, nothing on stdout, and one line on stderr that matches both `message` and `shape`; no stack trace. */
async function expectOneLineError(argv: string[], message: RegExp, shape: RegExp): Promise<void> {
  const r = await run(argv);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(lines[0]).toMatch(shape);
  expect(r.stderr).not.toMatch(STACK);
}

describe('stopgap diff command-line errors: exit 2, one line naming the problem and pointing to --help', () => {
  const expectUsageError = (argv: string[], message: RegExp) => expectOneLineError(argv, message, /^stopgap diff: .*\. Run 'stopgap diff --help'\.$/);

  it('no arguments', async () => {
    await expectUsageError([], /^stopgap diff: missing --desired FILE and --live FILE\./);
  });

  it('missing --live', async () => {
    await expectUsageError(['--desired', fixture('deploy-desired.yaml')], /: missing --live FILE\./);
  });

  it('an option without its value', async () => {
    await expectUsageError(['--desired', fixture('deploy-desired.yaml'), '--live'], /: --live needs a value\./);
    await expectUsageError(['--desired', fixture('deploy-desired.yaml'), '--live', '--json'], /: --live needs a value\./);
    await expectUsageError(['--desired=', '--live', 'b'], /: --desired needs a value\./);
  });

  it('a value that starts with a dash is written with =', async () => {
    await expectUsageError(['--desired', '-a.yaml', '--live', 'b'], /: --desired needs a value; for one that starts with '-', write --desired=-a\.yaml\./);
  });

  it('a value given to a flag', async () => {
    await expectUsageError(['--desired', 'a', '--live', 'b', '--json=yes'], /: --json takes no value\./);
  });

  it('an unknown option', async () => {
    await expectUsageError(['--desired', 'a', '--live', 'b', '--colour'], /^stopgap diff: unknown option '--colour'\./);
    await expectUsageError(['--desired', 'a', '--live', 'b', '-x'], /^stopgap diff: unknown option '-x'\./);
  });

  it('a stray argument', async () => {
    await expectUsageError(['--desired', 'a', '--live', 'b', 'c.yaml'], /^stopgap diff: unexpected argument 'c\.yaml'\./);
    await expectUsageError(['--desired', 'a', '--live', 'b', '--', '--json'], /^stopgap diff: unexpected argument '--json'\./);
  });

  it('both --desired and --live as standard input', async () => {
    await expectUsageError(['--desired', '-', '--live', '-'], /only one of --desired and --live can be - \(standard input\)/);
  });

  it('an --ignore that is not a JSON pointer', async () => {
    await expectUsageError(['--desired', 'a', '--live', 'b', '--ignore', 'spec.replicas'], /--ignore takes a JSON pointer starting with "\/"/);
  });

  it('--help wins over a malformed command line', async () => {
    for (const argv of [['--desired', '--help'], ['--colour', '-h'], ['stray', '--help']]) {
      const r = await run(argv);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(/^Usage: stopgap diff\b/);
    }
  });
});

describe('stopgap diff input errors: exit 2, one clear line with an example, no stack trace', () => {
  const expectUsageError = (argv: string[], message: RegExp) => expectOneLineError(argv, message, /\. Usage: stopgap diff --desired deploy\.yaml --live live\.yaml/);

  it('- with nothing piped in (standard input is a terminal): an error, not a wait', async () => {
    const r = run(['--desired', fixture('configmap-desired.yaml'), '--live', '-'], { stdinTty: true });
    await expect(r).resolves.toMatchObject({ code: 2 });
    expect((await r).stderr).toMatch(/--live - reads standard input, which is a terminal; pipe the object in/);
  });

  it('a file that does not exist', async () => {
    await expectUsageError(['--desired', join(tmp, 'nope.yaml'), '--live', fixture('deploy-live-in-sync.yaml')], /cannot read --desired .*nope\.yaml: no such file/);
  });

  it('a file that is not YAML or JSON, naming the line', async () => {
    const bad = tempFile('bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n');
    await expectUsageError(['--desired', fixture('configmap-desired.yaml'), '--live', bad], /--live .*bad\.yaml is not valid YAML or JSON \(line \d+\)/);
  });

  it('a !!binary value is a parse error naming the line, not an unexpected error', async () => {
    const bin = tempFile('binary.yaml', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: !!binary aHVudGVyMg==\n');
    await expectUsageError(['--desired', fixture('secret-desired.yaml'), '--live', bin], /--live .*binary\.yaml is not valid YAML or JSON \(line 6\): .*!!binary/);
    const set = tempFile('set.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: !!set\n  a: null\n');
    await expectUsageError(['--desired', set, '--live', fixture('configmap-live-edited.yaml')], /--desired .*set\.yaml is not valid YAML or JSON \(line 5\)/);
  });

  it('too many YAML aliases is a parse error, not an unexpected error', async () => {
    const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: c', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const bomb = tempFile('aliases.yaml', `${lines.join('\n')}\n`);
    await expectUsageError(['--desired', bomb, '--live', fixture('configmap-live-edited.yaml')], /--desired .*aliases\.yaml is not valid YAML or JSON( \(line \d+\))?: too many aliases/);
  });

  it('a file holding two objects', async () => {
    const two = tempFile('two.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n');
    await expectUsageError(['--desired', two, '--live', fixture('configmap-live-edited.yaml')], /holds 2 objects; give one object per file/);
  });

  it('a document that is not a Kubernetes object', async () => {
    const list = tempFile('list.yaml', '- a\n- b\n');
    await expectUsageError(['--desired', list, '--live', fixture('configmap-live-edited.yaml')], /is not a Kubernetes object/);
    const nokind = tempFile('nokind.json', '{"apiVersion": "v1", "metadata": {"name": "x"}}');
    await expectUsageError(['--desired', nokind, '--live', fixture('configmap-live-edited.yaml')], /is not a Kubernetes object \(kind: /);
  });

  it('an empty file', async () => {
    const empty = tempFile('empty.yaml', '# nothing here\n');
    await expectUsageError(['--desired', empty, '--live', fixture('configmap-live-edited.yaml')], /holds no object/);
  });
});
