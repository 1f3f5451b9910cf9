import type { Command } from './io.js';

// Each command is loaded only when it is used: a scan never pays for Slack, a diff never for Kubernetes.
const COMMANDS = {
  serve: () => import('./serve.js'),
  migrate: () => import('./migrate.js'),
  verify: () => import('./verify.js'),
  diff: () => import('./diff.js'),
  scan: () => import('./scan.js'),
  help: () => import('./help.js'),
} satisfies Record<string, () => Promise<{ command: Command }>>;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

export async function loadCommand(name: CommandName): Promise<Command> {
  return (await COMMANDS[name]()).command;
}
