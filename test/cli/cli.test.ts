import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openMigratedDb } from '../../src/store/db.js';
import { LedgerStore } from '../../src/store/ledger-store.js';
import { runCliCaptured } from '../support/cli.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'stopgap-cli-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const repoRoot = new URL('../../', import.meta.url).pathname;

describe('stopgap CLI', () => {
  it('prints help listing every command', async () => {
    const r = await runCliCaptured(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['serve', 'migrate', 'verify', 'diff', 'scan']) expect(r.stdout).toContain(cmd);
  });

  it('rejects an unknown command with a pointer to --help', async () => {
    const r = await runCliCaptured(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('migrate creates the database and is idempotent', async () => {
    const db = join(tempDir(), 'x', 'stopgap.db');
    const first = await runCliCaptured(['migrate'], { STOPGAP_DB: db });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('001_init.sql');
    const second = await runCliCaptured(['migrate'], { STOPGAP_DB: db });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('up to date');
  });

  it('verify prints OK for an intact ledger and names the first tampered row otherwise', async () => {
    const path = join(tempDir(), 'stopgap.db');
    const db = openMigratedDb(path);
    const ledger = new LedgerStore(db);
    const now = new Date('2026-11-26T10:00:00Z');
    for (let i = 0; i < 3; i++) ledger.create({ description: `fix ${i}`, actor: 'U0ALICE' }, { now, defaultDueDays: 7 });
    const ok = await runCliCaptured(['verify'], { STOPGAP_DB: path });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK: 3 events over 3 changes/);
    db.exec('DROP TRIGGER change_events_no_update');
    db.prepare("UPDATE change_events SET actor = 'U0MALLORY' WHERE seq = 2").run();
    db.close();
    const bad = await runCliCaptured(['verify'], { STOPGAP_DB: path });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('TAMPERED');
    expect(bad.stdout).toContain('event 2');
  });

  it('verify refuses a database that does not exist instead of creating an empty one', async () => {
    const path = join(tempDir(), 'typo', 'stopgap.db');
    const r = await runCliCaptured(['verify'], { STOPGAP_DB: path });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no database at ${path}`);
    expect(existsSync(path)).toBe(false);
  });

  it('verify reports a removed chain head and an unreadable row as tampering, not a crash', async () => {
    const path = join(tempDir(), 'stopgap.db');
    const db = openMigratedDb(path);
    const ledger = new LedgerStore(db);
    const now = new Date('2026-11-26T10:00:00Z');
    for (let i = 0; i < 2; i++) ledger.create({ description: `fix ${i}`, actor: 'U0ALICE' }, { now, defaultDueDays: 7 });
    db.prepare("UPDATE changes SET resources = 'not json' WHERE id = 2").run();
    const row = await runCliCaptured(['verify'], { STOPGAP_DB: path });
    expect(row.code).toBe(1);
    expect(row.stdout).toContain("SG-2's row is unreadable");
    db.prepare("UPDATE changes SET resources = '[]' WHERE id = 2").run();
    db.exec('DROP TRIGGER change_events_no_delete');
    db.prepare('DELETE FROM change_events WHERE seq = 2').run();
    db.prepare("DELETE FROM settings WHERE key = 'ledger.chain_head'").run();
    db.close();
    const head = await runCliCaptured(['verify'], { STOPGAP_DB: path });
    expect(head.code).toBe(1);
    expect(head.stdout).toContain('chain head was removed');
  });

  it('serve without Slack settings names each missing variable, one line each, and exits 2', async () => {
    const r = await runCliCaptured(['serve'], { STOPGAP_DB: join(tempDir(), 's.db') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SLACK_BOT_TOKEN: not set');
    expect(r.stderr).toContain('SLACK_SIGNING_SECRET or SLACK_APP_TOKEN');
    // A newcomer with no Slack app is pointed at the demo.
    expect(r.stderr).toContain('`npm run demo`');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('serve with a bad config file reports the file, the field and the problem', async () => {
    const dir = tempDir();
    const config = join(dir, 'stopgap.yml');
    writeFileSync(config, 'admins: [bob]\ndefaultDueDays: 0\nunknownKey: 1\n');
    const r = await runCliCaptured(['serve'], {
      STOPGAP_DB: join(dir, 's.db'),
      STOPGAP_CONFIG: config,
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'abcdefghijk',
      PORT: 'eighty',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PORT');
    expect(r.stderr).toMatch(new RegExp(`${config}:\\d+: admins\\[0\\]: a Slack user ID looks like U024BE7LH`));
    expect(r.stderr).toContain('defaultDueDays');
    expect(r.stderr).toContain('unknownKey');
  });

  it('the real entry point (as npm start runs it) explains missing settings without a stack trace', () => {
    const dir = tempDir();
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, STOPGAP_DB: join(dir, 'db.sqlite') },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('SLACK_BOT_TOKEN');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
