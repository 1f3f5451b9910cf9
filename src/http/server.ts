import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import type { Logger } from '../log.js';

export function sendStatus(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(status, headers);
  res.end();
}

/** The request's path, or undefined when its target is not a URL (`GET //[`): answered 400, never thrown. */
export function requestPath(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

/**
 * Serves the first route whose path and method match; false when none does. A route that throws is
 * answered 500 and logged, never left to take the process down.
 */
export function serveRoute(routes: readonly CustomRoute[], path: string, req: IncomingMessage, res: ServerResponse, logger: Logger): boolean {
  const method = (req.method ?? 'GET').toUpperCase();
  const route = routes.find((r) => r.path === path);
  const methods = route ? (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toUpperCase()) : [];
  if (!route || !methods.includes(method)) return false;
  try {
    route.handler(Object.assign(req, { params: {} }), res);
  } catch (err) {
    logger.error({ err, path }, 'route failed');
    sendStatus(res, 500);
  }
  return true;
}

/** A small HTTP server for operational routes only (metrics on their own port, health in Socket Mode). */
export function listenRoutes(routes: readonly CustomRoute[], port: number, logger: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    const path = requestPath(req);
    if (path === undefined) return sendStatus(res, 400, { connection: 'close' });
    if (!serveRoute(routes, path, req, res, logger)) sendStatus(res, 404);
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  return listen(server, port);
}

/** Starts listening; settles once the port is bound, or with the error that kept it from binding. */
export function listen(server: Server, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * Stops taking connections and resolves once the open ones have ended. A request already on a
 * connection (also one that arrives on a kept-alive connection meanwhile) is still answered, and the
 * connection then closes instead of waiting for another: a client's connection pool cannot keep a
 * stopping server busy.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
      res.shouldKeepAlive = false;
    });
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
