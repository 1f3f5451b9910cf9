import { PassThrough } from 'node:stream';
import { COLOUR, PLAIN } from '../demo/console.js';
import { startDemoWorld } from '../demo/world.js';
import { STORY_START, tellStory } from '../demo/story.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine } from './args.js';
import type { CliIo, Command } from './io.js';
import { reportFailure, writeLine } from './io.js';
import { runVerify } from './verify.js';

export const DEMO_HELP = `Usage: stopgap demo [--no-color]

Runs the whole product on embedded defaults, with nothing to configure and nothing sent anywhere: the
real serve (Slack app, ledger, drift watch, linking, reminders, digest) on a temporary database, a
simulated Kubernetes API server holding a small shop (deployments, a ConfigMap, a Secret, nodes) with a
manifests directory as its desired state, and Slack played in this terminal. A narrated incident follows,
with days passing on the demo's clock: hand-made changes detected and attributed, logged with /fix and
from a "log it?" DM, reminders, a snooze, an escalation, the Monday digest, a change codified in git
and another reverted, both verified, and the ledger verified. It ends with where the database is, so
stopgap verify and stopgap digest --print can be run against it.
--no-color: plain text even on a terminal (also when NO_COLOR is set or the output is not a terminal).
Exit status: 0 the story ran to its end, 2 it could not.`;

const DEMO_ARGS = { options: { help: HELP_OPTION, 'no-color': { type: 'boolean' } } } satisfies ArgsSpec;

export async function runDemo(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('demo', DEMO_HELP, DEMO_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  const tty = (io.stdout as { isTTY?: boolean }).isTTY === true;
  const style = tty && !parsed.values['no-color'] && !io.env.NO_COLOR ? COLOUR : PLAIN;
  const out = (text: string) => writeLine(io.stdout, text);
  let world;
  try {
    out(style.header('Stopgap demo: a simulated cluster and a simulated Slack, the real Stopgap in between.'));
    world = await startDemoWorld({ start: STORY_START });
    const result = await tellStory(world, out, style);
    await world.close({ keepDatabase: true });
    // The ledger, checked as anyone would check it afterwards.
    out(`\n${style.narrate('▶ stopgap verify: the hash-chained ledger is intact.')}`);
    const verified = new PassThrough();
    let verifyText = '';
    verified.on('data', (c: Buffer) => (verifyText += c.toString('utf8')));
    const code = await runVerify([], { stdout: verified, stderr: verified, env: { ...io.env, STOPGAP_DB: world.dbPath } });
    out(`    ${verifyText.trim().split('\n').join('\n    ')}`);
    out(`\n${style.header('SUMMARY')}`);
    for (const c of result.changes) out(`  ${c.key.padEnd(5)} ${c.status.padEnd(9)} ${c.verified ? 'verified  ' : 'unverified'} @${c.owner.padEnd(6)} ${c.description}`);
    out(`  The story ran in ${result.seconds.toFixed(1)} s of real time (six days on the demo's clock).`);
    out(`  Its database, config and log are in ${world.dir}; try:`);
    out(`    STOPGAP_DB=${world.dbPath} node dist/src/cli.js verify`);
    out(`    STOPGAP_DB=${world.dbPath} node dist/src/cli.js digest --print --at 2026-12-07T09:00:00Z`);
    out(`  To run it for real, connect a Slack workspace and a cluster: see README.md, then npm start.`);
    return code === 0 ? 0 : 2;
  } catch (err) {
    if (world) await world.close({ keepDatabase: true }).catch(() => undefined);
    return reportFailure(io, 'demo', err);
  }
}

export const command: Command = { help: DEMO_HELP, run: runDemo };
