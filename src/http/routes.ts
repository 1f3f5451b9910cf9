import type { CustomRoute } from '@slack/bolt';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../store/db.js';
import { isBusyError } from '../store/busy.js';
import type { Metrics, SlackApiState } from './metrics.js';

export type SlackConnection = 'starting' | 'connected' | 'disconnected';

/** What `/readyz` reports beyond the database: set by the composition root as things come and go. */
export interface Readiness {
  slack: SlackConnection;
  slackApi: SlackApiState;
  /** Each watched cluster and whether it is synced (every kind's last list or watch worked). */
  clusters?: () => ReadonlyMap<string, boolean>;
}

/**
 * The checks `/readyz` runs, by name, as the Kubernetes API server's own `/readyz` does: any can be left
 * out with `?exclude=NAME`.
 */
export const READINESS_CHECKS = ['database', 'slack', 'slack-api', 'clusters'] as const;
export type ReadinessCheck = (typeof READINESS_CHECKS)[number];

/**
 * Whether this process can take Slack's requests: what the Deployment's readiness probe asks
 * (`/readyz?exclude=slack-api&exclude=clusters`) and `stopgap_ready` reports. A cluster that cannot be
 * watched, or Slack's Web API failing, must not take `/fix` away from everyone: the change is still stored
 * and acknowledged.
 */
export const SERVING_CHECKS: ReadonlySet<ReadinessCheck> = new Set(['database', 'slack']);
const ALL_CHECKS: ReadonlySet<ReadinessCheck> = new Set(READINESS_CHECKS);

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

export interface ReadinessReport {
  ready: boolean;
  database: ReturnType<typeof probeDatabase>;
  slack: SlackConnection;
  slackApi: SlackApiState;
  clusters: Record<string, 'synced' | 'not synced'>;
  /** The checks asked for that failed. */
  failing: ReadinessCheck[];
}

/**
 * What `/readyz` answers: the database usable (read, and write-locked for a moment), Slack connected
 * (the Socket Mode socket, or HTTP mode listening), Slack's Web API answering, every watched cluster
 * synced; ready when the checks asked for pass.
 */
export function readinessOf(db: Db, readiness: Readiness, checks: ReadonlySet<ReadinessCheck> = ALL_CHECKS): ReadinessReport {
  const database = db.open ? probeDatabase(db) : 'unavailable';
  const { slack, slackApi } = readiness;
  const clusters: ReadinessReport['clusters'] = {};
  for (const [name, synced] of readiness.clusters?.() ?? []) clusters[name] = synced ? 'synced' : 'not synced';
  const passing: Record<ReadinessCheck, boolean> = {
    database: database === 'ok',
    slack: slack === 'connected',
    'slack-api': slackApi !== 'down',
    clusters: Object.values(clusters).every((s) => s === 'synced'),
  };
  const failing = READINESS_CHECKS.filter((c) => checks.has(c) && !passing[c]);
  return { ready: failing.length === 0, database, slack, slackApi, clusters, failing };
}

/** The checks a `/readyz` URL asks for: all but those named by `exclude` (repeatable, or comma-separated). */
function checksAsked(url: string | undefined): ReadonlySet<ReadinessCheck> | string {
  const excluded = new URL(url ?? '/', 'http://localhost').searchParams.getAll('exclude').flatMap((v) => v.split(','));
  const unknown = excluded.filter((name) => !(READINESS_CHECKS as readonly string[]).includes(name));
  if (unknown.length > 0) return `unknown check '${unknown[0]?.slice(0, 40)}' in exclude; the checks are ${READINESS_CHECKS.join(', ')}`;
  return new Set(READINESS_CHECKS.filter((c) => !excluded.includes(c)));
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
      handler: (req, res) => {
        const checks = checksAsked(req.url);
        if (typeof checks === 'string') return json(res, 400, { error: checks });
        const { ready, database, slack, slackApi, clusters, failing } = readinessOf(deps.db, deps.readiness, checks);
        json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', database, slack, slackApi, clusters, failing });
      },
    },
  ];
  if (deps.metricsOnMainPort !== false) routes.push(metricsRoute(deps.metrics));
  return routes;
}
