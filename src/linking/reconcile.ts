/**
 * Reconciliation: whether a change's linked drift is gone, and how it went. Pure.
 *
 * A change closes by itself only when every finding linked to it is resolved. Drift that went back to
 * the desired value (or whose object was deleted while desired state does not declare it: a declared
 * object that disappears is itself new drift, linked to the same change) means the fix was *reverted*;
 * drift that desired state took over (the fix went into git) means it was *codified*. Findings end only
 * on a successful list or watch event, so a failed list or a cluster outage never closes anything.
 */
import type { Resolution } from '../drift/findings.js';

export interface LinkedFindingState {
  resolution?: Resolution;
  resolvedAt?: string;
}

export type ReconcileOutcome = 'codified' | 'reverted';

export function reconcileOutcome(linked: readonly LinkedFindingState[]): ReconcileOutcome | undefined {
  if (linked.length === 0) return undefined;
  if (linked.some((f) => f.resolvedAt === undefined || f.resolution === undefined)) return undefined;
  // Anything that moved desired state (or both sides) means the change lives on in git now.
  return linked.every((f) => f.resolution === 'reverted' || f.resolution === 'deleted') ? 'reverted' : 'codified';
}
