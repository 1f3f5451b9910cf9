/**
 * `POST /k8s/audit`: the Kubernetes API server's audit webhook. The bearer token is checked (in constant
 * time) before a byte of the body is read; an unknown cluster or token is refused without parsing; the
 * body is held to a size limit; the events kept are stored in one transaction and the answer is sent at
 * once (the API server blocks or drops events while its webhook is slow).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import type { AuditConfig } from '../config/audit.js';
import type { ClusterConfig } from '../config/clusters.js';
import { keepDecision, parseAuditBody, type AuditRecord } from '../audit/events.js';
import { watchedResources } from '../audit/watched.js';
import { kindSpecsOf } from '../k8s/discovery.js';
import type { Logger } from '../log.js';
import type { AuditStore } from '../store/audit-store.js';
import { isBusyError } from '../store/busy.js';

export const AUDIT_PATH = '/k8s/audit';

export interface AuditRouteDeps {
  audit: AuditConfig;
  clusters: readonly ClusterConfig[];
  store: AuditStore;
  logger: Logger;
  now: () => Date;
  /** Keyed fingerprint for sensitive values among the changed fields (the installation's key). */
  fingerprint: (value: string) => string;
  /** The drift config's sensitive pointers: their values are kept only as fingerprints. */
  sensitivePointers: readonly string[];
  /** Counts each refused or accepted batch by outcome. */
  onBatch?: (outcome: string) => void;
  /** Counts the events of each batch read: kept, ignored, rejected (malformed or unreadable), not_stored. */
  onEvents?: (outcome: 'kept' | 'ignored' | 'rejected' | 'not_stored', count: number) => void;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** Equal tokens, compared without leaking how much of a wrong one was right (digests: equal length). */
function sameToken(a: Buffer, b: string): boolean {
  return timingSafeEqual(a, digest(b));
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1];
}

export function auditRoute(deps: AuditRouteDeps): CustomRoute {
  const shared = deps.audit.token ? digest(deps.audit.token) : undefined;
  const perCluster = deps.clusters.filter((c) => c.auditToken).map((c) => ({ name: c.name, token: digest(c.auditToken as string) }));
  const watched = new Map(
    deps.clusters.map((c) => [c.name, watchedResources(kindSpecsOf(c))]),
  );
  const log = deps.logger.child({ component: 'audit' });
  const count = (outcome: string) => deps.onBatch?.(outcome);
  const countEvents = (outcome: Parameters<NonNullable<AuditRouteDeps['onEvents']>>[0], n: number) => {
    if (n > 0) deps.onEvents?.(outcome, n);
  };

  /** Which cluster sent the batch, or why it is refused. */
  function clusterOf(req: IncomingMessage): { cluster: string } | { status: number; error: string } {
    const token = bearer(req);
    if (!token) return { status: 401, error: 'missing bearer token' };
    const named = new URL(req.url ?? '/', 'http://stopgap').searchParams.get('cluster');
    // Every candidate is compared, so the time taken does not say which one matched.
    const byCluster = perCluster.filter((c) => sameToken(c.token, token));
    const sharedOk = shared !== undefined && sameToken(shared, token);
    if (named !== null) {
      if (!deps.clusters.some((c) => c.name === named)) return sharedOk || byCluster.length > 0 ? { status: 404, error: `unknown cluster '${named.slice(0, 100)}'` } : { status: 401, error: 'bad token' };
      if (sharedOk || byCluster.some((c) => c.name === named)) return { cluster: named };
      return { status: 401, error: 'bad token' };
    }
    if (byCluster.length === 1) return { cluster: (byCluster[0] as { name: string }).name };
    if (sharedOk) return deps.clusters.length === 1 ? { cluster: (deps.clusters[0] as ClusterConfig).name } : { status: 400, error: 'name the cluster: add ?cluster=NAME to the webhook URL' };
    return { status: 401, error: 'bad token' };
  }

  return {
    path: AUDIT_PATH,
    method: ['POST'],
    handler: (req, res) => {
      const who = clusterOf(req);
      if ('status' in who) {
        count(`refused_${who.status}`);
        log.warn({ status: who.status, reason: who.error }, 'audit batch refused');
        // Nothing of a stranger's body is read: the connection closes once the answer is out.
        answer(res, who.status, { error: who.error }, { connection: 'close' });
        res.once('finish', () => req.destroy());
        return;
      }
      const limit = deps.audit.maxBodyBytes;
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) {
        count('refused_413');
        answer(res, 413, { error: `body of ${declared} bytes is over the ${limit}-byte limit` }, { connection: 'close' });
        res.once('finish', () => req.destroy());
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let refused = false;
      req.on('data', (chunk: Buffer) => {
        if (refused) return;
        size += chunk.length;
        if (size > limit) {
          refused = true;
          count('refused_413');
          answer(res, 413, { error: `body is over the ${limit}-byte limit` }, { connection: 'close' });
          res.once('finish', () => req.destroy());
          return;
        }
        chunks.push(chunk);
      });
      req.on('error', () => undefined);
      req.on('end', () => {
        if (refused) return;
        const batch = parseAuditBody(Buffer.concat(chunks).toString('utf8'));
        if (!batch) {
          count('refused_400');
          answer(res, 400, { error: 'not JSON: expected an audit EventList, an Event, an array of events or JSON lines' });
          return;
        }
        const opts = {
          watched: watched.get(who.cluster) ?? new Set<string>(),
          automationUsers: deps.audit.automationUsers,
          fingerprint: deps.fingerprint,
          sensitivePointers: deps.sensitivePointers,
        };
        const kept: AuditRecord[] = [];
        let unreadable = 0;
        for (const event of batch.events) {
          // One event the reader cannot handle is skipped, never the end of the process.
          try {
            const decision = keepDecision(event, opts);
            if (decision.keep) kept.push(decision.record);
          } catch (err) {
            count('event_unreadable');
            unreadable += 1;
            log.warn({ err, auditId: event.auditID }, 'audit event skipped: it could not be read');
          }
        }
        let added: number;
        try {
          added = kept.length === 0 ? 0 : deps.store.storeBatch(who.cluster, kept, deps.now());
        } catch (err) {
          // The API server retries a batch that failed: nothing was stored, so nothing is lost.
          const busy = isBusyError(err);
          count(busy ? 'busy' : 'failed');
          countEvents('not_stored', batch.events.length - unreadable);
          countEvents('rejected', batch.skipped.length + unreadable);
          log.warn({ err: busy ? undefined : err, cluster: who.cluster }, busy ? 'audit batch not stored: the database is locked' : 'audit batch not stored');
          answer(res, 503, { error: 'not stored; retry' }, { 'retry-after': '1' });
          return;
        }
        count('accepted');
        countEvents('kept', kept.length);
        countEvents('ignored', batch.events.length - unreadable - kept.length);
        countEvents('rejected', batch.skipped.length + unreadable);
        log.debug({ cluster: who.cluster, events: batch.events.length, kept: kept.length, added, skipped: batch.skipped.length }, 'audit batch stored');
        answer(res, 200, { events: batch.events.length, kept: kept.length, stored: added, skipped: batch.skipped.length });
      });
    },
  };
}
