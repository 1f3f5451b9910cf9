/** Audit events kept from the webhook: one transaction per batch, each event once, old ones deleted. */
import type { Db } from './db.js';
import type { AuditRecord } from '../audit/events.js';
import type { ChangedField } from '../audit/changed-fields.js';
import { attributeFinding, attributionWindow, type AuditedWrite, type FindingToAttribute, type Person } from '../audit/attribute.js';
import { pluralOf } from '../audit/watched.js';
import { redactSecrets } from '../redact.js';

export class AuditStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      insert: db.prepare(`INSERT OR IGNORE INTO audit_events
        (cluster, audit_id, stage, verb, resource, api_group, namespace, name, subresource, username, impersonated,
         groups_json, user_agent, source_ips_json, field_manager, at, code, received_at, changed_json)
        VALUES (@cluster, @auditId, @stage, @verb, @resource, @apiGroup, @namespace, @name, @subresource, @username, @impersonated,
         @groups, @userAgent, @sourceIPs, @fieldManager, @at, @code, @receivedAt, @changed)`),
      purge: db.prepare('DELETE FROM audit_events WHERE at < ?'),
      count: db.prepare('SELECT count(*) AS n FROM audit_events'),
      writesTo: db.prepare(`SELECT resource, api_group AS apiGroup, namespace, name, subresource, username, impersonated AS impersonatedUser,
        user_agent AS userAgent, field_manager AS fieldManager, changed_json AS changedJson, at FROM audit_events
        WHERE cluster = @cluster AND resource = @resource AND namespace = @namespace AND name = @name AND at >= @from AND at <= @to
        ORDER BY at DESC LIMIT 50`),
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
          changed: r.changed === undefined ? null : JSON.stringify(r.changed),
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

  /** Audited writes to one object between two times, newest first (at most 50). */
  writesTo(cluster: string, object: { resource: string; namespace: string; name: string }, from: Date, to: Date): AuditedWrite[] {
    const rows = this.stmts.writesTo.all({ cluster, ...object, from: from.toISOString(), to: to.toISOString() }) as (AuditedWrite & { subresource: string | null; impersonatedUser: string | null; userAgent: string | null; fieldManager: string | null; changedJson: string | null })[];
    return rows.map((r) => ({
      resource: r.resource,
      apiGroup: r.apiGroup,
      namespace: r.namespace,
      name: r.name,
      username: r.username,
      at: r.at,
      ...(r.subresource ? { subresource: r.subresource } : {}),
      ...(r.impersonatedUser ? { impersonatedUser: r.impersonatedUser } : {}),
      ...(r.userAgent ? { userAgent: r.userAgent } : {}),
      ...(r.fieldManager ? { fieldManager: r.fieldManager } : {}),
      ...(r.changedJson ? { changedPaths: pathsOf(r.changedJson) } : {}),
    }));
  }

  /** Who made a drifted field: the audited write that best explains it (see audit/attribute.ts), if any. */
  personFor(finding: FindingToAttribute & { cluster: string }): Person | undefined {
    const window = attributionWindow(finding);
    if (!window) return undefined;
    const writes = this.writesTo(finding.cluster, { resource: pluralOf(finding.ref.kind), namespace: finding.ref.namespace ?? '', name: finding.ref.name }, window.from, window.to);
    return attributeFinding(finding, writes);
  }

  count(): number {
    return (this.stmts.count.get() as { n: number }).n;
  }
}

function pathsOf(json: string): string[] {
  return (JSON.parse(json) as ChangedField[]).map((c) => c.path);
}
