import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openDb } from '../../src/store/db.js';
import { listActiveFindings, listResolvedFindings } from '../../src/store/findings-store.js';
import { lastAppliedSource, openDesiredSource } from '../../src/drift/sources/index.js';
import type { DesiredSource } from '../../src/drift/sources/index.js';
import { startDriftWatch } from '../../src/k8s/watch-supervisor.js';
import { watchResource } from '../../src/k8s/watch-resource.js';
import { backoffDelay } from '../../src/k8s/scan-settings.js';
import { diffObjects } from '../../src/drift/diff.js';
import type { DiffFn } from '../../src/k8s/observe.js';
import { OBJECTS_PER_TURN } from '../../src/k8s/list-kind.js';
import type { DriftWatch } from '../../src/k8s/watch-supervisor.js';
import { scanCluster } from '../../src/k8s/scanner.js';
import type { ScanDeps } from '../../src/k8s/scanner.js';
import type { DriftEvent } from '../../src/k8s/drift-events.js';
import type { ClusterConfig } from '../../src/config/clusters.js';
import type { Harness } from './helpers.js';
import { FAST, harness, turnMeter, waitFor } from './helpers.js';
import { desiredDeployment, liveConfigMap, liveDeployment } from '../../src/demo/kube-objects.js';
import { FakeScheduler, sequence } from '../support/fake-scheduler.js';

const SCALED = { manager: 'kubectl', time: '2025-03-02T09:58:00Z' };

let h: Harness;
let watch: DriftWatch | undefined;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await watch?.stop();
  watch = undefined;
  await h.close();
});

function start(clusters: ClusterConfig[] = [h.cluster({ kinds: ['Deployment'] })], deps: Partial<ScanDeps> = {}): DriftWatch {
  watch = startDriftWatch(clusters, h.deps(deps));
  return watch;
}

function ended(reason: string): Extract<DriftEvent, { type: 'watch-ended' }>[] {
  return h.events.filter((e): e is Extract<DriftEvent, { type: 'watch-ended' }> => e.type === 'watch-ended' && e.reason === reason);
}

function listed(): Extract<DriftEvent, { type: 'kind-listed' }>[] {
  return h.events.filter((e): e is Extract<DriftEvent, { type: 'kind-listed' }> => e.type === 'kind-listed');
}

async function watching(plural = 'deployments', n = 1): Promise<void> {
  await waitFor(() => h.fake.openWatches(plural) >= n, `${n} open watch(es) on ${plural}`);
}

/** Waits until the API server has been asked for the `n`th watch of a plural (its resync is scheduled by then). */
async function watchRequested(plural: string, n: number): Promise<void> {
  await waitFor(() => h.fake.requestsFor(plural, 'watch').length >= n, `watch request ${n} on ${plural}`);
}

function requestsTo(path: string): number {
  return h.fake.requests.filter((r) => r.path === path).length;
}

