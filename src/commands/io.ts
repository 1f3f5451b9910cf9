import type { Readable, Writable } from 'node:stream';
import { isStopgapError } from '../errors.js';

/** What a CLI command may touch: its streams and its environment. Tests pass their own. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Read only by a command given `-` for a file; absent, `-` is an error. */
  stdin?: Readable;
}

/** A subcommand, as its module exports it: its help text, and what runs it with the arguments after its name. */
export interface Command {
  help: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin };
}

/** All of a stream, as text. */
export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}

/**
 * Makes a closed reader no error: `stopgap diff ... | head` closes the pipe once it has read enough,
 * and every later write fails with EPIPE, which Node would raise as an uncaught exception with a
 * stack trace. Output to a reader that went away is dropped quietly and the command finishes (a scan
 * still stores what it found). Any other write error is reported by `failed()`: output was lost.
 */
export function tolerateClosedOutput(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): { failed(): string | undefined } {
  let failure: string | undefined;
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
      failure ??= `cannot write ${stream === process.stderr ? 'error output' : 'output'}: ${err.code ?? err.message}`;
    });
  }
  return { failed: () => failure };
}

/**
 * A command that cannot go on: a StopgapError's problems one a line (its message is written for the
 * person reading it), anything else as one line, never a stack trace. Returns exit status 2.
 */
export function reportFailure(io: CliIo, command: string, err: unknown): number {
  if (isStopgapError(err)) {
    writeLine(io.stderr, `stopgap ${command}: cannot continue:`);
    for (const line of err.message.split('\n')) writeLine(io.stderr, `  - ${line}`);
    return 2;
  }
  writeLine(io.stderr, `stopgap ${command}: unexpected error: ${(err as Error)?.message ?? String(err)}`);
  return 2;
}
