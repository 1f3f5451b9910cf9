import http from 'node:http';
import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import type { KubeConfig } from '@kubernetes/client-node';
import { StopgapError } from '../errors.js';

export type Query = Record<string, string | number | boolean | undefined>;

/**
 * A failed request to the API server. `status` is the HTTP status when there was a response;
 * without one, the cluster could not be reached (or stopped answering).
 */
export class KubeRequestError extends StopgapError {
  readonly status: number | undefined;
  readonly reason: string | undefined;

  constructor(message: string, options: { status?: number; reason?: string; cause?: unknown } = {}) {
    super(options.status === undefined ? 'cluster_unreachable' : 'k8s_request_failed', message, { cause: options.cause });
    this.status = options.status;
    this.reason = options.reason;
  }
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** No bytes for this long → the request fails. */
  idleTimeoutMs?: number;
  /** Told the length (in characters) of a successful response body before it is parsed. */
  onBodyLength?: (chars: number) => void;
}

/** How a watch stream ended. Only `closed` is the server ending the watch normally. */
export type StreamEnd =
  | { type: 'closed' }
  | { type: 'inactive' }
  | { type: 'dropped'; error: KubeRequestError }
  | { type: 'failed'; error: KubeRequestError }
  | { type: 'aborted' };

export interface StreamOptions {
  signal?: AbortSignal;
  /** No bytes (not even a bookmark) for this long → the stream is considered dead. */
  inactivityMs: number;
  /** Called with each complete line; a throw ends the stream as `failed`. */
  onLine: (line: string) => void;
}

/** Raw JSON access to one cluster's API server: no typed models, so no field is ever dropped. */
export interface KubeClient {
  readonly server: string;
  getJson(path: string, query?: Query, options?: RequestOptions): Promise<unknown>;
  stream(path: string, query: Query, options: StreamOptions): Promise<StreamEnd>;
}

function buildUrl(server: string, path: string, query: Query = {}): URL {
  const url = new URL(server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined) url.searchParams.set(k, String(v));
  }
  return url;
}

function statusError(path: string, status: number, body: string): KubeRequestError {
  let reason: string | undefined;
  let message = body.slice(0, 300);
  try {
    const parsed = JSON.parse(body) as { reason?: unknown; message?: unknown };
    if (typeof parsed.reason === 'string') reason = parsed.reason;
    if (typeof parsed.message === 'string') message = parsed.message.slice(0, 300);
  } catch {
    // not a Status object: keep the start of the body
  }
  return new KubeRequestError(`GET ${path}: ${status}${reason ? ` ${reason}` : ''}${message ? `: ${message}` : ''}`, {
    status,
    ...(reason ? { reason } : {}),
  });
}

function connectionError(server: string, path: string, cause: unknown): KubeRequestError {
  const err = cause as NodeJS.ErrnoException;
  const detail = err.code ? `${err.code}${err.message.includes(err.code) ? '' : ` ${err.message}`}` : err.message;
  return new KubeRequestError(
    `GET ${path} on ${server}: ${detail}. Check that the cluster is reachable from here and that the kubeconfig context points at it.`,
    { cause },
  );
}

/**
 * An abort controller that fires when the caller's signal aborts or when `ms` pass without `arm()`
 * being called again (no bytes from the server): the idle timeout of a list and of a watch.
 */
