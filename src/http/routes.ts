import type { CustomRoute } from '@slack/bolt';
import type { Db } from '../store/db.js';
import type { Metrics } from './metrics.js';

/** Health, readiness and metrics routes served beside Slack's endpoint. */
export function operationalRoutes(deps: { db: Db; metrics: Metrics }): CustomRoute[] {
  return [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'ok' }));
      },
    },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        try {
          deps.db.prepare('SELECT 1').get();
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'ready', database: 'ok' }));
        } catch {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'not ready', database: 'unavailable' }));
        }
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: (_req, res) => {
        deps.metrics.registry
          .metrics()
          .then((body) => {
            res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
            res.end(body);
          })
          .catch(() => {
            res.writeHead(500);
            res.end();
          });
      },
    },
  ];
}
