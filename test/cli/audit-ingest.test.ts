import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { kubectlEvent } from '../../src/demo/kubectl-audit.js';
import { runCliCaptured } from '../support/cli.js';

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stopgap-ingest-'));
  writeFileSync(join(dir, 'stopgap.yml'), 'clusters:\n  - name: prod-eu\n    kinds: [Deployment, ConfigMap]\n  - name: staging\n');
  env = { STOPGAP_DB: join(dir, 'stopgap.db'), STOPGAP_CONFIG: join(dir, 'stopgap.yml') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('stopgap audit ingest', () => {
  it('keeps the writes people made from a JSON-lines audit log, once however often it is read', async () => {
    const log = join(dir, 'audit.log');
    // As the log backend writes it: one event per line, a blank line, no final newline.
    writeFileSync(log, [kubectlEvent('scale', { auditId: 'i-1' }), { ...kubectlEvent('edit', { auditId: 'i-2' }), verb: 'get' }, kubectlEvent('edit', { auditId: 'i-3' })].map((e) => JSON.stringify(e)).join('\n\n'));
    const first = await runCliCaptured(['audit', 'ingest', log, '--cluster', 'prod-eu'], env);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain('Read 3 events for prod-eu: kept 2 writes by people, 2 new.');
    const again = await runCliCaptured(['audit', 'ingest', log, '--cluster', 'prod-eu'], env);
    expect(again.stdout).toContain('kept 2 writes by people, 0 new.');
    const db = openDb(join(dir, 'stopgap.db'));
    expect(db.prepare('SELECT audit_id FROM audit_events ORDER BY id').all()).toEqual([{ audit_id: 'i-1' }, { audit_id: 'i-3' }]);
    db.close();
  });

  it('says what is wrong: no action, no file, not JSON, a cluster not named or unknown', async () => {
    expect(await runCliCaptured(['audit'], env)).toMatchObject({ code: 2, stderr: expect.stringContaining('stopgap audit ingest FILE|-') });
    expect(await runCliCaptured(['audit', 'replay', 'x'], env)).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown action 'replay'") });
    expect(await runCliCaptured(['audit', 'ingest', join(dir, 'none.log'), '--cluster', 'prod-eu'], env)).toMatchObject({ code: 2, stderr: expect.stringContaining('no such file') });
    const junk = join(dir, 'junk.log');
    writeFileSync(junk, 'this is not json\n');
    expect(await runCliCaptured(['audit', 'ingest', junk, '--cluster', 'prod-eu'], env)).toMatchObject({ code: 2, stderr: expect.stringContaining('is not JSON') });
    expect(await runCliCaptured(['audit', 'ingest', junk], env)).toMatchObject({ code: 2, stderr: expect.stringContaining('name the cluster with --cluster (configured: prod-eu, staging)') });
    expect(await runCliCaptured(['audit', 'ingest', junk, '--cluster', 'mars'], env)).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown cluster 'mars'") });
    const help = await runCliCaptured(['audit', '--help'], env);
    expect(help).toMatchObject({ code: 0 });
    expect(help.stdout).toContain('Usage: stopgap audit ingest');
  });
});
