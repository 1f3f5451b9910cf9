import type { Command } from './io.js';

const NAMES = ['serve', 'demo', 'migrate', 'verify', 'diff', 'codify', 'scan', 'audit', 'digest', 'backup', 'restore', 'export', 'config', 'doctor', 'help'] as const;
export type CommandName = (typeof NAMES)[number];

export function isCommandName(name: string): name is CommandName {
  return (NAMES as readonly string[]).includes(name);
}

// Each command is loaded only when it is used: a scan never pays for Slack, a diff never for Kubernetes.
const COMMANDS: Record<CommandName, () => Promise<Command>> = {
  serve: async () => (await import('./serve.js')).command,
  demo: async () => (await import('./demo.js')).command,
  migrate: async () => (await import('./migrate.js')).command,
  verify: async () => (await import('./verify.js')).command,
  diff: async () => (await import('./diff.js')).command,
  codify: async () => (await import('./codify.js')).command,
  scan: async () => (await import('./scan.js')).command,
  audit: async () => (await import('./audit.js')).command,
  digest: async () => (await import('./digest.js')).command,
  backup: async () => (await import('./backup.js')).command,
  restore: async () => (await import('./restore.js')).command,
  export: async () => (await import('./export.js')).command,
  config: async () => (await import('./config.js')).command,
  doctor: async () => (await import('./doctor.js')).command,
  // Help reads the other commands' help through what it is given, so help.ts does not import this file.
  help: async () => (await import('./help.js')).helpCommand({ isCommandName, helpOf: async (name) => (await loadCommand(name as CommandName)).help }),
};

export async function loadCommand(name: CommandName): Promise<Command> {
  return COMMANDS[name]();
}
