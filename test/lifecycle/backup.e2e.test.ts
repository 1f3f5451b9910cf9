/**
 * `stopgap backup` and `stopgap restore` as an operator runs them, the built CLI in its own process:
 * a backup taken while another process keeps writing changes through the ledger is one consistent
 * snapshot, restores to a database `stopgap verify` accepts, and both files are owner-only. Restore
 * checks the backup before it replaces anything and refuses while the database is in use.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, requireBuiltCli, runBuiltCliAsync } from '../support/built-cli.js';
import { waitFor } from '../../src/demo/wait.js';

/** A process that logs changes through the ledger as fast as it can until killed, printing its count. */
function writerScript(dbPath: string): string {
  const dist = (f: string) => pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'store', f)).href;
  return `
import { openMigratedDb } from ${JSON.stringify(dist('db.js'))};
import { LedgerStore } from ${JSON.stringify(dist('ledger-store.js'))};
const db = openMigratedDb(${JSON.stringify(dbPath)});
const ledger = new LedgerStore(db);
let n = 0;
function burst() {
  for (let i = 0; i < 20; i++) {
    n += 1;
    const { change } = ledger.create({ description: 'load change ' + n + ': scaled deploy/api-' + n + ' -n shop to 3', actor: 'U0LOAD', source: 'command' }, { now: new Date(), defaultDueDays: 7 });
    if (n % 3 === 0) ledger.act(change.id, { type: 'snooze', until: new Date(Date.now() + 86400000).toISOString() }, { by: 'U0LOAD', now: new Date(), isAdmin: false });
  }
  process.stdout.write(n + '\\n');
  setImmediate(burst);
}
burst();
`;
}

