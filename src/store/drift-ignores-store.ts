/**
 * Drift marked as expected from Slack: per object, the fields that are no longer drift. The scanner
 * applies these beside the ignore rules in stopgap.yml. Recording one is a ledger write: a dismissed
 * change (who, when, why) that takes the drift, and the rule, in one transaction.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import type { IgnoreRule } from '../config/clusters.js';
import type { ObjectRef } from '../drift/types.js';
import type { LedgerStore } from './ledger-store.js';
import type { LinksStore } from './links-store.js';
import type { Finding } from '../drift/findings.js';
import { resolveIgnored } from './findings-store.js';
import type { Change } from '../ledger/model.js';

const statements = new WeakMap<Db, Statement>();

/** The stored rules for one object, as config-style ignore rules (exact names, no globs). */
export function storedIgnoreRules(db: Db, cluster: string, ref: Pick<ObjectRef, 'group' | 'kind' | 'namespace' | 'name'>): IgnoreRule[] {
  let stmt = statements.get(db);
  if (!stmt) {
    stmt = db.prepare('SELECT pointers FROM drift_ignores WHERE cluster = ? AND kind = ? AND name = ? AND api_group = ? AND namespace = ?');
    statements.set(db, stmt);
  }
  const rows = stmt.all(cluster, ref.kind, ref.name, ref.group, ref.namespace ?? '') as { pointers: string }[];
  return rows.map((r) => {
    const pointers = JSON.parse(r.pointers) as string[];
    // Kubernetes names never hold `*` or `?`, so as globs these match exactly this object.
    return { group: ref.group, kind: ref.kind, namespace: ref.namespace ?? '', name: ref.name, ...(pointers.length > 0 ? { pointers } : {}) };
  });
}

export class DriftIgnoresStore {
  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerStore,
    private readonly links: LinksStore,
  ) {}

  /**
   * Marks these findings (all of one object) as expected: a dismissed change records the decision and
   * takes them, and a rule stops the scanner reporting those fields of that object.
   */
  ignoreSoon(findings: readonly Finding[], by: string, reason: string, now: Date): Promise<Change> {
    const first = findings[0];
    if (!first) return Promise.reject(new Error('nothing to ignore'));
    const ref = first.ref;
    const paths = [...new Set(findings.map((f) => f.path))];
    const label = `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
    return this.links.write(() => {
      const { change } = this.ledger.create(
        {
          description: `Expected drift on ${label} (${paths.map((p) => p || 'whole object').join(', ')}): marked to be ignored`,
          actor: by,
          cluster: first.cluster,
          resources: [{ kind: ref.kind.toLowerCase(), name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) }],
          source: 'api',
        },
        { now, defaultDueDays: 1 },
      );
      const dismissed = this.ledger.act(change.id, { type: 'dismiss', reason }, { by, now, isAdmin: false });
      if (!dismissed.ok) throw new Error(dismissed.message);
      this.links.claimNow(findings.map((f) => f.id), change.id, by, now);
      const whole = paths.includes('');
      this.db
        .prepare('INSERT INTO drift_ignores (cluster, api_group, kind, namespace, name, pointers, change_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(first.cluster, ref.group, ref.kind, ref.namespace ?? '', ref.name, JSON.stringify(whole ? [] : paths), change.id, now.toISOString());
      // Not reported from now on: the fields end here, not at the scanner's next look at the object.
      resolveIgnored(this.db, findings.map((f) => f.id), now);
      return dismissed.change;
    });
  }
}
