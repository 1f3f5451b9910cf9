import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import { COLOUR, PLAIN, type ConsoleStyle } from '../demo/console.js';
import { runInteractive } from '../demo/interactive.js';
import { changeRows, formatChangeRow, startDemoWorld, type ChangeRow, type DemoWorld } from '../demo/world.js';
import { STORY_START, tellStory } from '../demo/story.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine } from './args.js';
import type { CliIo, Command } from './io.js';
import { reportFailure, writeLine } from './io.js';
import { runVerify } from './verify.js';

export const DEMO_HELP = `Usage: stopgap demo [--interactive] [--no-color]

Runs the whole product on embedded defaults, with nothing to configure and nothing sent anywhere: the
real serve (Slack app, ledger, drift watch, linking, reminders, digest) on a temporary database, a
simulated Kubernetes API server holding a small shop (deployments, a ConfigMap, a Secret, nodes) with a
manifests directory as its desired state, and Slack played in this terminal. A narrated incident follows,
with days passing on the demo's clock: hand-made changes detected and attributed, logged with /fix and
from a "log it?" DM, reminders, a snooze, an escalation, the Monday digest, a change codified in git
and another reverted, both verified, and the ledger verified. It ends with where the database is, so
stopgap verify and stopgap digest --print can be run against it.
--interactive: the same world before anything happened, driven from a prompt instead of the story: type
  /fix commands, click buttons (click SG-1 snooze 1d), change the cluster by hand (kubectl scale
  deploy/checkout --replicas 5, set image, edit configmap, cordon), merge changes into the manifests
  (git scale …), let time pass (wait 1d), and watch Stopgap react. help lists it all; quit or Ctrl-D ends.
  Reads lines from standard input, so a script can be piped in.
--no-color: plain text even on a terminal (also when NO_COLOR is set or the output is not a terminal).
Exit status: 0 the story (or session) ran to its end and the ledger verifies, 2 it could not.`;

const DEMO_ARGS = { options: { help: HELP_OPTION, interactive: { type: 'boolean' }, 'no-color': { type: 'boolean' } } } satisfies ArgsSpec;

export async function runDemo(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('demo', DEMO_HELP, DEMO_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  const tty = (io.stdout as { isTTY?: boolean }).isTTY === true;
  const style = tty && !parsed.values['no-color'] && !io.env.NO_COLOR ? COLOUR : PLAIN;
  const out = (text: string) => writeLine(io.stdout, text);
  const interactive = parsed.values.interactive === true;
  if (interactive && !io.stdin) return reportFailure(io, 'demo', new Error('--interactive needs standard input to read commands from'));
  let world: DemoWorld | undefined;
  try {
    out(style.header('Stopgap demo: a simulated cluster and a simulated Slack, the real Stopgap in between.'));
    world = await startDemoWorld({ start: STORY_START });
    let seconds: number | undefined;
    if (interactive && io.stdin) {
      const input: Readable = io.stdin;
      await runInteractive(world, { input, output: io.stdout, terminal: tty && (input as { isTTY?: boolean }).isTTY === true, style });
    } else {
      seconds = (await tellStory(world, out, style)).seconds;
    }
    const rows = changeRows(world);
    await world.close({ keepDatabase: true });
    const code = await verifyAndSummarise(world, rows, io, style, seconds);
    return code === 0 ? 0 : 2;
  } catch (err) {
    if (world) await world.close({ keepDatabase: true }).catch(() => undefined);
    return reportFailure(io, 'demo', err);
  }
}

/** `stopgap verify` on the demo's database, as anyone would run it afterwards, then the ledger on one screen. */
async function verifyAndSummarise(world: DemoWorld, changes: ChangeRow[], io: CliIo, style: ConsoleStyle, storySeconds: number | undefined): Promise<number> {
  const out = (text: string) => writeLine(io.stdout, text);
  out(`\n${style.narrate('▶ stopgap verify: is the hash-chained ledger intact?')}`);
  const verified = new PassThrough();
  let verifyText = '';
  verified.on('data', (c: Buffer) => (verifyText += c.toString('utf8')));
  const code = await runVerify([], { stdout: verified, stderr: verified, env: { ...io.env, STOPGAP_DB: world.dbPath } });
  out(`    ${verifyText.trim().split('\n').join('\n    ')}`);
  out(`\n${style.header('SUMMARY')}`);
  if (changes.length === 0) out('  (no changes were logged)');
  for (const c of changes) out(formatChangeRow(c));
  if (storySeconds !== undefined) out(`  The story ran in ${storySeconds.toFixed(1)} s of real time (six days on the demo's clock).`);
  out(`  Its database, config and log are in ${world.dir}; try:`);
  out(`    STOPGAP_DB=${world.dbPath} node dist/src/cli.js verify`);
  out(`    STOPGAP_DB=${world.dbPath} node dist/src/cli.js digest --print --at ${world.clock.now().toISOString().slice(0, 19)}Z`);
  out(`  To run it for real, connect a Slack workspace and a cluster: see README.md, then npm start.`);
  return code;
}

export const command: Command = { help: DEMO_HELP, run: runDemo };
