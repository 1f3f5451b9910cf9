import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { startServer, type Server, type StartOptions } from '../../src/main.js';
import { startFakeSlack, type FakeSlack } from '../../src/demo/fake-slack.js';

export const TEST_SIGNING_SECRET = 'test-signing-secret-8f3a9c';
export const TEST_BOT_TOKEN = 'xoxb-test-0000-secret-bot-token';

/** The environment `serve` needs against a fake Slack: HTTP mode, the test secrets, a database path. */
export function serveEnv(opts: { slackApiUrl: string; dbPath: string; port?: number; logLevel?: string }): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_API_URL: opts.slackApiUrl,
    PORT: String(opts.port ?? 0),
    STOPGAP_DB: opts.dbPath,
    LOG_LEVEL: opts.logLevel ?? 'silent',
  };
}

/** A TCP port free on loopback right now (for a process that must be told its port up front). */
export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Sends raw bytes to a port and resolves with whatever came back before the socket closed (or 2 s). */
export function rawHttp(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let out = '';
    const timer = setTimeout(() => socket.destroy(), 2_000);
    socket.on('data', (c: Buffer) => (out += c.toString('utf8')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.on('error', () => undefined);
  });
}

export interface TestApp {
  /** Base URL of the running app, e.g. http://127.0.0.1:41234 */
  url: string;
  slack: FakeSlack;
  server: Server;
  dbPath: string;
  dir: string;
  /** Everything the app logged, as text (to prove secrets never reach logs). */
  logs(): string;
  /** Stops and starts the app on the same database, as a deploy or crash would. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestAppOptions {
  /** stopgap.yml content (YAML). */
  config?: string;
  now?: () => Date;
  env?: Record<string, string>;
  /** Prepares the fake Slack before the app starts (e.g. Socket Mode's apps.connections.open answer). */
  beforeStart?: (slack: FakeSlack) => void;
  timings?: StartOptions['timings'];
  /** Run the reminder schedule; off by default: tests drive ticks with `server.reminders`. */
  schedules?: boolean;
}

/** Starts the real app on port 0 against a fake Slack Web API and a temp database. */
export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-test-'));
  const dbPath = join(dir, 'stopgap.db');
  const slack = await startFakeSlack();
  opts.beforeStart?.(slack);
  let configPath: string | undefined;
  if (opts.config !== undefined) {
    configPath = join(dir, 'stopgap.yml');
    writeFileSync(configPath, opts.config);
  }
  const env: NodeJS.ProcessEnv = {
    ...serveEnv({ slackApiUrl: slack.apiUrl, dbPath, logLevel: 'debug' }),
    ...(configPath ? { STOPGAP_CONFIG: configPath } : {}),
    ...opts.env,
  };
  let logText = '';
  const start = async () => {
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => {
      logText += chunk.toString('utf8');
    });
    return startServer({ env, logDestination: sink, now: opts.now, timings: opts.timings, schedules: opts.schedules ?? false });
  };
  let server = await start();
  const app: TestApp = {
    get url() {
      return `http://127.0.0.1:${server.port}`;
    },
    slack,
    get server() {
      return server;
    },
    dbPath,
    dir,
    logs: () => logText,
    restart: async () => {
      await server.stop();
      server = await start();
    },
    stop: async () => {
      await server.stop();
      await slack.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return app;
}
