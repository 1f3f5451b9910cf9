/** Audit events kept from the webhook: one transaction per batch, each event once, old ones deleted. */
import type { Db } from './db.js';
import type { AuditRecord } from '../audit/events.js';
import { redactSecrets } from '../redact.js';

export class AuditStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      insert: db.prepare(`INSERT OR IGNORE INTO audit_events
        (cluster, audit_id, stage, verb, resource, api_group, namespace, name, subresource, username, impersonated,
         groups_json, user_agent, source_ips_json, field_manager, at, code, received_at)
        VALUES (@cluster, @auditId, @stage, @verb, @resource, @apiGroup, @namespace, @name, @subresource, @username, @impersonated,
         @groups, @userAgent, @sourceIPs, @fieldManager, @at, @code, @receivedAt)`),
      purge: db.prepare('DELETE FROM audit_events WHERE at < ?'),
      count: db.prepare('SELECT count(*) AS n FROM audit_events'),
    };
  }

  /** Stores a batch in one transaction; returns how many were new (a redelivered event is not). */
  storeBatch(cluster: string, records: readonly AuditRecord[], receivedAt: Date): number {
    const at = receivedAt.toISOString();
    return this.db.transaction(() => {
      let added = 0;
      for (const r of records) {
        const res = this.stmts.insert.run({
          cluster,
          auditId: r.auditId,
          stage: r.stage,
          verb: r.verb,
          resource: r.resource,
          apiGroup: r.apiGroup,
          namespace: r.namespace ?? '',
          name: r.name ?? '',
          subresource: r.subresource ?? null,
          username: r.username,
          impersonated: r.impersonatedUser ?? null,
          groups: JSON.stringify(r.groups),
          // The client chooses its user agent: it is kept masked, like any text from outside.
          userAgent: r.userAgent === undefined ? null : redactSecrets(r.userAgent),
          sourceIPs: JSON.stringify(r.sourceIPs),
          fieldManager: r.fieldManager ?? null,
          at: r.at,
          code: r.code,
          receivedAt: at,
        });
        added += res.changes;
      }
      return added;
    }).immediate();
  }

  /** Deletes events older than the retention; returns how many. */
  purge(now: Date, retentionMs: number): number {
    return this.stmts.purge.run(new Date(now.getTime() - retentionMs).toISOString()).changes;
  }

  count(): number {
    return (this.stmts.count.get() as { n: number }).n;
  }
}
