/**
 * The floor for the ack benchmark, in a process of its own: Stopgap's Slack receiver (body limits,
 * signature and timestamp, shape check) answering every request at once with a reply of the same
 * size, with no Bolt, no ledger and no follow-up work. Driven by the same load generator in the same
 * run, it shows what this machine and that generator allow, so the bot's figures can be read against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Run in the child: start the receiver and print its port. */
export async function serveFloor(signingSecret: string): Promise<void> {
  const { SlackHttpReceiver } = await import('../src/slack/http-receiver.js');
  const { createLogger } = await import('../src/log.js');
  const receiver = new SlackHttpReceiver({ signingSecret, logger: createLogger({ level: 'warn' }) });
  const app = {
    processEvent: async (event: { body: Record<string, unknown>; ack: (response?: unknown) => Promise<void> }) => {
      const text = typeof event.body.text === 'string' ? event.body.text : '';
      await event.ack({ response_type: 'ephemeral', text: `:white_check_mark: Logged SG-1: ${text} (owner @someone, due 2026-12-08).` });
    },
  };
  receiver.init(app as never);
  const server = await receiver.start(0);
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
}

export async function startFloorProcess(signingSecret: string): Promise<{ port: number; child: ChildProcess; close: () => Promise<void> }> {
  const self = resolve(HERE, 'floor-process.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `const m = await import(${JSON.stringify(self)}); await m.serveFloor(${JSON.stringify(signingSecret)});`], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    child.once('exit', (code) => reject(new Error(`the floor server exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => resolvePort((JSON.parse(line) as { port: number }).port));
  });
  return {
    port,
    child,
    close: () =>
      new Promise((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
