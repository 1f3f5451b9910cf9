import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, requireBuiltCli } from '../support/built-cli.js';

interface PackageJson {
  private?: boolean;
  license?: string;
  files?: string[];
  bin?: Record<string, string>;
  repository?: { url?: string };
  keywords?: string[];
  homepage?: string;
  bugs?: { url?: string };
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;

function npm(args: string[], cwd: string): string {
  const r = spawnSync('npm', [...args, '--ignore-scripts'], { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

describe('the npm package', () => {
  let packed: string[] = [];
  let dir = '';

  beforeAll(() => {
    requireBuiltCli();
    const out = JSON.parse(npm(['pack', '--dry-run', '--json'], REPO_ROOT)) as { files: { path: string }[] }[];
    packed = (out[0]?.files ?? []).map((f) => f.path);
    dir = mkdtempSync(join(tmpdir(), 'stopgap-pack-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is publishable under Apache-2.0, with the metadata a registry shows', () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.license).toBe('Apache-2.0');
    const license = readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8');
    expect(license).toContain('Apache License\n                           Version 2.0, January 2004');
    expect(license).toContain('END OF TERMS AND CONDITIONS');
    expect(license).toContain('Copyright 2026 The Stopgap Authors');
    expect(pkg.repository?.url).toMatch(/^git\+https:\/\//);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.bugs?.url).toMatch(/^https:\/\//);
    expect(pkg.keywords).toEqual(expect.arrayContaining(['slack', 'kubernetes', 'drift']));
    expect(pkg.bin).toEqual({ stopgap: 'dist/src/cli.js' });
  });

  it('holds the built CLI, every migration, the Slack manifest, README and LICENSE', () => {
    expect(packed).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'manifest.yml', 'dist/src/cli.js', 'dist/src/store/db.js']));
    const migrations = readdirSync(join(REPO_ROOT, 'migrations')).filter((f) => f.endsWith('.sql'));
    expect(migrations.length).toBeGreaterThan(10);
    for (const m of migrations) expect(packed).toContain(`migrations/${m}`);
  });

  it('holds no tests, sources, source maps, databases or local config', () => {
    const unwanted = packed.filter((p) => /^(test|src|bench|deploy|node_modules|data)\/|\.(db|db-wal|db-shm|map|ts)$|(^|\/)stopgap\.yml$|^\.env/.test(p));
    expect(unwanted).toEqual([]);
  });

  it('runs from the unpacked tarball: migrations are found beside dist/, diff works', () => {
    npm(['pack', '--pack-destination', dir], REPO_ROOT);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const untar = spawnSync('tar', ['-xzf', join(dir, tarball as string), '-C', dir]);
    expect(untar.status).toBe(0);
    const root = join(dir, 'package');
    // What `npm install` would add: the dependencies. The repository's node_modules stands in for them.
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
    const cli = join(root, pkg.bin?.stopgap ?? '');
    const env = { PATH: process.env.PATH, STOPGAP_DB: join(dir, 'db', 'stopgap.db') };
    const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });

    const migrate = run(['migrate']);
    expect(migrate.status, migrate.stderr).toBe(0);
    const verify = run(['verify']);
    expect(verify.stdout).toMatch(/^OK: 0 events/m);
    expect(verify.status).toBe(0);

    const deployment = (replicas: number) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: ${replicas}\n`;
    writeFileSync(join(dir, 'desired.yaml'), deployment(3));
    writeFileSync(join(dir, 'live.yaml'), deployment(10));
    const diff = run(['diff', '--desired', join(dir, 'desired.yaml'), '--live', join(dir, 'live.yaml')]);
    expect(diff.status, diff.stderr).toBe(1);
    expect(diff.stdout).toMatch(/\/spec\/replicas/);
  });
});
