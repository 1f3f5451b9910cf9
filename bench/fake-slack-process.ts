/**
 * The fake Slack Web API in a process of its own, for benchmarks: the bot's replies and announcements
 * must not steal the load generator's event loop (which would inflate the latencies it measures).
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface FakeSlackProcess {
  apiUrl: string;
  responseUrl(id: string): string;
  close(): Promise<void>;
}

/** Run in the child: start the fake and print where it listens. */
export async function serveFakeSlack(): Promise<void> {
  const { startFakeSlack } = await import('../test/support/fake-slack.js');
  const slack = await startFakeSlack();
  // Nothing is asserted on: do not keep every call in memory for the whole run.
  setInterval(() => slack.reset(), 1_000).unref();
  console.log(JSON.stringify({ apiUrl: slack.apiUrl, responseBase: slack.responseUrl('x').replace(/x$/, '') }));
}

export async function startFakeSlackProcess(): Promise<FakeSlackProcess> {
  const self = resolve(HERE, 'fake-slack-process.ts');
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `const m = await import(${JSON.stringify(self)}); await m.serveFakeSlack();`], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const info = await new Promise<{ apiUrl: string; responseBase: string }>((resolveInfo, reject) => {
    proc.once('exit', (code) => reject(new Error(`fake Slack exited with ${code}`)));
    createInterface({ input: proc.stdout }).once('line', (line) => resolveInfo(JSON.parse(line) as { apiUrl: string; responseBase: string }));
  });
  return {
    apiUrl: info.apiUrl,
    responseUrl: (id) => `${info.responseBase}${encodeURIComponent(id)}`,
    close: () =>
      new Promise((done) => {
        proc.once('exit', () => done());
        proc.kill('SIGTERM');
      }),
  };
}
