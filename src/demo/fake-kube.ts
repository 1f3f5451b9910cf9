/**
 * A fake Kubernetes API server on loopback: discovery, paginated lists, watch streams, and faults
 * injected per resource. The real `@kubernetes/client-node` KubeConfig talks to it through a
 * kubeconfig written by `writeKubeconfig`. Objects are raw JSON, exactly what a test puts in.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export type KubeJson = Record<string, unknown>;

export interface FakeResource {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export const DEFAULT_FAKE_RESOURCES: FakeResource[] = [
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  { group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false },
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true },
  { group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true },
  { group: 'batch', version: 'v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true },
  { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', plural: 'ingresses', namespaced: true },
  { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true },
  { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true },
  { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true },
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true },
];

/** Where a fault applies: the first list page, a list continuation, a watch, or any of them. */
export type FaultPhase = 'list' | 'continue' | 'watch' | 'any';

export type Fault =
  /** Answer with an error Status of this HTTP code. */
  | { type: 'status'; code: number; on?: FaultPhase; times?: number }
  /** A `continue` request answered with 410 Expired, as after etcd compaction. */
  | { type: 'expire-continue'; times?: number }
  /** A watch answered with an `ERROR` event carrying a 410 Gone Status. */
  | { type: 'gone'; times?: number }
  /** The connection is cut after this many watch events (mid-line), or mid-body for a list. */
  | { type: 'drop'; on?: FaultPhase; afterEvents?: number; times?: number }
  /** Headers are sent, then not one byte more, and the connection stays open. */
  | { type: 'stall'; on?: FaultPhase; times?: number };

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  watch: boolean;
}

interface StoredEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeJson;
}

interface Watcher {
  key: string;
  namespace: string | undefined;
  bookmarks: boolean;
  res: http.ServerResponse;
  sent: number;
  dropAfter: number | undefined;
  closed: boolean;
}

/**
 * A request the fake's RBAC denies, as SelfSubjectAccessReview answers it. Every field given must
 * match the review's resource attributes; an absent one matches anything (`namespace` absent: every
 * namespace and cluster-wide).
 */
export interface AccessDenial {
  verb?: string;
  group?: string;
  /** Plural resource name, e.g. `deployments`. */
  resource?: string;
  namespace?: string;
}

/** The resource attributes of a SelfSubjectAccessReview the fake answered, and its answer. */
export interface AccessReview {
  verb: string;
  group: string;
  resource: string;
  namespace: string;
  allowed: boolean;
}

export interface FakeKubeOptions {
  resources?: FakeResource[];
  token?: string;
}

function groupVersion(r: Pick<FakeResource, 'group' | 'version'>): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

function metadataOf(obj: KubeJson): KubeJson {
  const m = obj['metadata'];
  return m && typeof m === 'object' && !Array.isArray(m) ? (m as KubeJson) : {};
}

function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  410: 'Expired',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

export class FakeKube {
  readonly token: string;
  readonly requests: RecordedRequest[] = [];
  private readonly server: http.Server;
  private readonly resources: FakeResource[];
  /** resource key (`group/plural`) → object key (`namespace/name`) → object */
  private readonly store = new Map<string, Map<string, KubeJson>>();
  private readonly history = new Map<string, StoredEvent[]>();
  private readonly faults = new Map<string, Fault[]>();
  private readonly watchers = new Set<Watcher>();
  private readonly denials: AccessDenial[] = [];
  /** SelfSubjectAccessReviews answered, oldest first. */
  readonly accessReviews: AccessReview[] = [];
  private rv = 1000;
  /** Watches from a resourceVersion below this get 410 Gone, as after etcd compaction. */
  private compactedRv = 0;
  private portNumber = 0;

