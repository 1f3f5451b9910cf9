import type { Writable } from 'node:stream';

/** What a CLI command may touch: its streams and its environment. Tests pass their own. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}
