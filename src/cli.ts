#!/usr/bin/env node
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { loadConfig } from './config/config.js';
import { isStopgapError } from './errors.js';
import { migrate, openDb } from './store/db.js';
import { LedgerStore } from './store/ledger-store.js';
import { processIo, tolerateClosedOutput, writeLine, type CliIo } from './commands/io.js';

const HELP = `stopgap: a ledger of incident-time manual cluster changes

Usage: stopgap [command] [options]

Commands:
  serve      run the Slack bot (default)
  migrate    create or upgrade the database at STOPGAP_DB
  verify     check the ledger's hash-chained event log; exit 1 listing every problem
  diff       stopgap diff --desired FILE|- --live FILE|- [--json] [--trust-manager NAME] [--ignore POINTER]
  scan       stopgap scan [--context NAME] [--json]: one pass over the configured clusters
  help       show this text; stopgap help COMMAND (or stopgap COMMAND --help) shows a command's

Environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode),
SLACK_API_URL, PORT (3000), STOPGAP_DB (./data/stopgap.db), STOPGAP_CONFIG (stopgap.yml), KUBECONFIG.
`;

const SERVE_HELP = `Usage: stopgap serve

Runs the Slack bot until SIGINT or SIGTERM: Slack requests on POST /slack/events at PORT (default
3000), or over Socket Mode when SLACK_APP_TOKEN is set; GET /healthz, /readyz and /metrics; drift
watches on the clusters in STOPGAP_CONFIG. Creates or upgrades the database at STOPGAP_DB first.

Environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode),
SLACK_API_URL, PORT (3000), STOPGAP_DB (./data/stopgap.db), STOPGAP_CONFIG (stopgap.yml), KUBECONFIG.
Exit status: 0 after a clean shutdown, 2 when it cannot start (every missing or invalid setting named).`;

const MIGRATE_HELP = `Usage: stopgap migrate

Creates the database at STOPGAP_DB (default ./data/stopgap.db) if there is none, and applies the
migrations it lacks. Running it again on an up-to-date database changes nothing.
Exit status: 0 done, 2 error (an unusable path, a migration that changed after it was applied).`;

const VERIFY_HELP = `Usage: stopgap verify

Checks the hash-chained event log of the ledger at STOPGAP_DB (default ./data/stopgap.db). Reads
only: never creates or upgrades a database.
Exit status: 0 intact, 1 tampered (the first bad row is named), 2 no such database or no ledger in it.`;

const COMMANDS = ['serve', 'migrate', 'verify', 'diff', 'scan', 'help'] as const;
type Command = (typeof COMMANDS)[number];

function isCommand(name: string): name is Command {
  return (COMMANDS as readonly string[]).includes(name);
}

async function helpText(command: Command): Promise<string> {
  switch (command) {
    case 'serve':
      return SERVE_HELP;
    case 'migrate':
      return MIGRATE_HELP;
    case 'verify':
      return VERIFY_HELP;
    case 'diff':
      return (await import('./commands/diff.js')).DIFF_HELP;
    case 'scan':
      return (await import('./commands/scan.js')).SCAN_HELP;
    case 'help':
      return HELP;
  }
}

/** `--help` or `-h` anywhere before a `--`: it wins over every other argument, so it never runs anything. */
function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/** For commands that take no arguments: what is wrong with the first one given, if any. */
function unexpected(argv: readonly string[]): string | undefined {
  const first = argv[0];
  if (first === undefined) return undefined;
  return first.startsWith('-') && first !== '-' ? `unknown option '${first.split('=')[0]}'` : `unexpected argument '${first}'`;
}

function fail(io: CliIo, err: unknown, what: string): number {
  if (isStopgapError(err)) {
    writeLine(io.stderr, `stopgap ${what}: cannot continue:`);
    for (const line of err.message.split('\n')) writeLine(io.stderr, `  - ${line}`);
    return 2;
  }
  writeLine(io.stderr, `stopgap ${what}: unexpected error: ${(err as Error)?.message ?? String(err)}`);
  return 2;
}

async function runMigrate(io: CliIo): Promise<number> {
  try {
    const config = loadConfig(io.env);
    const db = openDb(config.dbPath);
    try {
      const report = migrate(db);
      writeLine(
        io.stdout,
        report.applied.length
          ? `Applied ${report.applied.join(', ')} to ${config.dbPath}`
          : `${config.dbPath} is up to date (${report.alreadyApplied} migrations applied)`,
      );
    } finally {
      db.close();
    }
    return 0;
  } catch (err) {
    return fail(io, err, 'migrate');
  }
}

