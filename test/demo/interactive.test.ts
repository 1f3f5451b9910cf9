import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT_CLI, REPO_ROOT, requireBuiltCli, runBuiltCli } from '../support/built-cli.js';
import { waitFor } from '../k8s/helpers.js';

// `stopgap demo --interactive`, run as a newcomer runs it: the built CLI in its own process, first
// with a script piped into its standard input, then on a pseudo-terminal where Tab completes.
const SESSION = [
  'help',
  'frobnicate',
  'kubectl scale deploy/nope --replicas 3',
  'kubectl scale deploy/checkout --replicas 6',
  '/fix scaled deploy/checkout -n shop to 6 for the incident --cluster shop-prod',
  'kubectl edit configmap checkout-config LOG_LEVEL=debug',
  'click drift log',
  'wait 15m',
  'click drift log',
  'submit raised log level while debugging',
  'as bob',
  'kubectl cordon ip-10-0-1-7',
  '/fix cordoned node/ip-10-0-1-7 --cluster shop-prod',
  'as alice',
  'click SG-1 snooze',
  'wait 1w',
  'click SG-2 snooze 1d',
  'click SG-1 codify',
  'git scale deploy/checkout --replicas 6',
  'as bob kubectl uncordon ip-10-0-1-7',
  'status',
].join('\n');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** What follows the echo of `line` up to the next prompt. */
function answerTo(out: string, line: string, from = 0): string {
  const start = out.indexOf(`> ${line}\n`, from);
  expect(start, `the session echoes "${line}"`).toBeGreaterThanOrEqual(0);
  const body = out.slice(start + line.length + 3);
  const next = body.search(/^(alice|bob) in #inc-4821-checkout> /m);
  return next < 0 ? body : body.slice(0, next);
}

describe('stopgap demo --interactive', () => {
  it('carries out what is typed, as Slack, kubectl and git would, and shows what Stopgap does', () => {
    requireBuiltCli();
    const run = runBuiltCli(['demo', '--interactive'], { input: `${SESSION}\n`, timeoutMs: 90_000 });
    const out = run.stdout;
    const db = /STOPGAP_DB=(\S+\.db) /.exec(out)?.[1];
    if (db) dirs.push(dirname(db));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(out).not.toContain('\u001b[');

    expect(answerTo(out, 'help')).toContain('kubectl scale deploy/NAME --replicas N');
    expect(answerTo(out, 'frobnicate')).toContain("'frobnicate' is not something the demo understands; type help");
    expect(answerTo(out, 'kubectl scale deploy/nope --replicas 3')).toContain("There is no Deployment 'nope' in the shop; there are checkout, payments-api.");
    // A change by hand: the watch sees it and names the field manager.
    expect(answerTo(out, 'kubectl scale deploy/checkout --replicas 6')).toContain('Stopgap sees drift: Deployment shop/checkout /spec/replicas: 3 → 6  (written by kubectl)');
    const logged = answerTo(out, '/fix scaled deploy/checkout -n shop to 6 for the incident --cluster shop-prod');
    expect(logged).toContain('Logged SG-1: scaled deploy/checkout to 6 for the incident (owner @alice');
    expect(logged).toContain('Stopgap links SG-1 ← Deployment checkout /spec/replicas');
    expect(answerTo(out, 'kubectl edit configmap checkout-config LOG_LEVEL=debug')).toContain('ConfigMap shop/checkout-config /data/LOG_LEVEL: "info" → "debug"  (written by kubectl-edit)');
    // Nothing to click before the unclaimed drift is posted; after ten minutes it is, and Alice is asked.
    const early = out.indexOf('> click drift log\n');
    expect(answerTo(out, 'click drift log', early)).toContain('@alice has no message about unclaimed drift to click on');
    const waited = answerTo(out, 'wait 15m');
    expect(waited).toContain('UNCLAIMED DRIFT ON SHOP-PROD');
    expect(waited).toContain('DM to @alice, Stopgap:\n    You changed this by hand and nobody has logged it yet. Log it?');
    const form = answerTo(out, 'click drift log', early + 1);
    expect(form).toContain('A form opens: Log a change');
    expect(form).toContain('Resources: configmap/checkout-config');
    const submitted = answerTo(out, 'submit raised log level while debugging');
    expect(submitted).toContain('Claimed by SG-2');
    expect(submitted).toContain('Stopgap links SG-2 ← ConfigMap checkout-config /data/LOG_LEVEL');
    // Bob, by name: the audit log attributes the cordon, his /fix claims it.
    expect(answerTo(out, 'kubectl cordon ip-10-0-1-7')).toContain('Node ip-10-0-1-7 /spec/unschedulable: (absent) → true  (written by kubectl-cordon)');
    expect(out).toContain('bob in #inc-4821-checkout> /fix cordoned node/ip-10-0-1-7 --cluster shop-prod');
    expect(answerTo(out, '/fix cordoned node/ip-10-0-1-7 --cluster shop-prod')).toContain('Stopgap links SG-3 ← Node ip-10-0-1-7 /spec/unschedulable');
    expect(answerTo(out, 'click SG-1 snooze')).toContain('Say for how long: click SG-n snooze 1d');
    // A week on the demo's clock: reminders, escalations, Monday's digest.
    const week = answerTo(out, 'wait 1w');
    expect(week).toContain('Reminder 1 · owner @alice');
    expect(week).toContain('Reminder 1 · owner @bob');
    expect(week).toMatch(/#platform, Stopgap:\n {4}:rotating_light: SG-3 has had 3 reminders without an answer\. Owner: @bob\./);
    expect(week).toContain('UNRECONCILED CHANGES, EVERYONE: WEEK TO 2026-12-07');
    expect(week).toContain('It is Tue, 08 Dec 03:15 UTC.');
    expect(answerTo(out, 'click SG-2 snooze 1d')).toContain('SG-2 is snoozed until 2026-12-09');
    // Codify: the patch for the manifests, as a file in Alice's DM.
    const codified = answerTo(out, 'click SG-1 codify');
    expect(codified).toContain('DM to @alice, Stopgap shares codify-SG-1.patch:');
    expect(codified).toContain('-  replicas: 3\n    +  replicas: 6');
    // Codified in git, reverted by hand: both closed, verified by the watch.
    const merged = answerTo(out, 'git scale deploy/checkout --replicas 6');
    expect(merged).toContain('SG-1 closed by itself as codified, verified');
    expect(merged).toContain('Stopgap sees it reconciled: Deployment shop/checkout /spec/replicas matches the manifests again');
    expect(answerTo(out, 'as bob kubectl uncordon ip-10-0-1-7')).toContain('SG-3 closed by itself as reverted, verified');
    const status = answerTo(out, 'status');
    expect(status).toMatch(/SG-1 +codified +verified +@alice/);
    expect(status).toMatch(/SG-2 +open +unverified +@alice/);
    expect(status).toMatch(/SG-3 +reverted +verified +@bob/);
    expect(status).toContain('ConfigMap shop/checkout-config /data/LOG_LEVEL: "info" → "debug"');
    // The end of the input ends the session like quit: the ledger verified, the database left behind.
    expect(out).toMatch(/OK: \d+ events over 3 changes, hash chain intact/);
    expect(db && existsSync(db)).toBe(true);
    const verify = runBuiltCli(['verify'], { env: { STOPGAP_DB: db ?? '' } });
    expect([verify.status, verify.stdout]).toEqual([0, expect.stringContaining('hash chain intact')]);
  });

  it('is a prompt with colour and Tab completion on a terminal', async () => {
    requireBuiltCli();
    // util-linux `script` gives the CLI a pseudo-terminal; this process types into it.
    expect(spawnSync('script', ['--version']).status, 'script (util-linux) is needed for the terminal test').toBe(0);
    const child = spawn('script', ['-qfec', `${JSON.stringify(process.execPath)} ${JSON.stringify(BUILT_CLI)} demo --interactive`, '/dev/null'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', TERM: 'xterm-256color' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const escapes = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
    const plain = () => out.replace(escapes, '');
    try {
      await waitFor(() => plain().includes('alice in #inc-4821-checkout> '), 'the prompt', 30_000);
      expect(out).toContain('\u001b[');
      // Tab completes the verb, then the Deployment.
      child.stdin.write('kubectl sc\t');
      await waitFor(() => plain().includes('kubectl scale '), 'scale completed', 10_000);
      child.stdin.write('deploy/ch\t');
      await waitFor(() => plain().includes('deploy/checkout '), 'the Deployment completed', 10_000);
      child.stdin.write('--replicas 4\r');
      await waitFor(() => plain().includes('Stopgap sees drift: Deployment shop/checkout /spec/replicas: 3 → 4'), 'the drift', 30_000);
      child.stdin.write('quit\r');
      expect(await exited).toBe(0);
      const db = /STOPGAP_DB=(\S+\.db) /.exec(plain())?.[1];
      if (db) dirs.push(dirname(db));
      expect(plain()).toMatch(/hash chain intact|empty ledger|OK:/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