describe('backup and restore', () => {
  let dir: string;
  beforeAll(() => {
    requireBuiltCli();
    dir = mkdtempSync(join(tmpdir(), 'stopgap-backup-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes a consistent backup under write load that restores to a database verify accepts', async () => {
    const live = join(dir, 'live.db');
    const script = join(dir, 'writer.mjs');
    writeFileSync(script, writerScript(live));
    const writer = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let written = 0;
    let errors = '';
    writer.stdout.on('data', (c: Buffer) => (written = Number(c.toString().trim().split('\n').pop())));
    writer.stderr.on('data', (c: Buffer) => (errors += c.toString()));
    try {
      await waitFor(() => written >= 2_000 || errors, 'the writer to log 2000 changes', 30_000);
      expect(errors).toBe('');
      const before = written;
      const backupFile = join(dir, 'backup.db');
      const backup = await runBuiltCliAsync(['backup', backupFile], { STOPGAP_DB: live });
      const after = written;
      expect(backup.stderr).toBe('');
      expect(backup.code).toBe(0);
      expect(backup.stdout).toMatch(/^Backed up .* changes, .* events, .*; the ledger in the copy verifies\.\n$/);
      // The writer kept going during the backup: the copy is a snapshot taken somewhere in between.
      expect(after, 'changes were being written while the backup ran').toBeGreaterThan(before);
      expect(statSync(backupFile).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir).filter((f) => f.startsWith('.backup.db')), 'no scratch file left behind').toEqual([]);

      // Restoring into the database the writer still has open is refused, and changes nothing.
      const busy = await runBuiltCliAsync(['restore', backupFile], { STOPGAP_DB: live });
      expect(busy.code).toBe(2);
      expect(busy.stderr).toContain('is open in another process (is serve running?)');

      const restoredPath = join(dir, 'restored', 'stopgap.db');
      const restore = await runBuiltCliAsync(['restore', backupFile], { STOPGAP_DB: restoredPath });
      expect(restore.stderr).toBe('');
      expect(restore.code).toBe(0);
      expect(restore.stdout).toContain('hash chain intact');
      expect(statSync(restoredPath).mode & 0o777).toBe(0o600);
      const verify = await runBuiltCliAsync(['verify'], { STOPGAP_DB: restoredPath });
      expect(verify.stdout).toMatch(/^OK: \d+ events over \d+ changes, hash chain intact/);
      expect(verify.code).toBe(0);

      // One snapshot: changes 1..n with no gap, every one with its events, n between the counts seen.
      const db = new Database(restoredPath, { readonly: true });
      const ids = db.prepare('SELECT id FROM changes ORDER BY id').pluck().all() as number[];
      const withoutEvents = db.prepare('SELECT count(*) FROM changes c WHERE NOT EXISTS (SELECT 1 FROM change_events e WHERE e.change_id = c.id)').pluck().get();
      db.close();
      console.log(`backup under load: ${before} changes written when it started, ${after} when it finished, ${ids.length} in the backup`);
      expect(ids.length).toBeGreaterThanOrEqual(before);
      expect(ids.length).toBeLessThanOrEqual(after + 20);
      expect(ids.at(-1)).toBe(ids.length);
      expect(withoutEvents).toBe(0);
    } finally {
      writer.kill('SIGKILL');
    }
  }, 120_000);

  it('refuses to overwrite a backup without --force, and keeps the replaced database on restore', async () => {
    const live = join(dir, 'small.db');
    const script = join(dir, 'small-writer.mjs');
    writeFileSync(script, writerScript(live));
    const writer = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'ignore'] });
    let written = 0;
    writer.stdout.on('data', (c: Buffer) => (written = Number(c.toString().trim().split('\n').pop())));
    await waitFor(() => written >= 20, 'a few changes', 20_000);
    writer.kill('SIGKILL');
    await new Promise((r) => writer.on('exit', r));

    const file = join(dir, 'small-backup.db');
    expect((await runBuiltCliAsync(['backup', file], { STOPGAP_DB: live })).code).toBe(0);
    const again = await runBuiltCliAsync(['backup', file], { STOPGAP_DB: live });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('small-backup.db exists; choose another name, or give --force to replace it');
    expect((await runBuiltCliAsync(['backup', file, '--force'], { STOPGAP_DB: live })).code).toBe(0);

    const target = join(dir, 'target.db');
    expect((await runBuiltCliAsync(['migrate'], { STOPGAP_DB: target })).code).toBe(0);
    const restore = await runBuiltCliAsync(['restore', file], { STOPGAP_DB: target });
    expect(restore.code).toBe(0);
    const kept = /kept as (.*)\.\n/.exec(restore.stdout)?.[1];
    expect(kept).toBeDefined();
    expect(existsSync(kept as string)).toBe(true);
    expect(statSync(kept as string).mode & 0o777).toBe(0o600);
    const keptDb = new Database(kept as string, { readonly: true });
    expect(keptDb.prepare('SELECT count(*) FROM changes').pluck().get()).toBe(0);
    keptDb.close();

    // Not a backup: a text file, and a database whose ledger was edited behind its back.
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not a database');
    const notDb = await runBuiltCliAsync(['restore', junk], { STOPGAP_DB: target });
    expect(notDb.code).toBe(2);
    expect(notDb.stderr).toContain('is not a SQLite database');
    const tampered = join(dir, 'tampered.db');
    expect((await runBuiltCliAsync(['backup', tampered], { STOPGAP_DB: live })).code).toBe(0);
    const t = new Database(tampered);
    // What someone rewriting history would do first: the append-only triggers go.
    t.exec('DROP TRIGGER change_events_no_update');
    t.prepare("UPDATE change_events SET data = replace(data, 'load change 1:', 'load change one:') WHERE seq = 1").run();
    t.close();
    const refused = await runBuiltCliAsync(['restore', tampered], { STOPGAP_DB: target });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^Not restored: .* failed its checks; .* is unchanged\.\n {2}- ledger: /);
    expect((await runBuiltCliAsync(['verify'], { STOPGAP_DB: target })).code).toBe(0);

    const help = await runBuiltCliAsync(['restore', '--help'], { STOPGAP_DB: target });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: stopgap restore FILE');
  }, 60_000);
});
