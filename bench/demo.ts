/**
 * `stopgap demo` from the built CLI, start to end (Node's start-up, the simulated world, the story, the
 * ledger verified), median of 3; target under 10 s. Baseline in the same run: `stopgap help`, which is
 * Node's start-up alone.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildOnce, CLI, percentile } from './build.js';

const RUNS = 3;

function timed(args: string[]): { ms: number; stdout: string; status: number | null } {
  const t = performance.now();
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { ms: performance.now() - t, stdout: run.stdout, status: run.status };
}

export async function benchDemo(): Promise<void> {
  buildOnce();
  const demo: number[] = [];
  const help: number[] = [];
  let story = '';
  for (let i = 0; i < RUNS; i++) {
    const run = timed(['demo']);
    if (run.status !== 0) throw new Error(`stopgap demo exited ${run.status}:\n${run.stdout.slice(-2000)}`);
    demo.push(run.ms);
    story = /The story ran in ([\d.]+) s/.exec(run.stdout)?.[1] ?? '?';
    const db = /STOPGAP_DB=(\S+\.db) /.exec(run.stdout)?.[1];
    if (db) rmSync(dirname(db), { recursive: true, force: true });
    help.push(timed(['help']).ms);
  }
  demo.sort((a, b) => a - b);
  help.sort((a, b) => a - b);
  console.log(`stopgap demo, built CLI, whole run, median of ${RUNS}: ${(percentile(demo, 50) / 1000).toFixed(2)} s (min ${(demo[0]! / 1000).toFixed(2)}, max ${(demo.at(-1)! / 1000).toFixed(2)})   target < 10 s`);
  console.log(`  of which the story (last run): ${story} s; baseline \`stopgap help\` (Node start-up): ${percentile(help, 50).toFixed(0)} ms`);
}