  constructor(options: FakeKubeOptions = {}) {
    this.resources = [...(options.resources ?? DEFAULT_FAKE_RESOURCES)];
    this.token = options.token ?? 'fake-token';
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.portNumber = (this.server.address() as AddressInfo).port;
    return this;
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get resourceVersion(): string {
    return String(this.rv);
  }

  // --- state ---------------------------------------------------------------------------------

  private resourceFor(apiVersion: string, kind: string): FakeResource {
    const r = this.resources.find((x) => groupVersion(x) === apiVersion && x.kind === kind)
      ?? this.resources.find((x) => x.kind === kind && apiVersion.startsWith(x.group === '' ? 'v' : `${x.group}/`));
    if (!r) throw new Error(`fake-k8s: no resource for ${apiVersion} ${kind}`);
    return r;
  }

  private storeKey(r: FakeResource): string {
    return `${r.group}/${r.plural}`;
  }

  /** Creates or replaces an object (raw JSON), emitting ADDED or MODIFIED to watchers. */
  put(object: KubeJson): KubeJson {
    const r = this.resourceFor(String(object['apiVersion']), String(object['kind']));
    const key = this.storeKey(r);
    const meta = metadataOf(object);
    const ns = r.namespaced ? String(meta['namespace'] ?? 'default') : '';
    const objKey = `${ns}/${String(meta['name'])}`;
    const objects = this.store.get(key) ?? new Map<string, KubeJson>();
    this.store.set(key, objects);
    const previous = objects.get(objKey);
    this.rv += 1;
    const stored: KubeJson = {
      ...object,
      metadata: {
        ...meta,
        ...(r.namespaced ? { namespace: ns } : {}),
        uid: previous ? metadataOf(previous)['uid'] : (meta['uid'] ?? randomUUID()),
        resourceVersion: String(this.rv),
        creationTimestamp: previous ? metadataOf(previous)['creationTimestamp'] : (meta['creationTimestamp'] ?? '2025-01-01T00:00:00Z'),
      },
    };
    objects.set(objKey, stored);
    this.emit(key, ns, { rv: this.rv, type: previous ? 'MODIFIED' : 'ADDED', object: stored });
    return stored;
  }

  /** Starts serving a resource from now on (in discovery too), as once its CRD is installed. */
  serve(resource: FakeResource): void {
    this.resources.push(resource);
  }

  /** Deletes an object, emitting DELETED. */
  delete(apiVersion: string, kind: string, name: string, namespace?: string): void {
    const r = this.resourceFor(apiVersion, kind);
    const key = this.storeKey(r);
    const ns = r.namespaced ? (namespace ?? 'default') : '';
    const objects = this.store.get(key);
    const previous = objects?.get(`${ns}/${name}`);
    if (!objects || !previous) throw new Error(`fake-k8s: no ${kind} ${ns}/${name}`);
    objects.delete(`${ns}/${name}`);
    this.rv += 1;
    const gone = { ...previous, metadata: { ...metadataOf(previous), resourceVersion: String(this.rv) } };
    this.emit(key, ns, { rv: this.rv, type: 'DELETED', object: gone });
  }

  get(apiVersion: string, kind: string, name: string, namespace?: string): KubeJson | undefined {
    const r = this.resourceFor(apiVersion, kind);
    const ns = r.namespaced ? (namespace ?? 'default') : '';
    return this.store.get(this.storeKey(r))?.get(`${ns}/${name}`);
  }

  /** Forgets watch history: watches from an older resourceVersion get ERROR 410 from now on. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history.clear();
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that asked for bookmarks. */
  bookmark(): void {
    for (const w of this.watchers) {
      if (!w.bookmarks || w.closed) continue;
      const r = this.resources.find((x) => this.storeKey(x) === w.key);
      const object = { kind: r?.kind, apiVersion: r ? groupVersion(r) : undefined, metadata: { resourceVersion: String(this.rv) } };
      w.res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
    }
  }

  /**
   * Injects a fault for a resource, by plural (`deployments`), `plural.group`, or `*`. Faults are
   * consumed in order, each `times` times (default 1; Infinity for a broken resource).
   */
  inject(target: string, fault: Fault): void {
    const list = this.faults.get(target) ?? [];
    list.push({ ...fault, times: fault.times ?? 1 });
    this.faults.set(target, list);
  }

  /** Cuts every open watch connection (of a plural, or all) now, as a restarting load balancer would. */
  dropWatches(plural?: string): void {
    for (const w of [...this.watchers]) {
      if (plural && !w.key.endsWith(`/${plural}`)) continue;
      w.closed = true;
      this.watchers.delete(w);
      w.res.socket?.destroy();
    }
  }

  /** Ends every open watch (of a plural, or all) cleanly, after what was sent, as the server does at `timeoutSeconds`. */
  closeWatches(plural?: string): void {
    for (const w of [...this.watchers]) {
      if (plural && !w.key.endsWith(`/${plural}`)) continue;
      w.closed = true;
      this.watchers.delete(w);
      w.res.end();
    }
  }

  /** Forgets injected faults and access denials. */
  clearFaults(): void {
    this.faults.clear();
    this.denials.length = 0;
  }

  /**
   * From now on SelfSubjectAccessReview (`POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`)
   * answers `allowed: false` for requests matching `rule`; everything else is allowed. Faults injected
   * for `selfsubjectaccessreviews` (status, stall) apply to the review itself.
   */
  denyAccess(rule: AccessDenial): void {
    this.denials.push({ ...rule });
  }

  /** Open watch connections for a plural (all resources when omitted). */
  openWatches(plural?: string): number {
    let n = 0;
    for (const w of this.watchers) if (!w.closed && (!plural || w.key.endsWith(`/${plural}`))) n++;
    return n;
  }

  requestsFor(plural: string, kind: 'list' | 'watch' | 'all' = 'all'): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.path.endsWith(`/${plural}`) && (kind === 'all' || (kind === 'watch') === r.watch),
    );
  }

  // --- serving -------------------------------------------------------------------------------

  private emit(key: string, ns: string, event: StoredEvent): void {
    const events = this.history.get(key) ?? [];
    events.push(event);
    this.history.set(key, events);
    for (const w of this.watchers) {
      if (w.key === key && (w.namespace === undefined || w.namespace === ns)) this.send(w, event);
    }
  }

  private send(w: Watcher, event: { type: string; object: unknown }): void {
    if (w.closed) return;
    const line = `${JSON.stringify(event)}\n`;
    if (w.dropAfter !== undefined && w.sent >= w.dropAfter) {
      // Cut mid-line, as a dying load balancer would.
      w.closed = true;
      this.watchers.delete(w);
      // Destroy only once the bytes before the cut have left: destroy() discards unsent data.
      w.res.write(line.slice(0, Math.max(1, Math.floor(line.length / 2))), () => w.res.socket?.destroy());
      return;
    }
    w.res.write(line);
    w.sent += 1;
  }

  private takeFault(targets: string[], phase: FaultPhase): Fault | undefined {
    for (const target of targets) {
      const list = this.faults.get(target);
      if (!list) continue;
      const index = list.findIndex((f) => {
        switch (f.type) {
          case 'expire-continue':
            return phase === 'continue';
          case 'gone':
            return phase === 'watch';
          default: {
            const on = f.on ?? 'any';
            return on === 'any' || on === phase || (on === 'list' && phase === 'continue');
          }
        }
      });
      if (index < 0) continue;
      const fault = list[index] as Fault;
      const left = (fault.times ?? 1) - 1;
      if (left <= 0) list.splice(index, 1);
      else list[index] = { ...fault, times: left };
      return fault;
    }
    return undefined;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams.entries());
    const watch = query['watch'] === 'true' || query['watch'] === '1';
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, watch });

    if (req.headers.authorization !== `Bearer ${this.token}`) {
      this.fail(res, 401, 'Unauthorized');
      return;
    }
    if (req.method === 'POST' && url.pathname === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
      this.serveAccessReview(req, res);
      return;
    }
    if (req.method !== 'GET') {
      this.fail(res, 405, `method ${req.method} not supported by the fake`);
      return;
    }
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/api') {
      this.json(res, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      return;
    }
    if (path === '/apis') {
      this.json(res, this.groupList());
      return;
    }
    const discovery = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (discovery) {
      const group = discovery[2] ?? '';
      const version = discovery[1] ?? (discovery[3] as string);
      const fault = this.takeFault([`apis/${groupVersion({ group, version })}`], 'any');
      if (fault?.type === 'status') {
        this.fail(res, fault.code, 'injected failure');
        return;
      }
      const resources = this.resources.filter((r) => r.group === group && r.version === version);
      if (resources.length === 0) {
        this.fail(res, 404, 'the server could not find the requested resource');
        return;
      }
      this.json(res, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: groupVersion({ group, version }),
        resources: resources.flatMap((r) => [
          {
            name: r.plural,
            singularName: r.kind.toLowerCase(),
            namespaced: r.namespaced,
            kind: r.kind,
            verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
          },
          { name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] },
        ]),
      });
      return;
    }
    const collection =
      /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)$/.exec(path);
    if (collection) {
      const group = collection[2] ?? '';
      const version = collection[1] ?? (collection[3] as string);
      const namespace = collection[4];
      const plural = collection[5] as string;
      const r = this.resources.find((x) => x.group === group && x.version === version && x.plural === plural);
      if (!r || (namespace !== undefined && !r.namespaced)) {
        this.fail(res, 404, 'the server could not find the requested resource');
        return;
      }
      if (watch) this.serveWatch(r, namespace, query, res);
      else this.serveList(r, namespace, query, res);
      return;
    }
    this.fail(res, 404, 'the server could not find the requested resource');
  }

  private groupList(): KubeJson {
    const groups = new Map<string, string[]>();
    for (const r of this.resources) {
      if (r.group === '') continue;
      const versions = groups.get(r.group) ?? [];
      if (!versions.includes(r.version)) versions.push(r.version);
      groups.set(r.group, versions);
    }
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => ({
        name,
        versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
      })),
    };
  }

  private faultTargets(r: FakeResource): string[] {
    return [r.plural, r.group === '' ? r.plural : `${r.plural}.${r.group}`, '*'];
  }

  private serveList(r: FakeResource, namespace: string | undefined, query: Record<string, string>, res: http.ServerResponse): void {
    const token = query['continue'];
    const fault = this.takeFault(this.faultTargets(r), token ? 'continue' : 'list');
    if (fault?.type === 'status') {
      this.fail(res, fault.code, 'injected failure');
      return;
    }
    if (fault?.type === 'expire-continue') {
      this.fail(res, 410, 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      return;
    }
    if (fault?.type === 'stall') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"kind":');
      return; // and never another byte
    }
    let after = '';
    if (token) {
      try {
        const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv: number; after: string };
        if (decoded.rv < this.compactedRv) {
          this.fail(res, 410, 'The provided continue parameter is too old to display a consistent list result.');
          return;
        }
        after = decoded.after;
      } catch {
        this.fail(res, 400, 'invalid continue token');
        return;
      }
    }
    const all = [...(this.store.get(this.storeKey(r)) ?? new Map<string, KubeJson>())]
      .filter(([k]) => namespace === undefined || k.startsWith(`${namespace}/`))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const start = after === '' ? 0 : all.findIndex(([k]) => k > after);
    const limit = query['limit'] ? Number(query['limit']) : Number.POSITIVE_INFINITY;
    const page = start < 0 ? [] : all.slice(start, start + limit);
    const last = page[page.length - 1];
    const more = start >= 0 && start + page.length < all.length && last !== undefined;
    // Real list items carry no apiVersion and kind: only the list does.
    const items = page.map(([, obj]) => {
      const { apiVersion: _a, kind: _k, ...rest } = obj;
      return rest;
    });
    const metadata: KubeJson = { resourceVersion: String(this.rv) };
    if (more) {
      metadata['continue'] = Buffer.from(JSON.stringify({ rv: this.rv, after: last[0] })).toString('base64url');
      metadata['remainingItemCount'] = all.length - start - page.length;
    }
    const body = JSON.stringify({ kind: `${r.kind}List`, apiVersion: groupVersion(r), metadata, items });
    if (fault?.type === 'drop') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(body.slice(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  }

  private serveWatch(r: FakeResource, namespace: string | undefined, query: Record<string, string>, res: http.ServerResponse): void {
    const fault = this.takeFault(this.faultTargets(r), 'watch');
    if (fault?.type === 'status') {
      this.fail(res, fault.code, 'injected failure');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    if (fault?.type === 'stall') return; // headers, then silence
    const fromRv = Number(query['resourceVersion'] ?? '0');
    if (fault?.type === 'gone' || (fromRv > 0 && fromRv < this.compactedRv)) {
      const status = JSON.parse(statusBody(410, 'Expired', `too old resource version: ${fromRv} (${this.compactedRv})`)) as unknown;
      res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
      return;
    }
    const key = this.storeKey(r);
    const w: Watcher = {
      key,
      namespace,
      bookmarks: query['allowWatchBookmarks'] === 'true' || query['allowWatchBookmarks'] === '1',
      res,
      sent: 0,
      dropAfter: fault?.type === 'drop' ? (fault.afterEvents ?? 0) : undefined,
      closed: false,
    };
    this.watchers.add(w);
    res.on('close', () => {
      w.closed = true;
      this.watchers.delete(w);
    });
    for (const event of this.history.get(key) ?? []) {
      const ns = String(metadataOf(event.object)['namespace'] ?? '');
      if (event.rv > fromRv && (namespace === undefined || ns === namespace)) this.send(w, event);
    }
    const timeoutSeconds = Number(query['timeoutSeconds'] ?? '0');
    if (timeoutSeconds > 0) {
      const timer = setTimeout(() => {
        if (!w.closed) res.end();
      }, timeoutSeconds * 1000);
      res.on('close', () => clearTimeout(timer));
    }
  }

  private serveAccessReview(req: http.IncomingMessage, res: http.ServerResponse): void {
    const fault = this.takeFault(['selfsubjectaccessreviews'], 'any');
    if (fault?.type === 'status') {
      this.fail(res, fault.code, 'injected failure');
      return;
    }
    if (fault?.type === 'stall') return; // not even headers
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let review: KubeJson;
      try {
        review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as KubeJson;
      } catch {
        this.fail(res, 400, 'request body is not JSON');
        return;
      }
      const spec = review['spec'];
      const attrs = spec && typeof spec === 'object' ? (spec as KubeJson)['resourceAttributes'] : undefined;
      if (!attrs || typeof attrs !== 'object') {
        this.fail(res, 400, 'spec.resourceAttributes: Required value');
        return;
      }
      const a = attrs as KubeJson;
      const text = (key: string): string => (typeof a[key] === 'string' ? (a[key] as string) : '');
      const asked = { verb: text('verb'), group: text('group'), resource: text('resource'), namespace: text('namespace') };
      const denied = this.denials.some(
        (d) =>
          (d.verb === undefined || d.verb === asked.verb) &&
          (d.group === undefined || d.group === asked.group) &&
          (d.resource === undefined || d.resource === asked.resource) &&
          (d.namespace === undefined || d.namespace === asked.namespace),
      );
      this.accessReviews.push({ ...asked, allowed: !denied });
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'SelfSubjectAccessReview',
          apiVersion: 'authorization.k8s.io/v1',
          metadata: { creationTimestamp: null },
          spec,
          status: denied ? { allowed: false, reason: 'no RBAC policy matched' } : { allowed: true, reason: 'allowed by the fake' },
        }),
      );
    });
  }

  private json(res: http.ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private fail(res: http.ServerResponse, code: number, message: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(statusBody(code, REASONS[code] ?? 'Unknown', message));
  }
}

export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  return new FakeKube(options).start();
}

export interface KubeconfigContext {
  name: string;
  server: string;
  token?: string;
}

/** Writes a kubeconfig with one context per entry (cluster and user of the same name). */
export function writeKubeconfig(contexts: KubeconfigContext[], options: { dir?: string; current?: string } = {}): string {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'stopgap-kubeconfig-'));
  const path = join(dir, 'kubeconfig.yaml');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: contexts.map((c) => ({ name: c.name, cluster: { server: c.server, 'insecure-skip-tls-verify': true } })),
    users: contexts.map((c) => ({ name: c.name, user: { token: c.token ?? 'fake-token' } })),
    contexts: contexts.map((c) => ({ name: c.name, context: { cluster: c.name, user: c.name } })),
    'current-context': options.current ?? contexts[0]?.name ?? '',
  };
  writeFileSync(path, stringify(config));
  return path;
}

/** A loopback port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