describe('drift watch', () => {
  it('a kubectl scale arriving by watch creates a finding; reverting it resolves the finding as reverted', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3 }));
    start();
    await watching();
    expect(listActiveFindings(h.db)).toEqual([]);

    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    const [finding] = await waitFor(() => {
      const active = listActiveFindings(h.db);
      return active.length > 0 && active;
    }, 'the finding');
    expect(finding).toMatchObject({ path: '/spec/replicas', desired: 3, live: 8, attribution: { manager: 'kubectl' } });
    expect(h.events).toContainEqual(expect.objectContaining({ type: 'findings-changed', created: [expect.objectContaining({ id: finding?.id })] }));

    h.fake.put(liveDeployment({ name: 'web', replicas: 3 }));
    await waitFor(() => listActiveFindings(h.db).length === 0, 'the resolution');
    expect(listResolvedFindings(h.db, new Date(0)).map((f) => [f.id, f.resolution])).toEqual([[finding?.id, 'reverted']]);
  });

  it('a DELETED event resolves the object’s findings as deleted', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    start();
    await watching();
    expect(listActiveFindings(h.db)).toHaveLength(1);
    h.fake.delete('apps/v1', 'Deployment', 'web', 'shop');
    await waitFor(() => listActiveFindings(h.db).length === 0, 'the resolution');
    expect(listResolvedFindings(h.db, new Date(0)).map((f) => f.resolution)).toEqual(['deleted']);
  });

  it('a declared object deleted by hand is one transaction: a failed write rolls back its resolutions too, and the replay reports them', async () => {
    const dir = join(h.dir, 'manifests');
    mkdirSync(dir);
    writeFileSync(join(dir, 'web.yaml'), stringify(desiredDeployment({ name: 'web', replicas: 3 })));
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    start([h.cluster({ kinds: ['Deployment'], desired: { type: 'directory', path: dir } })]);
    await watching();
    const [replicas] = listActiveFindings(h.db);
    expect(replicas?.path).toBe('/spec/replicas');

    // The store refuses the "declared object is missing" finding for a while.
    h.db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON drift_findings WHEN NEW.path = ''
      BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
    h.fake.delete('apps/v1', 'Deployment', 'web', 'shop');
    await waitFor(() => ended('failed').length > 0, 'the failed event');
    expect(listActiveFindings(h.db).map((f) => f.id)).toEqual([replicas?.id]);
    h.db.exec('DROP TRIGGER refuse');
    await waitFor(() => listActiveFindings(h.db).some((f) => f.path === ''), 'the missing-object finding');
    const changed = h.events.flatMap((e) => (e.type === 'findings-changed' ? [e] : []));
    expect(changed.flatMap((e) => e.resolved.map((f) => [f.id, f.resolution]))).toEqual([[replicas?.id, 'deleted']]);
    expect(changed.flatMap((e) => e.created.map((f) => f.path))).toEqual(['/spec/replicas', '']);
  });

  it('a burst of watch events takes turns with other work every few objects', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    const meter = turnMeter();
    let diffed = 0;
    const diff: DiffFn = (desired, live, options) => {
      meter.step();
      diffed += 1;
      return diffObjects(desired, live, options);
    };
    start([h.cluster({ kinds: ['Deployment'] })], { diff });
    await watching();
    meter.reset();
    // A rollout touching many objects at once: their events arrive together.
    const count = OBJECTS_PER_TURN * 4;
    for (let i = 0; i < count; i++) h.fake.put(liveDeployment({ name: `app-${i}`, replicas: 3, liveReplicas: 4, scaledBy: SCALED }));
    await waitFor(() => listActiveFindings(h.db).length === count, 'a finding for each');
    expect(diffed).toBe(1 + count);
    expect(meter.longest).toBeLessThanOrEqual(OBJECTS_PER_TURN);
  });

  it('bookmarks advance the resourceVersion the next watch resumes from', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    start();
    await watching();
    // Other resources move the cluster's resourceVersion; only a bookmark tells this watch.
    h.fake.put(liveConfigMap({ name: 'a', data: { x: '1' } }));
    h.fake.put(liveConfigMap({ name: 'b', data: { x: '1' } }));
    const bookmarked = h.fake.resourceVersion;
    h.fake.bookmark();
    // The server ends the watch after the bookmark, as at its timeout: the next one resumes from it.
    h.fake.closeWatches('deployments');
    await watchRequested('deployments', 2);
    const watches = h.fake.requestsFor('deployments', 'watch');
    expect(watches[1]?.query['resourceVersion']).toBe(bookmarked);
    expect(watches[0]?.query['resourceVersion']).not.toBe(bookmarked);
    expect(h.fake.requestsFor('deployments', 'list')).toHaveLength(1);
  });

  it('relists after an ERROR 410 Gone, and picks up changes made meanwhile', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    start();
    await watching();
    h.fake.dropWatches('deployments');
    // While nobody watches, the drift happens and history is compacted away.
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    h.fake.compact();
    await waitFor(() => ended('gone').length > 0, 'the 410');
    await waitFor(() => listActiveFindings(h.db).length === 1, 'the finding from the relist');
    expect(h.fake.requestsFor('deployments', 'list').length).toBeGreaterThanOrEqual(2);
    expect(ended('gone')[0]?.retryInMs).toBe(0);
  });

  it('restarts a dropped watch with exponential backoff and resumes where it was', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    for (let i = 0; i < 3; i++) h.fake.inject('deployments', { type: 'status', code: 500, on: 'watch' });
    start();
    await waitFor(() => ended('failed').length >= 3, 'three failed watches');
    await watching();
    const delays = ended('failed').map((e) => e.retryInMs);
    expect(delays.slice(0, 3)).toEqual([FAST.backoffInitialMs, FAST.backoffInitialMs * 2, FAST.backoffInitialMs * 4]);

    h.fake.dropWatches('deployments');
    await waitFor(() => ended('dropped').length > 0, 'the dropped watch');
    expect(ended('dropped')[0]).toMatchObject({ error: { code: 'cluster_unreachable' }, retryInMs: expect.any(Number) });
    expect(ended('dropped')[0]?.retryInMs).toBeGreaterThan(0);
    await watching();
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    await waitFor(() => listActiveFindings(h.db).length === 1, 'the finding after reconnecting');
    expect(h.fake.requestsFor('deployments', 'list')).toHaveLength(1);
    const watches = h.fake.requestsFor('deployments', 'watch');
    const rvs = watches.map((r) => Number(r.query['resourceVersion']));
    expect(rvs.every((rv) => rv === rvs[0])).toBe(true);
  });

  it('reconnects after the inactivity timeout when a watch stalls', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    h.fake.inject('deployments', { type: 'stall', on: 'watch' });
    start([h.cluster({ kinds: ['Deployment'] })], { settings: { ...FAST, inactivityMs: 150 } });
    await waitFor(() => ended('inactive').length > 0, 'the inactivity timeout');
    await waitFor(() => h.fake.requestsFor('deployments', 'watch').length >= 2, 'the reconnect');
    await watching();
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    await waitFor(() => listActiveFindings(h.db).length === 1, 'the finding after the stall');
  });

  it('a failing list is reported as a value, resolves nothing, and is retried with backoff', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    start();
    await watching();
    expect(listActiveFindings(h.db)).toHaveLength(1);
    await watch?.stop();

    // The drift is gone, but every list fails and no watch can start: the finding must stay.
    h.fake.put(liveDeployment({ name: 'web', replicas: 3 }));
    h.fake.inject('deployments', { type: 'status', code: 500, on: 'list', times: 2 });
    h.events.length = 0;
    start();
    await waitFor(() => h.events.filter((e) => e.type === 'kind-failed').length >= 2, 'two failed lists');
    const failures = h.events.filter((e) => e.type === 'kind-failed');
    expect(failures[0]).toMatchObject({ cluster: 'prod', mode: 'list', error: { code: 'k8s_request_failed' } });
    expect(ended('failed').map((e) => e.retryInMs).slice(0, 2)).toEqual([FAST.backoffInitialMs, FAST.backoffInitialMs * 2]);
    await waitFor(() => listed().length > 0, 'the list that finally succeeds');
    await waitFor(() => listActiveFindings(h.db).length === 0, 'the resolution by a successful list');
    expect(listResolvedFindings(h.db, new Date(0)).map((f) => f.resolution)).toEqual(['reverted']);
  });

  it('relists at every resync interval', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    const scheduler = new FakeScheduler();
    start([h.cluster({ kinds: ['Deployment'] })], { scheduler });
    await watchRequested('deployments', 1);
    scheduler.advance(FAST.resyncMs - 1);
    expect(h.fake.requestsFor('deployments', 'list')).toHaveLength(1);
    for (let n = 1; n <= 2; n++) {
      scheduler.advance(FAST.resyncMs);
      await waitFor(() => listed().filter((e) => e.mode === 'resync').length >= n, `resync ${n}`);
      await watchRequested('deployments', n + 1);
    }
    expect(ended('resync')).toHaveLength(2);
    expect(h.fake.requestsFor('deployments', 'list')).toHaveLength(3);
  });

  it('jitters the resyncs of different kinds apart instead of relisting them in lockstep', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    h.fake.put(liveConfigMap({ name: 'flags', data: { a: '1' } }));
    const scheduler = new FakeScheduler();
    // Up to half the interval earlier; the random source draws 0.8 for one kind and 0.2 for the other.
    start([h.cluster({ kinds: ['Deployment', 'ConfigMap'] })], { scheduler, random: sequence(0.8, 0.2), settings: { ...FAST, resyncJitter: 0.5 } });
    await watchRequested('deployments', 1);
    await watchRequested('configmaps', 1);
    const early = FAST.resyncMs * 0.6;
    const late = FAST.resyncMs * 0.9;
    // The two kinds' resyncs, and the cluster's desired-state reload at the full interval.
    expect(scheduler.pending()).toEqual([early, late, FAST.resyncMs]);
    const lists = (): number[] => [h.fake.requestsFor('deployments', 'list').length, h.fake.requestsFor('configmaps', 'list').length];
    scheduler.advance(early);
    await waitFor(() => lists().includes(2), 'the first kind’s resync');
    expect([...lists()].sort()).toEqual([1, 2]);
    scheduler.advance(late - early);
    await waitFor(() => lists().every((n) => n === 2), 'the other kind’s resync');
  });

  it('starts watching a configured CRD installed after the watch started, leaving the running watches alone', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    const scheduler = new FakeScheduler();
    start([h.cluster({ kinds: ['Deployment', 'widgets.example.com/v1alpha1/Widget'] })], { scheduler });
    await watchRequested('deployments', 1);
    const widgetFailures = (): number => h.events.filter((e) => e.type === 'kind-failed' && e.kind === 'Widget').length;
    expect(widgetFailures()).toBe(1);
    // Looked up again at every resync, the same failure is not reported again.
    for (let n = 1; n <= 3; n++) {
      scheduler.advance(FAST.resyncMs);
      await waitFor(() => requestsTo('/apis') >= 1 + n, `discovery at resync ${n}`);
      await watchRequested('deployments', 1 + n);
    }
    expect(widgetFailures()).toBe(1);

    h.fake.serve({ group: 'widgets.example.com', version: 'v1alpha1', kind: 'Widget', plural: 'widgets', namespaced: true });
    const widget = { apiVersion: 'widgets.example.com/v1alpha1', kind: 'Widget', metadata: { name: 'w', namespace: 'shop' }, spec: { size: 1 } };
    h.fake.put({
      ...widget,
      metadata: { ...widget.metadata, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(widget) } },
      spec: { size: 2 },
    });
    scheduler.advance(FAST.resyncMs);
    await watching('widgets');
    const [finding] = await waitFor(() => {
      const active = listActiveFindings(h.db);
      return active.length > 0 && active;
    }, 'the widget’s finding');
    expect(finding).toMatchObject({ ref: { kind: 'Widget', name: 'w' }, path: '/spec/size', desired: 1, live: 2 });
    expect(widgetFailures()).toBe(1);

    // The Deployment loop ran on undisturbed: listed once, then resynced at each of the 4 resyncs; never restarted.
    await watchRequested('deployments', 5);
    const deployments = listed().filter((e) => e.resource.kind === 'Deployment');
    expect(deployments.map((e) => e.mode)).toEqual(['list', 'resync', 'resync', 'resync', 'resync']);
    expect(h.fake.requestsFor('deployments', 'list')).toHaveLength(5);
    expect(h.events.filter((e) => e.type === 'watch-ended' && e.resource.kind === 'Deployment' && e.reason !== 'resync')).toEqual([]);
    expect(h.events.filter((e) => e.type === 'cluster-failed')).toEqual([]);
    await waitFor(() => h.fake.openWatches('deployments') === 1 && h.fake.openWatches('widgets') === 1, 'one watch each');
  });

  it('reports a pending kind again only when its discovery fails differently', async () => {
    const scheduler = new FakeScheduler();
    start([h.cluster({ kinds: ['Deployment', 'widgets.example.com/v1alpha1/Widget'] })], { scheduler });
    await watchRequested('deployments', 1);
    const widgetFailures = (): string[] => h.events.flatMap((e) => (e.type === 'kind-failed' && e.kind === 'Widget' ? [e.error.message] : []));
    expect(widgetFailures()).toEqual([expect.stringContaining('does not serve')]);
    // The CRD arrives, but its group's discovery fails for a while: that is news, once.
    h.fake.inject('apis/widgets.example.com/v1alpha1', { type: 'status', code: 503, times: 3 });
    h.fake.serve({ group: 'widgets.example.com', version: 'v1alpha1', kind: 'Widget', plural: 'widgets', namespaced: true });
    for (let n = 1; n <= 4; n++) {
      scheduler.advance(FAST.resyncMs);
      await waitFor(() => requestsTo('/apis/widgets.example.com/v1alpha1') >= n, `discovery of the widget group at resync ${n}`);
    }
    await watching('widgets');
    expect(widgetFailures()).toEqual([expect.stringContaining('does not serve'), expect.stringContaining('503')]);
  });

  it('overlapping reloads of desired state keep the newest: an older, slower one finishing last changes nothing', async () => {
    const dir = join(h.dir, 'manifests');
    mkdirSync(dir);
    const declare = (replicas: number): void => writeFileSync(join(dir, 'web.yaml'), stringify(desiredDeployment({ name: 'web', replicas })));
    declare(3);
    h.fake.put(liveDeployment({ name: 'web', replicas: 3 }));
    // Reads the directory as it is when called; hands the result back when the test says so.
    let release = (): void => undefined;
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const never = new Promise<void>(() => undefined);
    const gates: Promise<void>[] = [Promise.resolve(), slow, Promise.resolve(), never];
    let read = 0;
    let finished = 0;
    const desiredSource = async (...args: Parameters<typeof openDesiredSource>): Promise<DesiredSource> => {
      const call = read;
      const opened = await openDesiredSource(...args);
      read += 1;
      await gates[call];
      finished += 1;
      return opened;
    };
    const scheduler = new FakeScheduler();
    start([h.cluster({ kinds: ['Deployment'], desired: { type: 'directory', path: dir } })], { scheduler, desiredSource });
    await watchRequested('deployments', 1);
    expect(listActiveFindings(h.db)).toEqual([]);

    declare(4);
    scheduler.advance(FAST.resyncMs); // reload 1 reads 4, and is slow
    await waitFor(() => read === 2, 'reload 1 read');
    await watchRequested('deployments', 2);
    declare(5);
    scheduler.advance(FAST.resyncMs); // reload 2 reads 5, and is done at once
    await waitFor(() => finished === 2, 'reload 2 done');
    await watchRequested('deployments', 3);
    release(); // reload 1 finishes last
    await waitFor(() => finished === 3, 'reload 1 done');

    scheduler.advance(FAST.resyncMs); // the relist diffs against what desired state now is
    await waitFor(() => listed().filter((e) => e.mode === 'resync').length === 3, 'the third resync');
    expect(listActiveFindings(h.db).map((f) => [f.path, f.desired, f.live])).toEqual([['/spec/replicas', 5, 3]]);
  });

  it('keeps watching a healthy cluster while a broken one is retried with backoff', async () => {
    start([h.cluster({ name: 'broken', context: 'dead', kinds: ['Deployment'] }), h.cluster({ kinds: ['Deployment'] })]);
    await watching();
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    await waitFor(() => listActiveFindings(h.db, { cluster: 'prod' }).length === 1, 'the healthy cluster’s finding');
    await waitFor(() => h.events.filter((e) => e.type === 'cluster-failed' && e.cluster === 'broken').length >= 2, 'retries');
    const retries = h.events.flatMap((e) => (e.type === 'cluster-failed' && e.cluster === 'broken' ? [e.retryInMs] : []));
    expect(retries.slice(0, 2)).toEqual([FAST.backoffInitialMs, FAST.backoffInitialMs * 2]);
  });
});

