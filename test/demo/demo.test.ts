import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCaptured, type CliResult } from '../support/cli.js';

// `stopgap demo` tells the whole story on the real code paths; its transcript is checked step by step
// for what each step must show (ids, links, closings, verdicts), in order, not byte for byte.
describe('stopgap demo', () => {
  let run: CliResult;
  let dbPath: string | undefined;
  afterAll(() => {
    if (dbPath) rmSync(dirname(dbPath), { recursive: true, force: true });
  });

  /** Where `text` first appears after `from`; fails naming the step when it does not. */
  function after(from: number, text: string | RegExp, step: string): number {
    const rest = run.stdout.slice(from);
    const i = typeof text === 'string' ? rest.indexOf(text) : (rest.match(text)?.index ?? -1);
    expect(i, `${step}: ${String(text)} after offset ${from}`).toBeGreaterThanOrEqual(0);
    return from + i + 1;
  }

  it('runs the story to its end with nothing configured, and leaves a database that verifies', async () => {
    run = await runCliCaptured(['demo'], {});
    dbPath = /STOPGAP_DB=(\S+\.db) /.exec(run.stdout)?.[1];
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // Not a terminal: plain text, no colour codes.
    expect(run.stdout).not.toContain('\u001b[');

    // Three hand-made changes, detected with their field managers.
    let at = after(0, 'kubectl scale deployment/checkout -n shop --replicas 10', 'the scale');
    at = after(at, 'kubectl cordon ip-10-0-1-7', 'the cordon');
    const detected = after(at, /saw all three within \d+ ms/, 'detection');
    expect(run.stdout.slice(detected, detected + 600)).toContain('Deployment shop/checkout /spec/replicas: 3 → 10  (written by kubectl)');
    expect(run.stdout.slice(detected, detected + 600)).toContain('ConfigMap shop/checkout-config /data/LOG_LEVEL: "info" → "debug"  (written by kubectl-edit)');
    expect(run.stdout.slice(detected, detected + 600)).toContain('Node ip-10-0-1-7 /spec/unschedulable');
    // Alice's /fix is logged and linked; Bob's too.
    at = after(detected, 'Logged SG-1: scaled deploy/checkout to 10 for INC-4821 (owner @alice', 'SG-1 logged');
    at = after(at, 'SG-1 ← Deployment checkout /spec/replicas', 'SG-1 linked');
    at = after(at, 'Logged SG-2: cordoned node/ip-10-0-1-7', 'SG-2 logged');
    at = after(at, 'SG-2 ← Node ip-10-0-1-7 /spec/unschedulable', 'SG-2 linked');
    // The ConfigMap edit: posted as unclaimed, naming Alice from the audit log; she is asked and logs it.
    at = after(at, 'UNCLAIMED DRIFT ON SHOP-PROD', 'unclaimed post');
    expect(run.stdout.slice(at, at + 400)).toContain('`/data/LOG_LEVEL`: `info` → `debug` · kubectl-edit 2026-12-01 by @alice');
    at = after(at, 'DM to @alice, Stopgap:\n    You changed this by hand and nobody has logged it yet. Log it?', 'the nudge');
    at = after(at, 'A form opens: Log a change', 'the form');
    at = after(at, 'Claimed by SG-3', 'the post shows the claim');
    at = after(at, 'SG-3 ← ConfigMap checkout-config /data/LOG_LEVEL', 'SG-3 linked');
    // Days pass: reminders, a snooze, an escalation.
    at = after(at, 'Reminder 1 · owner @bob', 'first reminder');
    at = after(at, 'SG-3 is snoozed until 2026-12-09', 'the snooze');
    at = after(at, 'Reminder 3 · owner @bob', 'third reminder');
    // Monday's digest, with its anchor.
    at = after(at, 'UNRECONCILED CHANGES, EVERYONE: WEEK TO 2026-12-07', 'the digest');
    expect(run.stdout.slice(at, at + 200)).toContain('Open: 3');
    at = after(at, /Check later with `stopgap verify --anchor \d+:[0-9a-f]{64}`/, 'the anchor');
    at = after(at, '#platform, Stopgap:\n    :rotating_light: SG-2 has had 3 reminders without an answer. Owner: @bob.', 'the escalation');
    // Codify: the patch for the manifests comes to Alice's DM as a file, with how to apply it.
    at = after(at, 'DM to @alice, Stopgap shares codify-SG-1.patch:', 'the codify patch');
    const patch = run.stdout.slice(at, at + 900);
    expect(patch).toContain('git apply codify-SG-1.patch');
    expect(patch).toContain('-  replicas: 3\n    +  replicas: 10');
    // Codified in git and reverted in the cluster: both closed, verified, and the owners told.
    at = after(at, 'SG-1 is in review with https://git.example.com/shop/manifests/pull/42', 'in review');
    at = after(at, 'SG-1 closed by itself as codified, verified', 'SG-1 verified');
    at = after(at, 'kubectl uncordon ip-10-0-1-7', 'the uncordon');
    at = after(at, 'SG-2 closed by itself as reverted, verified', 'SG-2 verified');
    at = after(at, 'OK: 11 events over 3 changes, hash chain intact', 'verify');
    at = after(at, 'SUMMARY', 'the summary');
    const summary = run.stdout.slice(at);
    expect(summary).toMatch(/SG-1 +codified +verified +@alice/);
    expect(summary).toMatch(/SG-2 +reverted +verified +@bob/);
    expect(summary).toMatch(/SG-3 +open +unverified +@alice/);

    // The database it names is there afterwards, and the CLI verifies it.
    expect(dbPath && existsSync(dbPath)).toBe(true);
    const verify = await runCliCaptured(['verify'], { STOPGAP_DB: dbPath });
    expect([verify.code, verify.stdout]).toEqual([0, expect.stringContaining('hash chain intact')]);
  });

  it('explains itself, and refuses what it does not take', async () => {
    const help = await runCliCaptured(['demo', '--help'], {});
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('Usage: stopgap demo')]);
    const bad = await runCliCaptured(['demo', '--frobnicate'], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--frobnicate');
  });
});
