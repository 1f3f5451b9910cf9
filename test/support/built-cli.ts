/**
 * The CLI as users run it: `npm run build`, then `node dist/src/cli.js` in a process of its own, so
 * that start-up, exit codes, stdio and crashes are the real ones.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BUILT_CLI = join(REPO_ROOT, 'dist', 'src', 'cli.js');
/** How long a build may take on a busy machine. */
export const BUILD_TIMEOUT_MS = 180_000;

/** Builds `dist/` (the test run's global setup does this once, before any test file starts). */
export function buildCli(): void {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`building dist/ failed (${r.status ?? r.signal ?? r.error?.message}):\n${r.stdout}${r.stderr}`);
  if (!existsSync(BUILT_CLI)) throw new Error(`the build left no ${BUILT_CLI}`);
}

/** Fails clearly when a test file runs without the global setup that built `dist/`. */
export function requireBuiltCli(): void {
  if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run the tests with vitest (its global setup builds dist/)`);
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

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
}

/**
 * Starts `node dist/src/cli.js ...args` with exactly `env` (plus PATH), without blocking this process:
 * fakes served from the test process (Slack, Kubernetes) keep answering it.
 */
export function spawnCli(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, [BUILT_CLI, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<number | string>((resolveExit) => {
    child.on('exit', (code, signal) => resolveExit(code ?? signal ?? 'unknown'));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** {@link spawnCli} to completion. */
export async function runBuiltCliAsync(args: string[], env: Record<string, string>): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnCli(args, env);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Resolves once the server started as `proc` answers 200 on `/readyz`; fails if it exits first or takes over 15 s. */
export async function waitReady(url: string, proc: CliProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`server exited early: ${proc.stderr()}${proc.stdout()}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server not ready in time: ${proc.stderr()}${proc.stdout()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