describe('drift watch, failures inside a loop', () => {
  it('a kind found at a resync whose loop fails is retried alone with backoff: no unhandled rejection, other kinds undisturbed', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      h.fake.put(liveDeployment({ name: 'web' }));
      const scheduler = new FakeScheduler();
      let armed = false;
      let thrown = 0;
      const aboutWidgets = (e: DriftEvent): boolean =>
        (e.type === 'kind-listed' && e.resource.kind === 'Widget') || (e.type === 'kind-failed' && e.kind.endsWith('/Widget'));
      start([h.cluster({ kinds: ['Deployment', 'widgets.example.com/v1alpha1/Widget'] })], {
        scheduler,
        // A bug outside the cluster's control: the event sink throws on the new kind's list, twice
        // (its success, then its failure), so that the kind's loop rejects; and again on the retry.
        emit: (event) => {
          h.events.push(event);
          if (armed && thrown < 4 && aboutWidgets(event)) {
            thrown += 1;
            throw new Error('event sink failed');
          }
        },
      });
      await watchRequested('deployments', 1);

      h.fake.serve({ group: 'widgets.example.com', version: 'v1alpha1', kind: 'Widget', plural: 'widgets', namespaced: true });
      const widget = { apiVersion: 'widgets.example.com/v1alpha1', kind: 'Widget', metadata: { name: 'w', namespace: 'shop' }, spec: { size: 1 } };
      h.fake.put({
        ...widget,
        metadata: { ...widget.metadata, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(widget) } },
        spec: { size: 2 },
      });
      armed = true;
      scheduler.advance(FAST.resyncMs);
      const loopFailures = (): Extract<DriftEvent, { type: 'loop-failed' }>[] =>
        h.events.filter((e): e is Extract<DriftEvent, { type: 'loop-failed' }> => e.type === 'loop-failed');
      await waitFor(() => loopFailures().length >= 1, 'the failed loop reported');
      scheduler.advance(FAST.backoffInitialMs);
      await waitFor(() => loopFailures().length >= 2, 'the retry failing too');
      scheduler.advance(FAST.backoffInitialMs * 2);
      await watching('widgets');
      await waitFor(() => listActiveFindings(h.db).length === 1, 'the widget’s finding');

      expect(loopFailures().map((e) => [e.cluster, e.resource.kind, e.error.message, e.retryInMs])).toEqual([
        ['prod', 'Widget', 'event sink failed', FAST.backoffInitialMs],
        ['prod', 'Widget', 'event sink failed', FAST.backoffInitialMs * 2],
      ]);
      expect(unhandled).toEqual([]);
      // The Deployment loop ran on: listed once, resynced once, never restarted; the cluster never failed.
      expect(h.fake.requestsFor('deployments', 'list')).toHaveLength(2);
      expect(h.events.filter((e) => e.type === 'watch-ended' && e.resource.kind === 'Deployment' && e.reason !== 'resync')).toEqual([]);
      expect(h.events.filter((e) => e.type === 'cluster-failed')).toEqual([]);
      h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
      await waitFor(() => listActiveFindings(h.db).length === 2, 'the Deployment’s finding');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a loop that fails is restarted alone after a backoff: its siblings run on, and each kind is watched once', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    h.fake.put(liveConfigMap({ name: 'flags', data: { a: '1' } }));
    const scheduler = new FakeScheduler();
    let thrown = false;
    start([h.cluster({ kinds: ['Deployment', 'ConfigMap'] })], {
      scheduler,
      // A bug outside the cluster's control (here: the event sink throws once) rejects one loop.
      emit: (event) => {
        h.events.push(event);
        if (!thrown && event.type === 'watch-ended' && event.resource.kind === 'Deployment') {
          thrown = true;
          throw new Error('event sink failed');
        }
      },
    });
    await watching('deployments');
    await watching('configmaps');
    h.fake.dropWatches('deployments');
    await waitFor(() => h.events.some((e) => e.type === 'loop-failed'), 'the failed loop');
    expect(h.events.filter((e) => e.type === 'loop-failed')).toEqual([
      expect.objectContaining({ resource: expect.objectContaining({ kind: 'Deployment' }), error: expect.objectContaining({ message: 'event sink failed' }), retryInMs: FAST.backoffInitialMs }),
    ]);
    scheduler.advance(FAST.backoffInitialMs);
    await waitFor(() => h.fake.requestsFor('deployments', 'list').length === 2, 'the restarted loop’s list');
    await waitFor(() => h.fake.openWatches('deployments') === 1, 'one watch on deployments');
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    h.fake.put(liveConfigMap({ name: 'flags', data: { a: '1' }, liveData: { a: '2' }, editedBy: SCALED }));
    await waitFor(() => listActiveFindings(h.db).length === 2, 'a finding from each kind');
    // The ConfigMap loop was never disturbed, and no leftover Deployment loop lists or watches.
    expect(h.fake.requestsFor('configmaps', 'list')).toHaveLength(1);
    expect(h.fake.requestsFor('configmaps', 'watch')).toHaveLength(1);
    expect(h.fake.requestsFor('deployments', 'list')).toHaveLength(2);
    expect(h.fake.openWatches('deployments')).toBe(1);
    expect(h.events.filter((e) => e.type === 'cluster-failed')).toEqual([]);
  });

  it('a store failure while recording a list is a value: the loop retries with backoff and never rejects', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    const deps = h.deps();
    const ctx = {
      db: h.db,
      cluster: 'prod',
      source: lastAppliedSource(),
      drift: deps.drift,
      fingerprint: deps.fingerprint,
      now: () => new Date(),
      client: h.client(),
      settings: FAST,
      emit: (event: DriftEvent) => h.events.push(event),
    };
    const resource = { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespaced: true };
    h.db.exec('ALTER TABLE drift_scan_runs RENAME TO drift_scan_runs_away');
    const controller = new AbortController();
    let rejected: unknown;
    const loop = watchResource(ctx, resource, controller.signal).catch((err: unknown) => {
      rejected = err;
    });
    try {
      await waitFor(() => ended('failed').length >= 2 || rejected, 'two failed lists');
      expect(rejected).toBeUndefined();
      expect(h.events.filter((e) => e.type === 'kind-failed')[0]).toMatchObject({ error: { message: expect.stringContaining('drift_scan_runs') } });
      h.db.exec('ALTER TABLE drift_scan_runs_away RENAME TO drift_scan_runs');
      await waitFor(() => listed().length > 0, 'a list once the store is back');
      await watching();
    } finally {
      controller.abort();
      await loop;
    }
    expect(rejected).toBeUndefined();
  });

  it('clears findings of a kind no longer configured when the watch starts', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    await scanCluster(h.cluster({ kinds: ['Deployment'] }), h.deps());
    expect(listActiveFindings(h.db)).toHaveLength(1);
    start([h.cluster({ kinds: ['ConfigMap'] })]);
    await watching('configmaps');
    await waitFor(() => listActiveFindings(h.db).length === 0, 'the finding cleared');
    expect(listResolvedFindings(h.db, new Date(0)).map((f) => f.resolution)).toEqual(['cleared']);
  });
});