function idleAbort(signal: AbortSignal | undefined, ms: number) {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let fired = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      fired = true;
      controller.abort();
    }, ms);
  };
  arm();
  return {
    controller,
    arm,
    fired: (): boolean => fired,
    dispose: (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** A client for the KubeConfig's current context. Credentials are applied per request (tokens expire). */
export function createKubeClient(kc: KubeConfig): KubeClient {
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new StopgapError('cluster_unreachable', 'The kubeconfig has no current cluster. Set a context.');
  }
  const server = cluster.server;

  async function open(path: string, query: Query, signal: AbortSignal | undefined): Promise<{
    req: http.ClientRequest;
    res: http.IncomingMessage;
  }> {
    const url = buildUrl(server, path, query);
    const options: https.RequestOptions = {};
    try {
      await kc.applyToHTTPSOptions(options);
    } catch (cause) {
      throw new KubeRequestError(`Cannot authenticate to ${server}: ${(cause as Error).message}`, { cause });
    }
    const transport = url.protocol === 'https:' ? https : http;
    const headers = { ...(options.headers as http.OutgoingHttpHeaders | undefined), accept: 'application/json', 'user-agent': 'stopgap' };
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { ...options, method: 'GET', headers, ...(signal ? { signal } : {}) }, (res) =>
        resolve({ req, res }),
      );
      req.on('error', (cause) => reject(cause));
      req.end();
    });
  }

  async function getJson(path: string, query: Query = {}, options: RequestOptions = {}): Promise<unknown> {
    const idleMs = options.idleTimeoutMs ?? 60_000;
    const idle = idleAbort(options.signal, idleMs);
    const { controller, arm } = idle;
    try {
      const { res } = await open(path, query, controller.signal);
      // Decoded as it arrives: a list page can be megabytes, and one copy of it is enough.
      const decoder = new StringDecoder('utf8');
      let body = '';
      await new Promise<void>((resolve, reject) => {
        res.on('data', (chunk: Buffer) => {
          arm();
          body += decoder.write(chunk);
        });
        res.on('end', resolve);
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('connection closed before the response ended')));
        res.on('close', () => {
          if (!res.complete) reject(new Error('connection closed before the response ended'));
        });
      });
      body += decoder.end();
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) throw statusError(path, status, body);
      options.onBodyLength?.(body.length);
      try {
        return JSON.parse(body) as unknown;
      } catch (cause) {
        throw new KubeRequestError(`GET ${path}: the response is not JSON`, { status, cause });
      }
    } catch (cause) {
      if (cause instanceof KubeRequestError) throw cause;
      if (idle.fired()) throw new KubeRequestError(`GET ${path} on ${server}: no response for ${idleMs} ms`, { cause });
      if (options.signal?.aborted) throw new KubeRequestError(`GET ${path}: aborted`, { cause });
      throw connectionError(server, path, cause);
    } finally {
      idle.dispose();
    }
  }

  async function stream(path: string, query: Query, options: StreamOptions): Promise<StreamEnd> {
    if (options.signal?.aborted) return { type: 'aborted' };
    const idle = idleAbort(options.signal, options.inactivityMs);
    const { controller, arm } = idle;
    const ended = (): StreamEnd | undefined =>
      idle.fired() ? { type: 'inactive' } : options.signal?.aborted ? { type: 'aborted' } : undefined;
    try {
      let opened: { res: http.IncomingMessage };
      try {
        opened = await open(path, query, controller.signal);
      } catch (cause) {
        return ended() ?? { type: 'failed', error: connectionError(server, path, cause) };
      }
      const { res } = opened;
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        const chunks: Buffer[] = [];
        for await (const chunk of res) chunks.push(chunk as Buffer);
        return { type: 'failed', error: statusError(path, status, Buffer.concat(chunks).toString('utf8')) };
      }
      arm();
      return await new Promise<StreamEnd>((resolve) => {
        const decoder = new StringDecoder('utf8');
        let buffered = '';
        let done = false;
        const finish = (end: StreamEnd): void => {
          if (done) return;
          done = true;
          res.destroy();
          resolve(end);
        };
        res.on('data', (chunk: Buffer) => {
          if (done) return;
          arm();
          buffered += decoder.write(chunk);
          let newline = buffered.indexOf('\n');
          while (newline >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line !== '') {
              try {
                options.onLine(line);
              } catch (cause) {
                const error =
                  cause instanceof KubeRequestError
                    ? cause
                    : new KubeRequestError(`watch ${path}: ${(cause as Error).message}`, { cause });
                finish({ type: 'failed', error });
                return;
              }
              if (done) return;
            }
            newline = buffered.indexOf('\n');
          }
        });
        res.on('end', () => finish(ended() ?? { type: 'closed' }));
        res.on('error', (cause) =>
          finish(ended() ?? { type: 'dropped', error: connectionError(server, path, cause) }),
        );
        res.on('close', () => {
          if (!res.complete) {
            finish(ended() ?? { type: 'dropped', error: new KubeRequestError(`watch ${path} on ${server}: connection dropped`) });
          } else {
            finish(ended() ?? { type: 'closed' });
          }
        });
      });
    } finally {
      idle.dispose();
    }
  }

  return { server, getJson, stream };
}
