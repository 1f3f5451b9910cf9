/**
 * Closes changes the cluster proves reconciled: when every finding linked to an open change has ended,
 * the change becomes codified or reverted, verified, with the evidence in its event. Through the
 * ledger's write queue, after the findings that ended were committed.
 */
import type { Db } from './db.js';
import type { LedgerStore } from './ledger-store.js';
import { eventObjectName, type LinksStore } from './links-store.js';
import type { Finding } from '../drift/findings.js';
import { SYSTEM_ACTOR, type ReconcileEvidence } from '../ledger/lifecycle.js';
import type { Change } from '../ledger/model.js';
import { reconcileOutcome } from '../linking/reconcile.js';
import { redactSecrets } from '../redact.js';

/** A value as evidence: Secret fields are fingerprints already; anything else is masked and kept short. */
function evidenceValue(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return redactSecrets(text ?? '').slice(0, 500);
}

function evidenceOf(f: Finding): ReconcileEvidence {
  return {
    finding: f.id,
    cluster: f.cluster,
    object: eventObjectName(f.ref),
    path: f.path,
    resolution: f.resolution ?? 'cleared',
    resolvedAt: f.resolvedAt ?? '',
    desired: evidenceValue(f.desired),
    live: evidenceValue(f.live),
  };
}

export class Reconciler {
  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerStore,
    private readonly links: LinksStore,
  ) {}

  private candidates(findingIds: readonly number[] | 'all'): number[] {
    const open = `JOIN changes c ON c.id = l.change_id AND c.status IN ('open', 'in_review')`;
    if (findingIds === 'all') {
      return (this.db.prepare(`SELECT DISTINCT l.change_id AS id FROM drift_links l ${open} ORDER BY l.change_id`).all() as { id: number }[]).map((r) => r.id);
    }
    const ids = new Set<number>();
    for (let i = 0; i < findingIds.length; i += 500) {
      const page = findingIds.slice(i, i + 500);
      const rows = this.db
        .prepare(`SELECT DISTINCT l.change_id AS id FROM drift_links l ${open} WHERE l.finding_id IN (${page.map(() => '?').join(',')})`)
        .all(...page) as { id: number }[];
      for (const r of rows) ids.add(r.id);
    }
    return [...ids].sort((a, b) => a - b);
  }

  /**
   * The open changes linked to these findings that ended (`'all'`: every open change with links) whose
   * linked drift has all ended, closed; returns them as they are now.
   */
  reconcileSoon(endedFindingIds: readonly number[] | 'all', now: Date): Promise<Change[]> {
    return this.ledger.writeSoon(() => {
      const closed: Change[] = [];
      for (const changeId of this.candidates(endedFindingIds)) {
        const linked = this.links.linkedFindings(changeId);
        const outcome = reconcileOutcome(linked);
        if (!outcome) continue;
        const result = this.ledger.act(changeId, { type: 'reconciled', outcome, evidence: linked.map(evidenceOf) }, { by: SYSTEM_ACTOR, now, isAdmin: true });
        if (result.ok) closed.push(result.change);
      }
      return closed;
    });
  }
}
