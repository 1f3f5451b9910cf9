import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keepDecision, type AuditEvent } from '../../src/audit/events.js';
import { watchedResources } from '../../src/audit/watched.js';
import { AuditStore } from '../../src/store/audit-store.js';
import { openMigratedDb, type Db } from '../../src/store/db.js';
import { kubectlEvent } from '../../src/demo/kubectl-audit.js';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stopgap-audit-'));
  db = openMigratedDb(join(dir, 'stopgap.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const record = (at: string, auditId: string) => {
  const d = keepDecision(kubectlEvent('scale', { at, auditId }) as AuditEvent, { watched: watchedResources([{ group: 'apps', kind: 'Deployment' }]), automationUsers: [] });
  if (!d.keep) throw new Error(d.reason);
  return d.record;
};

describe('audit events kept', () => {
  it('stores each event once per cluster, and deletes those past the retention', () => {
    const store = new AuditStore(db);
    const now = new Date('2026-12-01T00:00:00Z');
    expect(store.storeBatch('prod', [record('2026-10-01T00:00:00Z', 'old'), record('2026-11-30T00:00:00Z', 'new')], now)).toBe(2);
    expect(store.storeBatch('prod', [record('2026-11-30T00:00:00Z', 'new')], now)).toBe(0);
    // The same auditID from another cluster is another event.
    expect(store.storeBatch('staging', [record('2026-11-30T00:00:00Z', 'new')], now)).toBe(1);
    expect(store.purge(now, 30 * 86_400_000)).toBe(1);
    expect(db.prepare('SELECT cluster, audit_id FROM audit_events ORDER BY id').all()).toEqual([
      { cluster: 'prod', audit_id: 'new' },
      { cluster: 'staging', audit_id: 'new' },
    ]);
  });
});
