/**
 * Manifests directories for codify tests: written into a temporary git repository, where `git apply`
 * (the tool people will use) checks and applies the generated patches.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Git with nothing from the machine's or the person's configuration. */
function git(cwd: string, args: string[], input?: string): { status: number | null; stderr: string } {
  const r = spawnSync('git', ['-c', 'core.autocrlf=false', '-c', 'core.quotepath=false', ...args], {
    cwd,
    input,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'], HOME: cwd, GIT_CONFIG_NOSYSTEM: '1' },
  });
  return { status: r.status, stderr: r.stderr };
}

/** A temporary git repository holding `files` (relative path → text). */
export function gitRepo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-codify-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const init = git(dir, ['init', '-q']);
  if (init.status !== 0) throw new Error(`git init failed: ${init.stderr}`);
  return dir;
}

/** `git apply --check`: whether git accepts the patch in `dir` (and its complaint if not). */
export function gitApplyCheck(dir: string, patch: string): { ok: boolean; stderr: string } {
  const r = git(dir, ['apply', '--check', '-'], patch);
  return { ok: r.status === 0, stderr: r.stderr };
}

/** `git apply`: applies the patch in `dir`, throwing with git's complaint when it does not apply. */
export function gitApply(dir: string, patch: string): void {
  const r = git(dir, ['apply', '-'], patch);
  if (r.status !== 0) throw new Error(`git apply failed: ${r.stderr}\n${patch}`);
}

export function readText(dir: string, path: string): string {
  return readFileSync(join(dir, path), 'utf8');
}

export function removeRepo(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
