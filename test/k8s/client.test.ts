import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeRequestError, createKubeClient } from '../../src/k8s/client.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { listAll, watchOnce } from '../../src/k8s/list-watch.js';
import type { WatchEvent } from '../../src/k8s/list-watch.js';
import type { ApiResource } from '../../src/k8s/discovery.js';
import type { KubeObject } from '../../src/drift/types.js';
import { writeKubeconfig } from '../../src/demo/fake-kube.js';
import type { Harness } from './helpers.js';
import { harness, waitFor } from './helpers.js';

const CONFIGMAPS: ApiResource = { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true };

function configMap(name: string, namespace = 'shop'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { name } };
}

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

describe('kubeconfig and client', () => {
  it('talks to the API server of the chosen context with its token, through the real KubeConfig', async () => {
    const body = (await h.client().getJson('/api')) as { versions: string[] };
    expect(body.versions).toEqual(['v1']);
    expect(h.fake.requests.at(-1)?.path).toBe('/api');
  });

  it('uses the current context when none is named, and KUBECONFIG from the given environment', async () => {
    const kc = loadKubeConfig({}, { KUBECONFIG: h.kubeconfig });
    expect(kc.getCurrentContext()).toBe('fake');
    const body = (await createKubeClient(kc).getJson('/apis')) as { groups: unknown[] };
    expect(body.groups.length).toBeGreaterThan(0);
  });

  it('names the known contexts when the configured one does not exist', () => {
    let error: unknown;
    try {
      loadKubeConfig({ context: 'prod-admin', kubeconfig: h.kubeconfig }, {});
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'cluster_unreachable' });
    expect((error as Error).message).toContain('"prod-admin" not found');
    expect((error as Error).message).toContain('fake, dead');
  });

  it('explains how to configure access when there is no kubeconfig at all', () => {
    expect(() => loadKubeConfig({}, { HOME: h.dir })).toThrow(/No kubeconfig found/);
  });

  it('reports a closed port as cluster_unreachable, not as an HTTP failure', async () => {
    const client = createKubeClient(loadKubeConfig({ context: 'dead', kubeconfig: h.kubeconfig }, {}));
    const error = await client.getJson('/api').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeRequestError);
    expect(error).toMatchObject({ code: 'cluster_unreachable', status: undefined });
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('turns an error Status into a k8s_request_failed error with its code and reason', async () => {
    const kubeconfig = writeKubeconfig([{ name: 'bad-token', server: h.fake.url, token: 'wrong' }], { dir: `${h.dir}` });
    const client = createKubeClient(loadKubeConfig({ kubeconfig }, {}));
    const error = await client.getJson('/api').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'k8s_request_failed', status: 401, reason: 'Unauthorized' });
  });
});

describe('paginated list', () => {
  it('follows continue tokens across pages and fills in apiVersion and kind', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) h.fake.put(configMap(name));
    const pages: KubeObject[][] = [];
    const result = await listAll(h.client(), CONFIGMAPS, { pageSize: 2, idleTimeoutMs: 1000, onPage: (items) => void pages.push(items) });
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((o) => (o['metadata'] as { name: string }).name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(pages.flat().every((o) => o['apiVersion'] === 'v1' && o['kind'] === 'ConfigMap')).toBe(true);
    expect(result).toMatchObject({ objects: 5, pages: 3, resourceVersion: h.fake.resourceVersion });
    const lists = h.fake.requestsFor('configmaps', 'list');
    expect(lists.map((r) => r.query['limit'])).toEqual(['2', '2', '2']);
    expect(lists[0]?.query['continue']).toBeUndefined();
    expect(lists[1]?.query['continue']).toBeTruthy();
  });

  it('asks for fewer objects per page when they are large, keeping each page near 512 KB', async () => {
    const blob = 'x'.repeat(60 * 1024);
    for (let i = 0; i < 30; i++) h.fake.put({ ...configMap(`cm-${String(i).padStart(2, '0')}`), data: { blob } });
    const pages: number[] = [];
    const result = await listAll(h.client(), CONFIGMAPS, { pageSize: 10, idleTimeoutMs: 1000, onPage: (items) => void pages.push(items.length) });
    expect(result.objects).toBe(30);
    // The configured page size first; then as many ~62 KB objects as fit in 512 KB.
    expect(h.fake.requestsFor('configmaps', 'list').map((r) => r.query['limit'])).toEqual(['10', '8', '8', '8']);
    expect(pages).toEqual([10, 8, 8, 4]);
  });

  it('restarts the list when a continue token expired (410)', async () => {
    for (const name of ['a', 'b', 'c']) h.fake.put(configMap(name));
    h.fake.inject('configmaps', { type: 'expire-continue' });
    let restarts = 0;
    const seen: string[] = [];
    const result = await listAll(h.client(), CONFIGMAPS, {
      pageSize: 2,
      idleTimeoutMs: 1000,
      onRestart: () => {
        restarts += 1;
        seen.length = 0;
      },
      onPage: (items) => void seen.push(...items.map((o) => (o['metadata'] as { name: string }).name)),
    });
    expect(restarts).toBe(1);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(result.objects).toBe(3);
  });

  it('fails on a 500 instead of returning a partial list', async () => {
    for (const name of ['a', 'b', 'c']) h.fake.put(configMap(name));
    h.fake.inject('configmaps', { type: 'status', code: 500, on: 'continue' });
    const error = await listAll(h.client(), CONFIGMAPS, { pageSize: 2, idleTimeoutMs: 1000, onPage: () => undefined }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'k8s_request_failed', status: 500 });
  });

  it('fails a list that stalls after its headers once the idle timeout passes', async () => {
    h.fake.put(configMap('a'));
    h.fake.inject('configmaps', { type: 'stall', on: 'list' });
    const error = await listAll(h.client(), CONFIGMAPS, { pageSize: 2, idleTimeoutMs: 100, onPage: () => undefined }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'cluster_unreachable' });
    expect((error as Error).message).toContain('no response for 100 ms');
  });

  it('fails a list whose connection drops mid-body', async () => {
    h.fake.put(configMap('a'));
    h.fake.inject('configmaps', { type: 'drop', on: 'list' });
    const error = await listAll(h.client(), CONFIGMAPS, { pageSize: 2, idleTimeoutMs: 1000, onPage: () => undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeRequestError);
  });
});