describe('drift watch, busy database', () => {
  it('records an event that arrives while another writer holds the lock once it is released, without restarting the watch', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    const scheduler = new FakeScheduler();
    start([h.cluster({ kinds: ['Deployment'] })], { scheduler, random: () => 1 });
    await watchRequested('deployments', 1);
    const timers = scheduler.pending().length; // the resync and the reload
    h.db.pragma('busy_timeout = 0'); // as with a short busy timeout: SQLITE_BUSY at once
    const other = openDb(h.dbPath);
    other.exec('BEGIN IMMEDIATE'); // another process is writing
    try {
      h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
      await waitFor(() => scheduler.pending().length > timers, 'the write tried again later');
      expect(listActiveFindings(h.db)).toEqual([]);
    } finally {
      other.exec('COMMIT');
      other.close();
    }
    scheduler.advance((scheduler.pending()[0] as number) - scheduler.now());
    await waitFor(() => listActiveFindings(h.db).length === 1, 'the finding');
    expect(h.events.filter((e) => e.type === 'watch-ended')).toEqual([]);
    expect(h.fake.requestsFor('deployments', 'watch')).toHaveLength(1);
    expect(h.fake.openWatches('deployments')).toBe(1);
    // Later events carry on as usual.
    h.fake.put(liveDeployment({ name: 'web', replicas: 3 }));
    await waitFor(() => listActiveFindings(h.db).length === 0, 'the resolution');
  });
});

describe('backoff', () => {
  it('doubles from the initial delay up to the maximum, with bounded jitter', () => {
    const settings = { backoffInitialMs: 100, backoffMaxMs: 1000, backoffJitter: 0 };
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(settings, a))).toEqual([100, 200, 400, 800, 1000, 1000]);
    const jittered = backoffDelay({ ...settings, backoffJitter: 0.5 }, 2, () => 1);
    expect(jittered).toBe(200);
  });
});
