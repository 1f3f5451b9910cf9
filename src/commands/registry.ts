import type { CliIo } from './io.js';

/** A subcommand: its help text, and what runs it with the arguments after its name. */
export interface Command {
  help: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

// Each command is loaded only when it is used: a scan never pays for Slack, a diff never for Kubernetes.
const COMMANDS = {
  serve: async () => {
    const m = await import('./serve.js');
    return { help: m.SERVE_HELP, run: m.runServe };
  },
  migrate: async () => {
    const m = await import('./migrate.js');
    return { help: m.MIGRATE_HELP, run: m.runMigrate };
  },
  verify: async () => {
    const m = await import('./verify.js');
    return { help: m.VERIFY_HELP, run: m.runVerify };
  },
  diff: async () => {
    const m = await import('./diff.js');
    return { help: m.DIFF_HELP, run: m.runDiff };
  },
  scan: async () => {
    const m = await import('./scan.js');
    return { help: m.SCAN_HELP, run: m.runScan };
  },
  help: async () => {
    const m = await import('./help.js');
    return { help: m.HELP, run: m.runHelp };
  },
} satisfies Record<string, () => Promise<Command>>;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

export function loadCommand(name: CommandName): Promise<Command> {
  return COMMANDS[name]();
}
