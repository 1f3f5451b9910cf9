import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/built-cli.js';
import {
  bakedSecrets,
  contextFiles,
  copySteps,
  execForm,
  filesOfSource,
  finalUser,
  ignoreMatcher,
  parseDockerfile,
  readDockerfile,
  stageEnv,
  stages,
  unpinnedBases,
} from './dockerfile.js';

const df = readDockerfile();
const [build, runtime] = stages(df);
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: { stopgap: string } };

describe('Dockerfile', () => {
  it('has a build stage and a runtime stage, both on the same pinned Node.js 24 slim base', () => {
    expect(stages(df).map((s) => s.name)).toEqual(['build', null]);
    expect(unpinnedBases(df)).toEqual([]);
    const images = df.getFROMs().map((f) => f.getImage());
    expect(new Set(images).size).toBe(1);
    expect(df.getFROMs()[0]?.getImageName()).toBe('node');
    expect(df.getFROMs()[0]?.getImageTag()).toMatch(/^24\.\d+\.\d+-[a-z]+-slim$/);
  });

  it('flags a base that is not pinned to one release', () => {
    const bad = parseDockerfile('FROM node:latest AS a\nFROM node:24-slim AS b\nFROM node\nFROM node:24.1.0@sha256:abc\nFROM b\n');
    expect(unpinnedBases(bad)).toEqual([
      'node:latest: tag does not name a full version (major.minor.patch)',
      'node:24-slim: tag does not name a full version (major.minor.patch)',
      'node: tag does not name a full version (major.minor.patch)',
      'node:24.1.0@sha256:abc: digest is not sha256:<64 hex>',
    ]);
  });

  it('runs the final stage as a numeric user that is not root', () => {
    expect(finalUser(df)).toEqual({ uid: 10001, gid: 10001 });
    expect(finalUser(parseDockerfile('FROM node:24.1.0 AS b\nUSER 1000\nFROM node:24.1.0\n'))).toMatch(/no USER/);
    expect(finalUser(parseDockerfile('FROM node:24.1.0\nUSER node\n'))).toMatch(/not numeric/);
    expect(finalUser(parseDockerfile('FROM node:24.1.0\nUSER 0:0\n'))).toMatch(/root/);
  });

  it('bakes in no secret: no ENV, ARG or LABEL named or valued like a credential', () => {
    expect(bakedSecrets(df)).toEqual([]);
    const bad = parseDockerfile(
      'FROM node:24.1.0\nARG GITHUB_TOKEN\nENV SLACK_SIGNING_SECRET=abc DB_PASSWORD=x\nENV HOOK=xoxb-123-456\nLABEL note="xapp-1-A"\nRUN echo xoxb-1-2 > /t\n',
    );
    expect(bakedSecrets(bad)).toEqual(['ARG GITHUB_TOKEN', 'ENV SLACK_SIGNING_SECRET', 'ENV DB_PASSWORD', 'ENV HOOK', 'LABEL note', 'RUN on line 6']);
  });

  it('starts the stopgap CLI, serve by default, at the path the runtime stage copies it to', () => {
    const entry = df.getENTRYPOINTs().at(-1);
    const cmd = df.getCMDs().at(-1);
    expect(entry && execForm(entry)).toEqual(['node', '/app/dist/src/cli.js']);
    expect(cmd && execForm(cmd)).toEqual(['serve']);
    const runtimeCopies = copySteps(runtime!);
    const distCopy = runtimeCopies.find((c) => c.dest === '/app/dist/src');
    expect(distCopy?.from).toBe('build');
    // The same file the npm package's bin names.
    expect(posix.join('/app', pkg.bin.stopgap)).toBe('/app/dist/src/cli.js');
  });

  it('builds with npm ci and npm run build, and ships only production dependencies', () => {
    const runs = build!.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
    expect(runs.some((r) => /apt-get install .*python3 make g\+\+/.test(r))).toBe(true);
    expect(runs.some((r) => /^npm ci\b/.test(r))).toBe(true);
    expect(runs.some((r) => /npm run build\b.*npm prune --omit=dev/.test(r))).toBe(true);
    // The build stage sees only what compiling needs: no tests, no local databases, no configs.
    const buildSources = copySteps(build!).flatMap((c) => c.sources);
    expect(buildSources.sort()).toEqual(['package-lock.json', 'package.json', 'src', 'tsconfig.build.json', 'tsconfig.json']);
  });

  it('copies into the runtime stage only what the CLI reads at run time', () => {
    const copies = copySteps(runtime!).map((c) => `${c.from ?? 'context'}:${c.sources.join(',')} -> ${c.dest}`);
    expect(copies).toEqual([
      'build:/app/package.json -> /app/package.json',
      'build:/app/node_modules -> /app/node_modules',
      'build:/app/dist/src -> /app/dist/src',
      'context:migrations -> /app/migrations',
      'context:LICENSE -> /app/LICENSE',
    ]);
    // No compiler, no sources and no tests in the final image: its only RUN makes the data volume.
    const runs = runtime!.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent());
    expect(runs).toEqual(['install -d -o 10001 -g 10001 -m 0700 /data']);
  });

  it('keeps the database on the /data volume, the only place it writes', () => {
    const env = stageEnv(runtime!);
    expect(env.STOPGAP_DB).toBe('/data/stopgap.db');
    const volumes = runtime!.instructions.filter((i) => i.getKeyword() === 'VOLUME').flatMap((i) => i.getArguments().map((a) => a.getValue()));
    expect(volumes).toEqual([posix.dirname(env.STOPGAP_DB ?? '')]);
  });
});

describe('.dockerignore', () => {
  const excluded = ignoreMatcher(readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'));

  it.each([
    'node_modules/zod/package.json',
    '.git/HEAD',
    'dist/src/cli.js',
    'data/stopgap.db',
    'src/store/leftover.db',
    'migrations/test.db-wal',
    'test/fixtures/k8s/deployment.yaml',
    'bench/run.ts',
    '.env',
    'src/.env.local',
    'stopgap.yml',
    'kubeconfig',
    'clusters/kubeconfig.yaml',
    '.kube/config',
    'deploy/base/deployment.yaml',
    'Dockerfile',
  ])('leaves %s out of the build context', (path) => {
    expect(excluded(path)).toBe(true);
  });

  it.each(['package.json', 'package-lock.json', 'tsconfig.build.json', 'src/cli.ts', 'src/store/db.ts', 'src/k8s/kubeconfig.ts', 'migrations/001_init.sql', 'LICENSE'])(
    'sends %s',
    (path) => {
      expect(excluded(path)).toBe(false);
    },
  );

  it('holds every file a COPY from the context names, and nothing else of the repository', () => {
    const context = contextFiles();
    // Every source file and migration the repository tracks reaches the build (a pattern like
    // kubeconfig* once left out src/k8s/kubeconfig.ts).
    const tracked = execFileSync('git', ['ls-files', 'src', 'migrations'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(tracked.length).toBeGreaterThan(100);
    expect(tracked.filter((f) => !context.includes(f))).toEqual([]);
    const sources = stages(df)
      .flatMap(copySteps)
      .filter((c) => c.from === null)
      .flatMap((c) => c.sources);
    for (const source of sources) expect(filesOfSource(context, source), source).not.toEqual([]);
    const copied = new Set(sources.flatMap((s) => filesOfSource(context, s)));
    expect(context.filter((f) => !copied.has(f))).toEqual([]);
  });
});
