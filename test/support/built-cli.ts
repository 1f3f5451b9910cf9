/**
 * The CLI as users run it: `npm run build`, then `node dist/src/cli.js` in a process of its own, so
 * that start-up, exit codes, stdio and crashes are the real ones.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BUILT_CLI = join(REPO_ROOT, 'dist', 'src', 'cli.js');
/** How long a build may take on a busy machine. */
export const BUILD_TIMEOUT_MS = 180_000;

let built = false;

/** Builds `dist/` once per test process, so the tests run the JavaScript of this checkout. */
export function buildCli(): void {
  if (built) return;
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.status !== 0) throw new Error(`npm run build failed (${r.status ?? r.signal ?? r.error?.message}):\n${r.stdout}${r.stderr}`);
  if (!existsSync(BUILT_CLI)) throw new Error(`npm run build left no ${BUILT_CLI}`);
  built = true;
}

export interface ProcessResult {
  /** Null when the process did not exit on its own within the timeout (it was killed). */
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** The whole environment of the process, besides PATH: nothing leaks in from the test run. */
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

/** Runs `node dist/src/cli.js ...args` to completion. */
export function runBuiltCli(args: string[], opts: RunOptions = {}): ProcessResult {
  const r = spawnSync(process.execPath, [BUILT_CLI, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, ...opts.env },
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the built CLI with its standard output read by a reader that takes the first chunk and
 * closes the pipe, as `| head` does. `stdout` is that first chunk.
 */
export async function runBuiltCliIntoClosedPipe(args: string[], opts: RunOptions = {}): Promise<ProcessResult> {
  const child = spawn(process.execPath, [BUILT_CLI, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 20_000,
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  child.stdout.once('data', (c: Buffer) => {
    stdout = c.toString('utf8');
    child.stdout.destroy();
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { status, stdout, stderr };
}
