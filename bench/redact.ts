/**
 * Secret masking cost: ordinary 1 KB incident text against 100 KB inputs built to make a backtracking
 * regex rescan the rest of the text from every position. Linear patterns keep the two within a small
 * constant of each other per KB; a quadratic one shows up as seconds.
 */
import { performance } from 'node:perf_hooks';
import { MAX_REDACT_INPUT, redactSecrets, registerKnownSecrets } from '../src/redact.js';

const RUNS = 21;
const KB100 = 100 * 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function fill(unit: string, length: number): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

function time(text: string): number {
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    redactSecrets(text);
    runs.push(performance.now() - t0);
  }
  return median(runs);
}

export async function benchRedact(): Promise<void> {
  registerKnownSecrets(['xoxb-bench-0000-secret-bot-token', '8f3a9c0d1e2f3a4b5c6d7e8f9a0b1c2d']);
  const normal = fill(
    'scaled deploy/payments-api -n shop to 12 replicas for INC-4821; set DB_PASSWORD=hunter2 on sts/db-0, see https://github.com/acme/infra/pull/881 ',
    1024,
  );
  const adversarial: Record<string, string> = {
    "'a=' repeated": fill('a=', KB100),
    "'a.' repeated": fill('a.', KB100),
    "'x' repeated": fill('x', KB100),
    'PEM header, no end': `-----BEGIN PRIVATE KEY-----${fill('x', KB100 - 27)}`,
    "'a://b:' repeated": fill('a://b:', KB100),
    "'password=\"' repeated": fill('password="', KB100),
    'near-miss bot token, spaced': fill('x o x b - b e n c h - 0 0 0 0 ', KB100),
  };
  // The same inputs just under the scan limit: what the patterns cost, not what the cut saves.
  const underLimit = Object.fromEntries(Object.entries(adversarial).map(([k, v]) => [k, v.slice(0, MAX_REDACT_INPUT)]));

  const base = time(normal);
  console.log(`redact: median of ${RUNS} runs; texts over ${MAX_REDACT_INPUT} characters are cut before scanning`);
  console.log(`  1 KB incident text                 ${base.toFixed(3).padStart(8)} ms`);
  for (const [name, text] of Object.entries(adversarial)) {
    const full = time(text);
    const scanned = time(underLimit[name] ?? '');
    console.log(
      `  100 KB ${name.padEnd(28)} ${full.toFixed(3).padStart(8)} ms  (${(underLimit[name] ?? '').length} chars scanned uncut: ${scanned.toFixed(3)} ms)`,
    );
  }
}
