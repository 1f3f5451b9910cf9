import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffObjects } from '../../src/drift/diff.js';
import type { Finding } from '../../src/drift/findings.js';
import { recordObservation } from '../../src/store/findings-store.js';
import type { KubeObject, ObjectRef } from '../../src/drift/types.js';
import { openMigratedDb, type Db } from '../../src/store/db.js';
import { LedgerStore } from '../../src/store/ledger-store.js';
import { LinksStore } from '../../src/store/links-store.js';
import { desiredDeployment, liveDeployment } from '../../src/demo/kube-objects.js';

let dir: string;
let db: Db;
let ledger: LedgerStore;
let links: LinksStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stopgap-links-'));
  db = openMigratedDb(join(dir, 'stopgap.db'));
  ledger = new LedgerStore(db);
  links = new LinksStore(db, ledger);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const NOW = new Date('2026-11-30T03:30:00Z');
const ref = (name: string, namespace = 'shop'): ObjectRef => ({ group: 'apps', version: 'v1', kind: 'Deployment', namespace, name, uid: `uid-${name}` });

function scaled(name: string, at: string, cluster = 'prod'): Finding {
  const o = { name, replicas: 3, liveReplicas: 8, scaledBy: { manager: 'kubectl', time: at } };
  const desired: KubeObject = desiredDeployment(o);
  const live: KubeObject = liveDeployment(o);
  const { differences } = diffObjects(desired, live);
  const result = recordObservation(db, { cluster, ref: ref(name), source: 'directory', differences, desired, live }, NOW);
  expect(result.created).toHaveLength(1);
  return result.created[0]!;
}

function log(text: string, resources: { kind: string; name: string; namespace?: string }[], at: string, cluster?: string): number {
  return ledger.create({ description: text, actor: 'U0ALICE01', resources, source: 'command', ...(cluster ? { cluster } : {}) }, { now: new Date(at), defaultDueDays: 7 }).change.id;
}

describe('links between drift and changes', () => {
  it('links new drift to the change that names it, as a ledger event, and the ledger still verifies', async () => {
    const sg = log('scaled web to 8', [{ kind: 'deployment', name: 'web' }], '2026-11-30T03:13:00Z', 'prod');
    const f = scaled('web', '2026-11-30T03:12:00Z');
    const outcome = await links.linkFindingsSoon([f.id], ['prod'], NOW);
    expect(outcome).toEqual({ linked: [{ changeId: sg, findingIds: [f.id] }], ambiguous: [] });
    expect(links.linkOf(f.id)).toMatchObject({ changeId: sg, how: 'automatic', linkedBy: 'stopgap' });
    expect(ledger.events(sg).map((e) => e.type)).toEqual(['created', 'drift_linked']);
    expect(ledger.events(sg)[1]?.data).toEqual({ how: 'automatic', findings: [{ id: f.id, cluster: 'prod', object: 'Deployment.apps/shop/web', path: '/spec/replicas' }] });
    expect(links.withLiveDrift([sg])).toEqual(new Set([sg]));
    // Linking again changes nothing: a linked finding is not linked twice.
    expect(await links.linkFindingsSoon([f.id], ['prod'], NOW)).toEqual({ linked: [], ambiguous: [] });
    expect(ledger.verify().ok).toBe(true);
  });

  it('gives a change logged after the drift was seen the findings it names', async () => {
    const f = scaled('web', '2026-11-30T03:12:00Z');
    const other = scaled('api', '2026-11-30T03:12:00Z');
    const sg = log('scaled web to 8', [{ kind: 'deployment', name: 'web' }], '2026-11-30T03:40:00Z');
    const outcome = await links.linkChangeSoon(sg, ['prod'], NOW);
    expect(outcome.linked).toEqual([{ changeId: sg, findingIds: [f.id] }]);
    expect(links.linkOf(other.id)).toBeUndefined();
  });

  it('leaves ambiguous drift unlinked and says which changes could explain it', async () => {
    const a = log('scaled web', [{ kind: 'deployment', name: 'web' }], '2026-11-30T03:11:00Z', 'prod');
    const b = log('also scaled web', [{ kind: 'deployment', name: 'web' }], '2026-11-30T03:13:00Z', 'prod');
    const f = scaled('web', '2026-11-30T03:12:00Z');
    const outcome = await links.linkFindingsSoon([f.id], ['prod'], NOW);
    expect(outcome).toEqual({ linked: [], ambiguous: [{ findingId: f.id, outcome: 'ambiguous', changeIds: [a, b] }] });
    expect(links.linkOf(f.id)).toBeUndefined();
  });

  it('lets a person claim drift for a change, move it to another, and unclaim it, each a ledger event', async () => {
    const a = log('scaled web', [{ kind: 'deployment', name: 'web' }], '2026-11-30T03:11:00Z', 'staging');
    const b = log('ops work', [], '2026-11-30T03:15:00Z', 'prod');
    const f = scaled('web', '2026-11-30T03:12:00Z');
    expect(await links.claimSoon([f.id], a, 'U0ALICE01', NOW)).toEqual({ claimed: [f.id], already: [] });
    expect(await links.claimSoon([f.id], a, 'U0ALICE01', NOW)).toEqual({ claimed: [], already: [f.id] });
    expect(await links.claimSoon([f.id], b, 'U0BOB0001', NOW)).toEqual({ claimed: [f.id], already: [] });
    expect(links.linkOf(f.id)).toMatchObject({ changeId: b, how: 'claimed', linkedBy: 'U0BOB0001' });
    expect(ledger.events(a).map((e) => [e.type, e.actor])).toEqual([['created', 'U0ALICE01'], ['drift_linked', 'U0ALICE01'], ['drift_unlinked', 'U0BOB0001']]);
    expect(await links.unclaimSoon([f.id], 'U0BOB0001', NOW)).toEqual([{ changeId: b, findingIds: [f.id] }]);
    expect(links.linkOf(f.id)).toBeUndefined();
    expect(links.linksOf(b)).toEqual([]);
    expect(ledger.events(b).map((e) => e.type)).toEqual(['created', 'drift_linked', 'drift_unlinked']);
    expect(ledger.verify()).toMatchObject({ ok: true, problems: [] });
  });
});

describe('finding the changes that name an object', () => {
  it('indexes the names every change mentions, and the upgrade fills the index for changes logged before it', async () => {
    const sg = log('scaled web and api', [{ kind: 'deployment', name: 'web' }, { kind: 'deployment', name: 'api' }], '2026-11-30T03:13:00Z', 'prod');
    const names = () => db.prepare('SELECT name, change_id FROM change_names ORDER BY name').all();
    expect(names()).toEqual([{ name: 'api', change_id: sg }, { name: 'web', change_id: sg }]);
    // As a database from before the index was added: the migration's own statement rebuilds it.
    db.prepare('DELETE FROM change_names').run();
    const migration = readFileSync(new URL('../../migrations/009_change_names.sql', import.meta.url), 'utf8');
    db.exec(migration.slice(migration.indexOf('INSERT OR IGNORE')));
    expect(names()).toEqual([{ name: 'api', change_id: sg }, { name: 'web', change_id: sg }]);
    const f = scaled('web', '2026-11-30T03:12:00Z');
    expect((await links.linkFindingsSoon([f.id], ['prod'], NOW)).linked).toEqual([{ changeId: sg, findingIds: [f.id] }]);
  });
});