describe('watch', () => {
  async function watch(rv: string, inactivityMs = 1000): Promise<{ events: WatchEvent[]; result: Awaited<ReturnType<typeof watchOnce>> }> {
    const events: WatchEvent[] = [];
    const result = await watchOnce(h.client(), CONFIGMAPS, {
      resourceVersion: rv,
      timeoutSeconds: 30,
      inactivityMs,
      onEvent: (e) => events.push(e),
    });
    return { events, result };
  }

  it('streams events after the resourceVersion, with bookmarks, until the server ends the watch', async () => {
    h.fake.put(configMap('a'));
    const rv = h.fake.resourceVersion;
    h.fake.put(configMap('b'));
    h.fake.put({ ...configMap('a'), data: { changed: 'yes' } });
    h.fake.delete('v1', 'ConfigMap', 'b', 'shop');
    const pending = watch(rv);
    await waitFor(() => h.fake.openWatches('configmaps') === 1, 'the open watch');
    h.fake.bookmark();
    h.fake.closeWatches('configmaps');
    const { events, result } = await pending;
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);
    expect(result.end.type).toBe('closed');
    expect(result.resourceVersion).toBe(h.fake.resourceVersion);
    const request = h.fake.requestsFor('configmaps', 'watch')[0];
    expect(request?.query).toMatchObject({ watch: 'true', allowWatchBookmarks: 'true', resourceVersion: rv, timeoutSeconds: '30' });
  });

  it('ends with gone on an ERROR 410 event', async () => {
    h.fake.put(configMap('a'));
    const old = h.fake.resourceVersion;
    h.fake.put(configMap('b'));
    h.fake.compact();
    const { result } = await watch(old);
    expect(result.end.type).toBe('gone');
  });

  it('ends with dropped when the connection is cut mid-event', async () => {
    h.fake.put(configMap('a'));
    const rv = h.fake.resourceVersion;
    h.fake.inject('configmaps', { type: 'drop', on: 'watch', afterEvents: 1 });
    h.fake.put(configMap('b'));
    h.fake.put(configMap('c'));
    const { events, result } = await watch(rv);
    expect(events).toHaveLength(1);
    expect(result.end.type).toBe('dropped');
    // Resumes after the last complete event, not after the cut one.
    expect(Number(result.resourceVersion)).toBe(Number(rv) + 1);
  });

  it('ends with inactive when the server sends nothing for the inactivity timeout', async () => {
    h.fake.inject('configmaps', { type: 'stall', on: 'watch' });
    const { result } = await watch(h.fake.resourceVersion, 100);
    expect(result.end.type).toBe('inactive');
  });

  it('ends with failed on a 500', async () => {
    h.fake.inject('configmaps', { type: 'status', code: 500, on: 'watch' });
    const { result } = await watch(h.fake.resourceVersion);
    expect(result.end.type).toBe('failed');
    if (result.end.type === 'failed') expect(result.end.error.status).toBe(500);
  });
});
