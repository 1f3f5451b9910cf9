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
  /** When each change's channel announcement arrived (`SG-n` → `Date.now()` in the child). */
  announced(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** Run in the child: start the fake and print where it listens. */
export async function serveFakeSlack(): Promise<void> {
  const { startFakeSlack } = await import('../src/demo/fake-slack.js');
  const slack = await startFakeSlack();
  // Only when each announcement arrived is kept: not every call, for the whole run.
  const announced: Record<string, number> = {};
  const collect = () => {
    for (const call of slack.calls) {
      const key = call.method === 'chat.postMessage' ? /\bSG-\d+\b/.exec(call.fields.text ?? '')?.[0] : undefined;
      if (key && announced[key] === undefined) announced[key] = call.at;
    }
    slack.calls.length = 0;
  };
  setInterval(collect, 100).unref();
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() !== 'announced') return;
    collect();
    console.log(JSON.stringify(announced));
  });
  console.log(JSON.stringify({ apiUrl: slack.apiUrl, responseBase: slack.responseUrl('x').replace(/x$/, '') }));
}

export async function startFakeSlackProcess(): Promise<FakeSlackProcess> {
  const self = resolve(HERE, 'fake-slack-process.ts');
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `const m = await import(${JSON.stringify(self)}); await m.serveFakeSlack();`], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const lines = createInterface({ input: proc.stdout });
  const replies: ((line: string) => void)[] = [];
  const info = await new Promise<{ apiUrl: string; responseBase: string }>((resolveInfo, reject) => {
    proc.once('exit', (code) => reject(new Error(`fake Slack exited with ${code}`)));
    lines.once('line', (line) => resolveInfo(JSON.parse(line) as { apiUrl: string; responseBase: string }));
  });
  lines.on('line', (line) => replies.shift()?.(line));
  return {
    apiUrl: info.apiUrl,
    responseUrl: (id) => `${info.responseBase}${encodeURIComponent(id)}`,
    announced: () =>
      new Promise((resolveStats) => {
        replies.push((line) => resolveStats(JSON.parse(line) as Record<string, number>));
        proc.stdin?.write('announced\n');
      }),
    close: () =>
      new Promise((done) => {
        proc.once('exit', () => done());
        proc.kill('SIGTERM');
      }),
  };
}
