#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { processIo, tolerateClosedOutput, writeLine, type CliIo } from './commands/io.js';
import { isCommandName, loadCommand } from './commands/registry.js';

/**
 * The `stopgap` command: picks the subcommand (serve when none is named) and hands it the rest of the
 * arguments; each subcommand parses its own (src/commands/).
 */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [first = 'serve', ...rest] = argv;
  if (first === '--help' || first === '-h') return (await loadCommand('help')).run([], io);
  if (!isCommandName(first)) {
    const what = first.startsWith('-') ? `unknown option '${first.split('=')[0]}'` : `unknown command '${first}'`;
    writeLine(io.stderr, `stopgap: ${what}. Run 'stopgap --help'.`);
    return 2;
  }
  if (first === 'scan') {
    // A full scan keeps ~50 MB alive but churns through every object in the cluster; V8's default
    // heuristics let that garbage pile up past 300 MB on a 20,000-object cluster. Favouring size
    // halves the peak for a batch job (bench: `npm run bench -- scan`).
    setFlagsFromString('--optimize-for-size');
  }
  return (await loadCommand(first)).run(rest, io);
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const output = tolerateClosedOutput();
  const argv = process.argv.slice(2);
  runCli(argv).then(
    (code) => {
      const failed = output.failed();
      if (failed) console.error(`stopgap: ${failed}`);
      process.exitCode = failed ? 2 : code;
      // After serve stops, anything still holding the event loop (a stuck socket) must not keep a
      // stopped bot alive: exit anyway shortly after.
      if (argv[0] === undefined || argv[0] === 'serve') setTimeout(() => process.exit(process.exitCode ?? code), 1_000).unref();
    },
    (err: unknown) => {
      console.error(`stopgap: unexpected error: ${(err as Error)?.message ?? String(err)}`);
      process.exitCode = 2;
    },
  );
}
