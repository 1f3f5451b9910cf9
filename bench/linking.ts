/**
 * Linking 10,000 new findings against 10,000 open changes: the pure decision alone, and the whole pass
 * `serve` runs (read the open changes and unlinked findings, decide, write 10,000 links and their ledger
 * events in one transaction). Target: under 200 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { linkFindings, type LinkableFinding } from '../src/linking/link.js';
import type { LinkableChange } from '../src/linking/match.js';
import { openMigratedDb } from '../src/store/db.js';
import { LedgerStore } from '../src/store/ledger-store.js';
import { LinksStore } from '../src/store/links-store.js';
import { percentile } from './build.js';

const N = 10_000;
const RUNS = 7;
const T0 = Date.parse('2026-11-30T03:00:00Z');

// Objects repeat: about three open changes name each one, so the closest in time has to be picked.
const nameOf = (i: number) => `app-${i % 1500}`;
const nsOf = (i: number) => `team-${i % 3}`;
const clusterOf = (i: number) => `prod-${i % 2}`;

function changes(): LinkableChange[] {
  return Array.from({ length: N }, (_, i) => ({
    id: i + 1,
    cluster: clusterOf(i),
    resources: [{ kind: 'deployment', name: nameOf(i), namespace: nsOf(i) }, { kind: 'configmap', name: `${nameOf(i)}-config` }],
    createdAt: new Date(T0 + i * 1_000).toISOString(),
  }));
}

/** Nine in ten findings are on an object some change names; the rest are drift nobody logged. */
function findings(): LinkableFinding[] {
  return Array.from({ length: N }, (_, i) => {
    const j = (i * 7) % N;
    return {
    id: i + 1,
    object: { cluster: clusterOf(j), group: 'apps', kind: 'Deployment', namespace: nsOf(j), name: i % 10 === 9 ? `unlogged-${i}` : nameOf(j) },
    writtenAt: new Date(T0 + i * 997).toISOString(),
    firstSeen: new Date(T0 + i * 1_000 + 5_000).toISOString(),
    };
  });
}

export async function benchLinking(): Promise<void> {
  const cs = changes();
  const fs = findings();
  const pure: number[] = [];
  let decided = 0;
  for (let run = 0; run < RUNS; run++) {
    const t = performance.now();
    decided = linkFindings(fs, cs, ['prod-0', 'prod-1']).length;
    pure.push(performance.now() - t);
  }
  pure.sort((a, b) => a - b);

  const dir = mkdtempSync(join(tmpdir(), 'stopgap-bench-link-'));
  const stored: number[] = [];
  let linked = 0;
  try {
    for (let run = 0; run < 3; run++) {
      const db = openMigratedDb(join(dir, `link-${run}.db`));
      const ledger = new LedgerStore(db);
      const links = new LinksStore(db, ledger);
      db.transaction(() => {
        for (const c of cs) {
          ledger.create(
            { description: `scaled ${c.resources[0]?.name}`, actor: 'U0BENCH01', resources: [...c.resources], source: 'command', ...(c.cluster ? { cluster: c.cluster } : {}) },
            { now: new Date(c.createdAt), defaultDueDays: 7 },
          );
        }
        const insert = db.prepare(`INSERT INTO drift_findings (cluster, api_group, api_version, kind, namespace, name, path, difference, desired_json, live_json, manager, operation, manager_time, manager_class, source, first_seen, last_seen)
          VALUES (?, 'apps', 'v1', 'Deployment', ?, ?, ?, 'changed', '3', '8', 'kubectl', 'Update', ?, 'manual', 'directory', ?, ?)`);
        // One field per finding: the same object may drift in several fields.
        for (const f of fs) insert.run(f.object.cluster, f.object.namespace, f.object.name, `/metadata/labels/l${f.id}`, f.writtenAt, f.firstSeen, f.firstSeen);
      })();
      // The set-up's pages go to the database file now, not inside the timed commit.
      db.pragma('wal_checkpoint(TRUNCATE)');
      const t = performance.now();
      const outcome = await links.linkFindingsSoon('all', ['prod-0', 'prod-1'], new Date(T0 + 86_400_000));
      stored.push(performance.now() - t);
      linked = outcome.linked.reduce((n, l) => n + l.findingIds.length, 0);
      if (!ledger.verify().ok) throw new Error('the ledger does not verify after linking');
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  stored.sort((a, b) => a - b);
  console.log(`linking ${N} new findings against ${N} open changes (${decided} decisions, ${linked} links written)`);
  console.log(`  decision only (pure): median ${percentile(pure, 50).toFixed(1)} ms   min ${pure[0]?.toFixed(1)} ms   (${RUNS} runs)`);
  console.log(`  whole pass (read, decide, write links + ledger events, commit): median ${percentile(stored, 50).toFixed(1)} ms   min ${stored[0]?.toFixed(1)} ms   (3 runs)   target < 200 ms`);
}
