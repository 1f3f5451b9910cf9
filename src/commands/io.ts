import type { Readable, Writable } from 'node:stream';

/** What a CLI command may touch: its streams and its environment. Tests pass their own. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Read only by a command given `-` for a file; absent, `-` is an error. */
  stdin?: Readable;
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
