/**
 * Runs the Dockerfile's steps without Docker (none runs here) and proves the result works as the image
 * would run it: `.ci/image-build-check`.
 *
 * The build context is the repository as .dockerignore filters it; each stage gets a directory standing
 * for its root filesystem. COPY, WORKDIR and the build stage's RUN lines are carried out as written
 * (the apt-get line only installs the compiler this machine already has). The runtime stage's one RUN,
 * the data volume, is made by hand. Then the entrypoint runs as the image's numeric USER (when this
 * runs as root; otherwise as the current user) with the image's ENV, on a read-only tree with only the
 * volume writable: --help, the default `serve` without Slack settings, migrate, verify, diff.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { REPO_ROOT } from '../support/built-cli.js';
import { contextFiles, copySteps, execForm, filesOfSource, finalUser, readDockerfile, stageEnv, stages, type Stage } from './dockerfile.js';

function fail(message: string): never {
  console.error(`image-build-check: FAILED: ${message}`);
  process.exit(1);
}

function step(message: string): void {
  console.log(`image-build-check: ${message}`);
}

const work = mkdtempSync(join(tmpdir(), 'stopgap-image-'));
chmodSync(work, 0o755);
const df = readDockerfile();
const [build, runtime] = stages(df);
if (!build || !runtime || build.name === null) fail('expected a named build stage and a runtime stage');
const roots: Record<string, string> = { [build.name]: join(work, 'build'), runtime: join(work, 'image') };
const onHost = (root: string, imagePath: string): string => join(root, ...posix.resolve('/', imagePath).split('/'));
const context = contextFiles();
step(`build context: ${context.length} files (.dockerignore applied)`);

function runStage(stage: Stage, root: string, mayRun: (line: string) => 'run' | 'skip'): void {
  mkdirSync(root, { recursive: true });
  let workdir = '/';
  const copies = copySteps(stage);
  for (const ins of stage.instructions) {
    const kw = ins.getKeyword();
    if (kw === 'WORKDIR') {
      workdir = posix.resolve(workdir, ins.getArgumentsContent() ?? '/');
      mkdirSync(onHost(root, workdir), { recursive: true });
    } else if (kw === 'COPY') {
      const copy = copies.shift();
      if (!copy) fail('COPY steps out of order');
      for (const source of copy.sources) {
        const target = copy.intoDir ? posix.join(copy.dest, posix.basename(source)) : copy.dest;
        if (copy.from !== null) {
          const fromRoot = roots[copy.from];
          if (!fromRoot) fail(`COPY --from=${copy.from}: no such stage`);
          cpSync(onHost(fromRoot, source), onHost(root, target), { recursive: true, verbatimSymlinks: true });
          continue;
        }
        const files = filesOfSource(context, source);
        if (files.length === 0) fail(`COPY ${source}: not in the build context (missing, or left out by .dockerignore)`);
        const base = posix.normalize(source).replace(/^\.\/|\/+$/g, '');
        for (const f of files) {
          const dest = onHost(root, f === base ? target : posix.join(target, f.slice(base.length + 1)));
          mkdirSync(dirname(dest), { recursive: true });
          cpSync(join(REPO_ROOT, f), dest);
        }
      }
    } else if (kw === 'RUN') {
      const line = ins.getArgumentsContent() ?? '';
      if (mayRun(line) === 'skip') continue;
      step(`RUN ${line.replace(/\s+/g, ' ').slice(0, 100)}`);
      const started = Date.now();
      const r = spawnSync('sh', ['-c', line], { cwd: onHost(root, workdir), stdio: 'inherit' });
      if (r.status !== 0) fail(`RUN ${line} exited ${r.status ?? r.signal}`);
      step(`  took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } else if (!['FROM', 'ENV', 'USER', 'VOLUME', 'EXPOSE', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD', 'LABEL'].includes(kw)) {
      fail(`${kw} is not something this check knows how to carry out; teach it before using it`);
    }
  }
}

// Build stage: everything as written, but the toolchain install (python3, make and g++ are on this machine).
runStage(build, roots[build.name] as string, (line) => {
  if (/^apt-get\b/.test(line.trim())) {
    step('skip RUN apt-get ...: the machine has python3, make and g++');
    return 'skip';
  }
  return 'run';
});

// Runtime stage: copies only; its one RUN makes the data volume, owned by the image's user.
const image = roots.runtime as string;
const user = finalUser(df);
if (typeof user === 'string') fail(user);
const volumeRun = /^install -d -o (\d+) -g (\d+) -m (0[0-7]{3}) (\/\S+)$/;
let volume = '';
runStage(runtime, image, (line) => {
  const m = volumeRun.exec(line.trim());
  if (!m) fail(`runtime RUN '${line}' is not the data volume's 'install -d -o UID -g GID -m MODE DIR'`);
  volume = onHost(image, m[4] as string);
  mkdirSync(volume, { recursive: true, mode: Number.parseInt(m[3] as string, 8) });
  chmodSync(volume, Number.parseInt(m[3] as string, 8));
  if (process.getuid?.() === 0) chownSync(volume, Number(m[1]), Number(m[2]));
  return 'skip';
});
if (volume === '') fail('the runtime stage makes no data volume');

const asRoot = process.getuid?.() === 0;
// Read-only root filesystem: nothing outside the volume is writable by the image's user.
function setWritable(dir: string, writable: boolean): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (p === volume) continue;
    if (entry.isDirectory()) setWritable(p, writable);
    if (entry.isSymbolicLink()) continue;
    const mode = entry.isDirectory() ? 0o555 : (statSync(p).mode & 0o555) | 0o444;
    chmodSync(p, writable ? mode | 0o200 : mode);
  }
  chmodSync(dir, writable ? 0o755 : 0o555);
}
function snapshot(dir: string): string {
  const lines: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (p === volume) continue;
      const s = statSync(p, { throwIfNoEntry: false });
      lines.push(`${p} ${s?.size ?? '-'} ${s?.mtimeMs ?? '-'}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return lines.join('\n');
}

const inputs = join(work, 'input');
mkdirSync(inputs);
const deployment = (replicas: number): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: ${replicas}\n  template:\n    spec:\n      containers: [{name: web, image: web:1}]\n`;
writeFileSync(join(inputs, 'desired.yaml'), deployment(3));
writeFileSync(join(inputs, 'live.yaml'), deployment(10));
chmodSync(inputs, 0o755);

setWritable(image, false);
const before = snapshot(image);
const entry = df.getENTRYPOINTs().at(-1);
const cmd = df.getCMDs().at(-1);
const entryWords = entry && execForm(entry);
if (!entryWords || entryWords[0] !== 'node') fail('ENTRYPOINT is not an exec-form ["node", ...]');
const mapPath = (word: string): string => (word.startsWith('/') ? onHost(image, word) : word);
const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: image, TMPDIR: onHost(image, '/tmp') };
for (const [k, v] of Object.entries(stageEnv(runtime))) env[k] = mapPath(v);

function runImage(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...entryWords!.slice(1).map(mapPath), ...args], {
    cwd: onHost(image, '/app'),
    env,
    encoding: 'utf8',
    timeout: 60_000,
    ...(asRoot && typeof user !== 'string' ? { uid: user.uid, gid: user.gid ?? user.uid } : {}),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectRun(label: string, args: string[], status: number, pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout'): void {
  const r = runImage(args);
  if (r.status !== status || !pattern.test(r[stream])) {
    fail(`${label}: expected exit ${status} and ${stream} matching ${pattern}, got exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  step(`ok: ${label} (exit ${r.status})`);
}

step(`running the entrypoint with ${process.version} as ${asRoot ? `uid ${user.uid}` : 'the current user'}, root filesystem read-only`);
expectRun('--help', ['--help'], 0, /Usage/i);
const defaultCmd = (cmd && execForm(cmd)) ?? [];
expectRun(`default command (${defaultCmd.join(' ')}) without Slack settings`, defaultCmd, 2, /SLACK_BOT_TOKEN/, 'stderr');
expectRun('migrate', ['migrate'], 0, /./);
expectRun('verify on the fresh database', ['verify'], 0, /^OK: 0 events/m);
expectRun('diff', ['diff', '--desired', join(inputs, 'desired.yaml'), '--live', join(inputs, 'live.yaml')], 1, /replicas/);

const after = snapshot(image);
if (after !== before) fail('the entrypoint changed files outside the data volume');
const dbFiles = readdirSync(volume);
if (!dbFiles.includes('stopgap.db') || dbFiles.some((f) => !f.startsWith('stopgap.db'))) fail(`the volume holds ${dbFiles.join(', ')}`);
const du = spawnSync('du', ['-sm', onHost(image, '/app')], { encoding: 'utf8' });
step(`image's /app: ${du.stdout.split('\t')[0]} MB; volume: ${dbFiles.join(', ')}`);

setWritable(image, true);
rmSync(work, { recursive: true, force: true });
step('passed');
