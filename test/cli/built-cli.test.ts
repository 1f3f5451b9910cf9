/**
 * The built CLI (`node dist/src/cli.js`) in its own process: what a person or a script sees.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltCli, runBuiltCli, runBuiltCliIntoClosedPipe } from '../support/built-cli.js';

const root = mkdtempSync(join(tmpdir(), 'stopgap-built-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(() => requireBuiltCli());

const STACK = /\n\s+at |Error:/;
let n = 0;

/**
 * A fresh directory and an environment in which every command would do its real work: Slack settings
 * complete (serve would start), a configured cluster (scan would scan it), and a database path whose
 * directory does not exist yet, so that creating the database shows.
 */
function workspace(): { dataDir: string; env: NodeJS.ProcessEnv } {
  const dir = join(root, `w${++n}`);
  mkdirSync(dir);
  const dataDir = join(dir, 'data');
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: c, context: {cluster: c, user: u}}]',
      'current-context: c',
    ].join('\n'),
  );
  const config = join(dir, 'stopgap.yml');
  writeFileSync(config, `clusters:\n  - name: prod\n    context: c\n    kubeconfig: ${kubeconfig}\n`);
  return {
    dataDir,
    env: {
      STOPGAP_DB: join(dataDir, 'stopgap.db'),
      STOPGAP_CONFIG: config,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'test-signing-secret',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      PORT: '0',
    },
  };
}

const COMMANDS = ['serve', 'migrate', 'verify', 'diff', 'scan', 'help'] as const;

describe('stopgap COMMAND --help: prints that help and does nothing else', () => {
  for (const command of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      it(`${command} ${flag} prints the ${command} help, exits 0, creates no database and starts nothing`, () => {
        const w = workspace();
        const r = runBuiltCli([command, flag], { env: w.env });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(command === 'help' ? /^stopgap: a ledger of incident-time manual cluster changes\n/ : new RegExp(`^Usage: stopgap ${command}\\b`));
        expect(r.stdout).not.toContain('stopgap started');
        expect(existsSync(w.dataDir)).toBe(false);
      });
    }
  }

  it('--help wins over other arguments, and stopgap help COMMAND prints the same text', () => {
    const w = workspace();
    const mixed = runBuiltCli(['migrate', '--bogus', '--help'], { env: w.env });
    expect(mixed.status).toBe(0);
    const viaHelp = runBuiltCli(['help', 'migrate'], { env: w.env });
    expect(viaHelp.status).toBe(0);
    expect(viaHelp.stdout).toBe(mixed.stdout);
    expect(viaHelp.stdout).toMatch(/^Usage: stopgap migrate\b/);
    const scan = runBuiltCli(['scan', '--context', 'c', '-h'], { env: w.env });
    expect(scan.status).toBe(0);
    expect(scan.stdout).toMatch(/^Usage: stopgap scan\b/);
    expect(existsSync(w.dataDir)).toBe(false);
  });
});

describe('unknown options and arguments: one clear line, exit 2, nothing done', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /^stopgap: unknown option '--bogus'\. Run 'stopgap --help'\.\n$/],
    [['frobnicate'], /^stopgap: unknown command 'frobnicate'\. Run 'stopgap --help'\.\n$/],
    [['serve', '--port=80'], /^stopgap serve: unknown option '--port'\. Run 'stopgap serve --help'\.\n$/],
    [['migrate', '--force'], /^stopgap migrate: unknown option '--force'\. Run 'stopgap migrate --help'\.\n$/],
    [['verify', 'now'], /^stopgap verify: unexpected argument 'now'\. Run 'stopgap verify --help'\.\n$/],
    [['diff', '--desired', 'a.yaml', '--live', 'b.yaml', '--colour'], /^stopgap diff: unknown option '--colour'\. Run 'stopgap diff --help'\.\n$/],
    [['scan', '--all'], /^stopgap scan: unknown option '--all'\. Run 'stopgap scan --help'\.\n$/],
    [['scan', 'prod'], /^stopgap scan: unexpected argument 'prod'\. Run 'stopgap scan --help'\.\n$/],
    [['help', 'frobnicate'], /^stopgap help: unknown command 'frobnicate'\. Run 'stopgap help --help'\.\n$/],
    [['help', 'diff', 'scan'], /^stopgap help: unexpected argument 'scan'\. Run 'stopgap help --help'\.\n$/],
    [['help', '--all'], /^stopgap help: unknown option '--all'\. Run 'stopgap help --help'\.\n$/],
  ];
  for (const [args, message] of cases) {
    it(`stopgap ${args.join(' ')}`, () => {
      const w = workspace();
      const r = runBuiltCli(args, { env: w.env });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(STACK);
      expect(existsSync(w.dataDir)).toBe(false);
    });
  }
});

describe('output into a pipe', () => {
  /** A ConfigMap with `keys` keys, all `value`: thousands of differences fill a pipe many times over. */
  function configMap(file: string, keys: number, value: string): string {
    const data = Object.fromEntries(Array.from({ length: keys }, (_, i) => [`key-${i}`, value]));
    const path = join(root, file);
    writeFileSync(path, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', namespace: 'shop' }, data }));
    return path;
  }

  it('a reader that stops early (| head) gets no stack trace: diff stops quietly with its own exit status', async () => {
    const desired = configMap('big-desired.json', 5000, 'desired-value');
    const live = configMap('big-live.json', 5000, 'live-value');
    for (const json of [false, true]) {
      const r = await runBuiltCliIntoClosedPipe(['diff', '--desired', desired, '--live', live, ...(json ? ['--json'] : [])]);
      expect(r.stdout.length).toBeGreaterThan(0);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(1);
    }
  });

  it('kubectl get -o json | stopgap diff --live - reads the pipe', () => {
    const desired = configMap('piped-desired.json', 2, 'a');
    const live = readFileSync(configMap('piped-live.json', 2, 'b'), 'utf8');
    const r = runBuiltCli(['diff', '--desired', desired, '--live', '-', '--json'], { input: live });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ inSync: false, differences: [{ path: '/data/key-0' }, { path: '/data/key-1' }] });
  });
});
