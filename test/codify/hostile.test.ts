/**
 * Codify against manifests that try to trip it: file names git and patch read differently, symbolic
 * links, and Secrets whose values the manifests hold in clear.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codify } from '../../src/codify/codify.js';
import type { FieldToCodify, ObjectToCodify } from '../../src/codify/types.js';
import type { ObjectRef } from '../../src/drift/types.js';
import { runCliCaptured } from '../support/cli.js';
import { gitApply, gitApplyCheck, gitRepo, readText, removeRepo } from './git.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeRepo(d);
});

function repo(files: Record<string, string>): string {
  const dir = gitRepo(files);
  dirs.push(dir);
  return dir;
}

function git(cwd: string, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('git', ['-c', 'core.autocrlf=false', '-c', 'core.quotepath=false', '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    input,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'], HOME: cwd, GIT_CONFIG_NOSYSTEM: '1' },
  });
}

const configMap = (name: string): ObjectRef => ({ group: '', version: 'v1', kind: 'ConfigMap', namespace: 'shop', name });
const secret = (name: string): ObjectRef => ({ group: '', version: 'v1', kind: 'Secret', namespace: 'shop', name });
const changed = (path: string, desired: unknown, live: unknown, sensitive = false): FieldToCodify => ({ path, kind: 'changed', desired, live, sensitive });
const object = (ref: ObjectRef, ...fields: FieldToCodify[]): ObjectToCodify => ({ ref, source: 'directory', fields });
const cm = (name: string, value = 'old'): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: shop\ndata:\n  mode: ${value}\n`;

describe('codify: file names', () => {
  it('writes the --- and +++ lines of a name with a space as git does (a tab after it), so patch -p1 finds the file too', async () => {
    const names = ['my app.yaml', 'sub dir/x y.yaml', 'plain.yaml'];
    const dir = repo(Object.fromEntries(names.map((n, i) => [n, cm(`c${i}`)])));
    const result = await codify({ root: dir, objects: names.map((_, i) => object(configMap(`c${i}`), changed('/data/mode', 'old', 'new'))) });
    expect(result.written).toHaveLength(3);
    // The oracle: git's own diff of the same change, headers and all.
    expect(git(dir, ['add', '-A']).status).toBe(0);
    gitApply(dir, result.patch);
    const gitDiff = git(dir, ['diff']).stdout;
    const headers = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('--- ') || l.startsWith('+++ '));
    expect(headers(result.patch)).toEqual(headers(gitDiff));
    expect(result.patch).toContain('--- a/my app.yaml\t\n+++ b/my app.yaml\t\n');
    expect(result.patch).toContain('--- a/plain.yaml\n+++ b/plain.yaml\n');
  });
});

describe('codify: symbolic links', () => {
  it('patches the file a link under the root points to, not the link git would keep as a link', async () => {
    // The link is read first (a before z): its declaration is the one the directory source uses.
    const dir = repo({ 'z-base/cm.yaml': cm('shared') });
    mkdirSync(join(dir, 'a-prod'));
    symlinkSync('../z-base/cm.yaml', join(dir, 'a-prod/cm.yaml'));
    const result = await codify({ root: dir, objects: [object(configMap('shared'), changed('/data/mode', 'old', 'new'))] });
    expect(result.files).toEqual(['z-base/cm.yaml']);
    expect(result.written).toEqual([expect.objectContaining({ file: 'z-base/cm.yaml', line: 7 })]);
    expect(git(dir, ['add', '-A']).status).toBe(0);
    expect(gitApplyCheck(dir, result.patch)).toEqual({ ok: true, stderr: '' });
    gitApply(dir, result.patch);
    expect(readText(dir, 'z-base/cm.yaml')).toContain('  mode: new\n');
  });

  it('writes nothing through a link out of the manifests directory, and says why', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'stopgap-codify-outside-'));
    dirs.push(outside);
    writeFileSync(join(outside, 'cm.yaml'), cm('elsewhere'));
    const dir = repo({});
    symlinkSync(join(outside, 'cm.yaml'), join(dir, 'cm.yaml'));
    const result = await codify({ root: dir, objects: [object(configMap('elsewhere'), changed('/data/mode', 'old', 'new'))] });
    expect(result.patch).toBe('');
    expect(result.notWritten).toEqual([expect.objectContaining({ path: '/data/mode', reason: expect.stringMatching(/^cm\.yaml is a symbolic link to a file outside the manifests directory: .*set data\.mode to/) })]);
  });
});

describe('codify: secret values the manifests hold in clear', () => {
  const SECRET_YAML = (extra = ''): string =>
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\n${extra}type: Opaque\ndata:\n  user: Z2l0LXVzZXI=\n  password: Z2l0LXBhc3M=\nstringData:\n  token: |\n    git-token\n`;

  it('names the file when the patch shows a Secret value from git, as a line it replaces or as context', async () => {
    const dir = repo({ 's.yaml': SECRET_YAML('  labels:\n    tier: db\n'), 'cm.yaml': cm('app') });
    const replaced = await codify({ root: dir, objects: [object(secret('db'), changed('/data/password', 'hmac-sha256:aa', 'hmac-sha256:bb', true))] });
    expect(replaced.patch).toContain('-  password: Z2l0LXBhc3M=\n');
    expect(replaced.secretsShown).toEqual(['s.yaml']);
    // A label two lines above `data:` still brings a value along as context.
    const context = await codify({ root: dir, objects: [object(secret('db'), changed('/metadata/labels/tier', 'db', 'cache')), object(configMap('app'), changed('/data/mode', 'old', 'new'))] });
    expect(context.patch).toContain(' type: Opaque\n data:\n   user: Z2l0LXVzZXI=\n');
    expect(context.secretsShown).toEqual(['s.yaml']);
  });

  it('names no file when the patch only adds a placeholder and shows no value', async () => {
    const dir = repo({ 's.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\n  labels:\n    tier: db\n    team: shop\n    owner: payments\ntype: Opaque\ndata: {}\n', 'cm.yaml': cm('app') });
    const result = await codify({
      root: dir,
      objects: [object(secret('db'), { path: '/data/password', kind: 'extra', desired: undefined, live: 'hmac-sha256:bb', sensitive: true }), object(configMap('app'), changed('/data/mode', 'old', 'new'))],
    });
    expect(result.patch).toContain('+data: {password: "<set through your secret mechanism: sealed-secrets / external-secrets>"}\n');
    expect(result.secretsShown).toEqual([]);
  });

  it('names the file when a sensitive field of another kind has its old value replaced', async () => {
    const dir = repo({ 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: shop\ndata:\n  a: "1"\n  b: "2"\n  c: "3"\n  d: "4"\n  dsn: postgres://app:git-pass@db/app\n' });
    const result = await codify({ root: dir, objects: [object(configMap('app'), changed('/data/dsn', 'hmac-sha256:aa', 'hmac-sha256:bb', true))] });
    expect(result.secretsShown).toEqual(['cm.yaml']);
    const plain = await codify({ root: dir, objects: [object(configMap('app'), changed('/data/a', '1', '9'))] });
    expect(plain.secretsShown).toEqual([]);
  });

  it('names the file when context shows a value at a configured sensitive pointer of any kind', async () => {
    const deployment: ObjectRef = { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'api' };
    const yaml = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: api',
      '  namespace: shop',
      'spec:',
      '  replicas: 3',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: api',
      '          env:',
      '            - name: DB_PASSWORD',
      '              value: git-pass',
      '          image: api:1',
      '',
    ].join('\n');
    const dir = repo({ 'deploy.yaml': yaml, 'cm.yaml': cm('app') });
    const image = [object(deployment, changed('/spec/template/spec/containers/name=api/image', 'api:1', 'api:2'))];
    const shown = await codify({ root: dir, objects: image, sensitivePointers: ['/spec/template/spec/containers/*/env/name=DB_PASSWORD/value'] });
    // The image line's context holds the password line.
    expect(shown.patch).toContain('               value: git-pass\n-          image: api:1\n+          image: api:2\n');
    expect(shown.secretsShown).toEqual(['deploy.yaml']);
    // The same pointer by index and by wildcard; another variable's name names nothing.
    expect((await codify({ root: dir, objects: image, sensitivePointers: ['/spec/template/spec/containers/0/env/*/value'] })).secretsShown).toEqual(['deploy.yaml']);
    expect((await codify({ root: dir, objects: image, sensitivePointers: ['/spec/template/spec/containers/*/env/name=LOG_LEVEL/value'] })).secretsShown).toEqual([]);
    expect((await codify({ root: dir, objects: image })).secretsShown).toEqual([]);
    // A change far from the value shows none of it.
    const far = await codify({ root: dir, objects: [object(configMap('app'), changed('/data/mode', 'old', 'new'))], sensitivePointers: ['/spec/template/spec/containers/*/env/*/value'] });
    expect(far.secretsShown).toEqual([]);
  });

  it('stopgap codify --desired --live warns that the patch shows secret values, and still prints it', async () => {
    const dir = repo({ 's.yaml': SECRET_YAML() });
    const live = mkdtempSync(join(tmpdir(), 'stopgap-codify-live-'));
    dirs.push(live);
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    writeFileSync(
      join(live, 'live.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'shop' }, type: 'Opaque', data: { user: b64('git-user'), password: b64('rotated-live'), token: b64('git-token\n') } }),
    );
    const run = await runCliCaptured(['codify', '--desired', dir, '--live', join(live, 'live.json')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('+  password: "<set through your secret mechanism');
    expect(run.stdout + run.stderr).not.toContain(b64('rotated-live'));
    expect(run.stderr).toContain('warning: the patch shows secret values that s.yaml holds in clear (lines it changes or keeps as context): keep it out of chat, tickets and pull request comments');
  });
});
