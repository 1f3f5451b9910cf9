import type { KubeObject } from '../drift/types.js';
import { isRecord } from '../json.js';
import type { KubeClient, StreamEnd } from './client.js';
import { KubeRequestError } from './client.js';
import type { ApiResource } from './discovery.js';
import { apiVersionOf, collectionPath } from './discovery.js';

export interface ListOptions {
  namespace?: string;
  pageSize: number;
  idleTimeoutMs: number;
  signal?: AbortSignal;
  /** How many times an expired `continue` token restarts the list before giving up. */
  maxRelists?: number;
  /** Each page's items, apiVersion and kind filled in (list items carry neither); awaited before the next page. */
  onPage: (items: KubeObject[]) => void | Promise<void>;
  /** The list restarted from the first page: forget what the earlier pages said. */
  onRestart?: () => void;
}

export interface ListResult {
  resourceVersion: string;
  objects: number;
  pages: number;
}

/** Fills in apiVersion and kind, which the API server leaves out of list items. */
export function completeObject(item: Record<string, unknown>, resource: ApiResource): KubeObject {
  if (typeof item['apiVersion'] === 'string' && typeof item['kind'] === 'string') return item;
  return { apiVersion: apiVersionOf(resource), kind: resource.kind, ...item };
}

/**
 * Pages are kept near this size, whatever the objects weigh: a page is parsed (`JSON.parse`) in one
 * go, holding the event loop (and the Slack acks behind it) for as long as that takes.
 */
const PAGE_BYTES = 512 * 1024;
/** Objects on a first page, before anything is known of their size. */
const FIRST_PAGE = 100;

/**
 * Lists every object of a resource page by page (`limit`/`continue`), `pageSize` objects at most
 * per page, fewer when they are large. An expired continue token (410) restarts the list from
 * scratch. Throws on any other failure: a partial list is not a list.
 */
export async function listAll(client: KubeClient, resource: ApiResource, options: ListOptions): Promise<ListResult> {
  const path = collectionPath(resource, options.namespace);
  const maxRelists = options.maxRelists ?? 3;
  let relists = 0;
  let limit = Math.min(options.pageSize, FIRST_PAGE);
  for (;;) {
    let token: string | undefined;
    let objects = 0;
    let pages = 0;
    let restarted = false;
    do {
      let body: unknown;
      let chars = 0;
      try {
        body = await client.getJson(
          path,
          { limit, continue: token },
          {
            idleTimeoutMs: options.idleTimeoutMs,
            onBodyLength: (length) => {
              chars = length;
            },
            ...(options.signal ? { signal: options.signal } : {}),
          },
        );
      } catch (err) {
        if (token !== undefined && err instanceof KubeRequestError && err.status === 410 && relists < maxRelists) {
          relists += 1;
          restarted = true;
          options.onRestart?.();
          break;
        }
        throw err;
      }
      if (!isRecord(body) || !Array.isArray(body['items'])) {
        throw new KubeRequestError(`GET ${path}: the response is not a list`, { status: 200 });
      }
      const metadata = isRecord(body['metadata']) ? body['metadata'] : {};
      const items = (body['items'] as unknown[]).filter(isRecord).map((item) => completeObject(item, resource));
      pages += 1;
      objects += items.length;
      if (items.length > 0) limit = Math.max(1, Math.min(options.pageSize, Math.floor(PAGE_BYTES / (chars / items.length))));
      await options.onPage(items);
      const next = metadata['continue'];
      token = typeof next === 'string' && next !== '' ? next : undefined;
      if (token === undefined) {
        const rv = metadata['resourceVersion'];
        return { resourceVersion: typeof rv === 'string' ? rv : '', objects, pages };
      }
    } while (token !== undefined);
    if (!restarted) throw new KubeRequestError(`GET ${path}: list ended without a resourceVersion`, { status: 200 });
  }
}

export type WatchEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject }
  | { type: 'BOOKMARK'; resourceVersion: string };

export interface WatchOptions {
  namespace?: string;
  resourceVersion: string;
  /** Server-side duration of the watch. */
  timeoutSeconds: number;
  inactivityMs: number;
  signal?: AbortSignal;
  onEvent: (event: WatchEvent) => void;
}

/** How a watch ended. `gone`: the resourceVersion is too old (410), relist. */
export type WatchEnd = Exclude<StreamEnd, { type: 'failed' }> | { type: 'failed'; error: KubeRequestError } | { type: 'gone' };

/**
 * One watch connection from a resourceVersion, with bookmarks. Returns how it ended and the last
 * resourceVersion it saw (from objects and bookmarks), from which the next watch resumes.
 */
export async function watchOnce(
  client: KubeClient,
  resource: ApiResource,
  options: WatchOptions,
): Promise<{ end: WatchEnd; resourceVersion: string; events: number }> {
  const path = collectionPath(resource, options.namespace);
  let resourceVersion = options.resourceVersion;
  let events = 0;
  const end = await client.stream(
    path,
    {
      watch: 'true',
      allowWatchBookmarks: 'true',
      resourceVersion,
      timeoutSeconds: options.timeoutSeconds,
    },
    {
      inactivityMs: options.inactivityMs,
      ...(options.signal ? { signal: options.signal } : {}),
      onLine: (line) => {
        const event = JSON.parse(line) as unknown;
        if (!isRecord(event) || typeof event['type'] !== 'string' || !isRecord(event['object'])) {
          throw new KubeRequestError(`watch ${path}: malformed event`, { status: 200 });
        }
        const object = event['object'];
        const type = event['type'];
        if (type === 'ERROR') {
          const code = typeof object['code'] === 'number' ? object['code'] : 500;
          const message = typeof object['message'] === 'string' ? object['message'] : 'watch error';
          const reason = typeof object['reason'] === 'string' ? object['reason'] : undefined;
          throw new KubeRequestError(`watch ${path}: ${code}${reason ? ` ${reason}` : ''}: ${message}`, {
            status: code,
            ...(reason ? { reason } : {}),
          });
        }
        const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
        const rv = metadata['resourceVersion'];
        if (type === 'BOOKMARK') {
          if (typeof rv === 'string') resourceVersion = rv;
          events += 1;
          options.onEvent({ type: 'BOOKMARK', resourceVersion });
          return;
        }
        if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
        // Processed before the resourceVersion advances: a crash here replays the event, never skips it.
        options.onEvent({ type, object: completeObject(object, resource) });
        if (typeof rv === 'string') resourceVersion = rv;
        events += 1;
      },
    },
  );
  if (end.type === 'failed' && end.error.status === 410) return { end: { type: 'gone' }, resourceVersion, events };
  return { end, resourceVersion, events };
}
