import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, DriftConfig } from '../../src/config/clusters.js';
import { ensureFingerprintKey } from '../../src/store/findings-store.js';
import { makeFingerprint } from '../../src/drift/fingerprint.js';
import { createKubeClient } from '../../src/k8s/client.js';
import type { KubeClient } from '../../src/k8s/client.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import type { DriftEvent } from '../../src/k8s/drift-events.js';
import type { ScanSettings } from '../../src/k8s/scan-settings.js';
import type { ScanDeps } from '../../src/k8s/scanner.js';
import { openMigratedDb } from '../../src/store/db.js';
import type { Db } from '../../src/store/db.js';
import type { FakeKube } from '../../src/demo/fake-kube.js';
import { closedPort, startFakeKube, writeKubeconfig } from '../../src/demo/fake-kube.js';

/** Fast timings: milliseconds, so fault tests take a moment, not minutes. */
export const FAST: ScanSettings = {
  pageSize: 2,
  requestIdleMs: 1000,
  // Long enough that a quiet watch on a busy machine is not taken for a dead one; stall tests shorten it.
  inactivityMs: 2000,
  watchTimeoutSeconds: 30,
  resyncMs: 60_000,
  resyncJitter: 0,
  backoffInitialMs: 20,
  backoffMaxMs: 200,
  backoffJitter: 0,
};

export interface Harness {
  dir: string;
  dbPath: string;
  db: Db;
  fake: FakeKube;
  kubeconfig: string;
  events: DriftEvent[];
  deps: (overrides?: Partial<ScanDeps>) => ScanDeps;
  cluster: (overrides?: Record<string, unknown>) => ClusterConfig;
  client: () => KubeClient;
  close: () => Promise<void>;
}

/** A temp database, a fake API server, and a kubeconfig with a healthy and a dead context. */
export async function harness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-k8s-'));
  const dbPath = join(dir, 'stopgap.db');
  const db = openMigratedDb(dbPath);
  const fake = await startFakeKube();
  const dead = await closedPort();
  const kubeconfig = writeKubeconfig(
    [
      { name: 'fake', server: fake.url, token: fake.token },
      { name: 'dead', server: `http://127.0.0.1:${dead}` },
    ],
    { dir },
  );
  const events: DriftEvent[] = [];
  const fingerprint = makeFingerprint(ensureFingerprintKey(db));
  return {
    dir,
    dbPath,
    db,
    fake,
    kubeconfig,
    events,
    deps: (overrides = {}) => ({
      db,
      drift: DriftConfig.parse({}),
      settings: FAST,
      fingerprint,
      env: {},
      baseDir: dir,
      emit: (event) => events.push(event),
      ...overrides,
    }),
    cluster: (overrides = {}) =>
      ClusterConfig.parse({ name: 'prod', context: 'fake', kubeconfig, desired: { type: 'last-applied' }, ...overrides }),
    client: () => createKubeClient(loadKubeConfig({ context: 'fake', kubeconfig }, {})),
    close: async () => {
      await fake.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { waitFor } from '../../src/demo/wait.js';

/**
 * Measures how much work runs between two turns of the event loop: call `step()` once per unit of work;
 * `longest` is the most steps that ran while a callback queued behind them (a Slack request, say) waited.
 */
export function turnMeter(): { step(): void; readonly longest: number; reset(): void } {
  let waiting = false;
  let sinceTurn = 0;
  let longest = 0;
  return {
    step() {
      if (!waiting) {
        waiting = true;
        setImmediate(() => {
          waiting = false;
          sinceTurn = 0;
        });
      }
      sinceTurn += 1;
      longest = Math.max(longest, sinceTurn);
    },
    get longest() {
      return longest;
    },
    reset() {
      longest = 0;
    },
  };
}