async function runVerify(io: CliIo): Promise<number> {
  try {
    const config = loadConfig(io.env);
    // Verifying must not create or upgrade anything: a mistyped STOPGAP_DB is an error, not an empty OK.
    if (config.dbPath === ':memory:' || !existsSync(config.dbPath)) {
      writeLine(io.stderr, `stopgap verify: no database at ${config.dbPath}; check STOPGAP_DB`);
      return 2;
    }
    const db = openDb(config.dbPath);
    try {
      const hasLedger = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'change_events'").get();
      if (!hasLedger) {
        writeLine(io.stderr, `stopgap verify: ${config.dbPath} holds no Stopgap ledger; check STOPGAP_DB or run 'stopgap migrate'`);
        return 2;
      }
      const report = new LedgerStore(db).verify();
      if (report.ok) {
        writeLine(io.stdout, `OK: ${report.events} events over ${report.changes} changes, hash chain intact`);
        return 0;
      }
      const n = report.problems.length;
      writeLine(io.stdout, `TAMPERED: ${n} problem${n === 1 ? '' : 's'} in ${report.events} events over ${report.changes} changes`);
      for (const problem of report.problems) writeLine(io.stdout, `  - ${problem.message}`);
      // Only the chain pins a problem to an event; a row edited or deleted later says nothing of when.
      const firstBad = report.problems
        .filter((p) => p.kind === 'missing' || p.kind === 'tampered' || p.kind === 'truncated' || p.kind === 'past_head')
        .reduce((min, p) => (p.seq > 0 && p.seq < min ? p.seq : min), Infinity);
      if (firstBad !== Infinity) {
        writeLine(io.stdout, `First bad row: event ${firstBad}. Restore the database from a backup taken before it.`);
      } else {
        writeLine(io.stdout, 'Restore the database from a backup taken before the tampering.');
      }
      return 1;
    } finally {
      db.close();
    }
  } catch (err) {
    return fail(io, err, 'verify');
  }
}

async function runServe(io: CliIo): Promise<number> {
  let server;
  try {
    const { startServer } = await import('./main.js');
    server = await startServer({ env: io.env });
  } catch (err) {
    // Slack unreachable is worth a restart by the orchestrator; a bad token or config is not.
    const code = fail(io, err, 'serve');
    return isStopgapError(err) && err.code === 'slack_unreachable' ? 1 : code;
  }
  const s = server;
  return new Promise<number>((resolve) => {
    let exiting = false;
    const finish = (code: number) => {
      if (exiting) return;
      exiting = true;
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
      // A stop that hangs must not leave a half-alive process behind.
      const force = setTimeout(() => resolve(code), 10_000);
      force.unref();
      s.stop()
        .catch((err: unknown) => s.logger.error({ err }, 'shutdown failed'))
        .finally(() => {
          clearTimeout(force);
          resolve(code);
        });
    };
    // A promise nobody awaited failed: log it and keep serving; the request it belonged to was answered.
    const onRejection = (reason: unknown) => {
      s.logger.error({ err: reason }, 'unhandled promise rejection (still serving)');
    };
    // Anything thrown past every handler leaves the process in an unknown state: stop and exit non-zero
    // so the orchestrator restarts it, rather than serving on as a zombie.
    const onException = (err: unknown) => {
      s.logger.fatal({ err }, 'uncaught exception; shutting down');
      finish(1);
    };
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    process.once('SIGINT', () => finish(0));
    process.once('SIGTERM', () => finish(0));
  });
}

export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [first = 'serve', ...rest] = argv;
  if (first === '--help' || first === '-h') {
    io.stdout.write(HELP);
    return 0;
  }
  if (!isCommand(first)) {
    const what = first.startsWith('-') ? `unknown option '${first.split('=')[0]}'` : `unknown command '${first}'`;
    writeLine(io.stderr, `stopgap: ${what}. Run 'stopgap --help' for the list.`);
    return 2;
  }
  const command = first;
  if (wantsHelp(rest)) {
    writeLine(io.stdout, (await helpText(command)).trimEnd());
    return 0;
  }
  if (command === 'serve' || command === 'migrate' || command === 'verify') {
    const problem = unexpected(rest);
    if (problem) {
      writeLine(io.stderr, `stopgap ${command}: ${problem}; it takes no arguments. Run 'stopgap ${command} --help'.`);
      return 2;
    }
  }
  switch (command) {
    case 'serve':
      return runServe(io);
    case 'migrate':
      return runMigrate(io);
    case 'verify':
      return runVerify(io);
    // Each command loads only what it uses: a scan never pays for Slack, a diff never for Kubernetes.
    case 'diff':
      return (await import('./commands/diff.js')).runDiff(rest, io);
    case 'scan':
      // A full scan keeps ~50 MB alive but churns through every object in the cluster; V8's default
      // heuristics let that garbage pile up past 300 MB on a 20,000-object cluster. Favouring size
      // halves the peak for a batch job (bench: `npm run bench -- scan`).
      setFlagsFromString('--optimize-for-size');
      return (await import('./commands/scan.js')).runScan(rest, io);
    case 'help': {
      const [topic, ...extra] = rest;
      if (topic === undefined) {
        io.stdout.write(HELP);
        return 0;
      }
      if (!isCommand(topic) || extra.length > 0) {
        writeLine(io.stderr, `stopgap help: no such command '${[topic, ...extra].join(' ')}'. Run 'stopgap --help' for the list.`);
        return 2;
      }
      writeLine(io.stdout, (await helpText(topic)).trimEnd());
      return 0;
    }
  }
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
