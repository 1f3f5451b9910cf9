import type { CustomRoute } from '@slack/bolt';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../store/db.js';
import { isBusyError } from '../store/busy.js';
import type { Metrics } from './metrics.js';

export type SlackConnection = 'starting' | 'connected' | 'disconnected';

/** What `/readyz` reports about Slack: set by the composition root as the connection comes and goes. */
export interface Readiness {
  slack: SlackConnection;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * Readiness touches the database for real: a read of the ledger and a write lock taken and given back at
 * once. `SELECT 1` answers even while another process holds the file locked and every change would fail.
 */
function probeDatabase(db: Db): 'ok' | 'locked' | 'unavailable' {
  let began = false;
  try {
    db.prepare('SELECT seq FROM change_events ORDER BY seq DESC LIMIT 1').get();
    // Writes are synchronous, so no transaction of ours can be open here; never touch one if it were.
    if (db.inTransaction) return 'ok';
    db.exec('BEGIN IMMEDIATE');
    began = true;
    db.exec('ROLLBACK');
    return 'ok';
  } catch (err) {
    if (began && db.inTransaction) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // nothing to roll back
      }
    }
    return isBusyError(err) ? 'locked' : 'unavailable';
  }
}

/** What `/readyz` answers (and `stopgap_ready` reports): the database usable and Slack connected. */
export function readinessOf(db: Db, readiness: Readiness): { ready: boolean; database: ReturnType<typeof probeDatabase>; slack: SlackConnection } {
  const database = db.open ? probeDatabase(db) : 'unavailable';
  const slack = readiness.slack;
  return { ready: database === 'ok' && slack === 'connected', database, slack };
}

export function metricsRoute(metrics: Metrics): CustomRoute {
  return {
    path: '/metrics',
    method: ['GET'],
    handler: (_req: IncomingMessage, res: ServerResponse) => {
      metrics.registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(body);
        })
        .catch(() => {
          res.writeHead(500);
          res.end();
        });
    },
  };
}

/** Health and readiness routes served beside Slack's endpoint, and /metrics unless it has its own port. */
export function operationalRoutes(deps: { db: Db; metrics: Metrics; readiness: Readiness; metricsOnMainPort?: boolean }): CustomRoute[] {
  const routes: CustomRoute[] = [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => json(res, 200, { status: 'ok' }),
    },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        const { ready, database, slack } = readinessOf(deps.db, deps.readiness);
        json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', database, slack });
      },
    },
  ];
  if (deps.metricsOnMainPort !== false) routes.push(metricsRoute(deps.metrics));
  return routes;
}
