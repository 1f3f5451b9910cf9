/**
 * Linking: which open change a drift finding belongs to, and which findings a new change explains.
 * A function of the open changes, the findings and the configured clusters; no I/O. Deterministic:
 * the same inputs in any order give the same decisions.
 */
import { changeNamesObject, type DriftObject, type LinkableChange } from './match.js';

/** What linking needs of a finding. */
export interface LinkableFinding {
  id: number;
  object: DriftObject;
  /** When the field's manager wrote it (managedFields time), if known. */
  writtenAt?: string;
  /** When the scanner first saw it: stands in for `writtenAt` when that is unknown. */
  firstSeen: string;
}

export type FindingDecision =
  | { findingId: number; outcome: 'linked'; changeId: number }
  /** Two or more changes fit equally well: never guessed, the owners are asked. */
  | { findingId: number; outcome: 'ambiguous'; changeIds: number[] };

/**
 * Two candidates whose logging times are this close to the write are equally good: clocks in Slack
 * and in the API server are not that precise.
 */
export const EQUALLY_CLOSE_MS = 1_000;

function time(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}

interface Candidate {
  change: LinkableChange;
  createdMs: number;
}

/** Open changes indexed by the names they mention, so linking many findings stays linear. */
class ChangeIndex {
  private readonly byName = new Map<string, Candidate[]>();

  constructor(changes: readonly LinkableChange[]) {
    for (const change of changes) {
      const candidate = { change, createdMs: time(change.createdAt) };
      const names = new Set(change.resources.map((r) => r.name));
      for (const name of names) {
        const list = this.byName.get(name);
        if (list) list.push(candidate);
        else this.byName.set(name, [candidate]);
      }
    }
  }

  candidates(object: DriftObject, clusters: readonly string[]): Candidate[] {
    return (this.byName.get(object.name) ?? []).filter((c) => changeNamesObject(c.change, object, clusters));
  }
}

function decide(finding: LinkableFinding, candidates: readonly Candidate[]): FindingDecision | undefined {
  if (candidates.length === 0) return undefined;
  if (candidates.length === 1) return { findingId: finding.id, outcome: 'linked', changeId: (candidates[0] as Candidate).change.id };
  const at = time(finding.writtenAt ?? finding.firstSeen);
  let best = Infinity;
  for (const c of candidates) best = Math.min(best, Math.abs(c.createdMs - at));
  const tied = candidates
    .filter((c) => Math.abs(c.createdMs - at) - best < EQUALLY_CLOSE_MS)
    .map((c) => c.change.id)
    .sort((a, b) => a - b);
  if (tied.length > 1) return { findingId: finding.id, outcome: 'ambiguous', changeIds: tied };
  return { findingId: finding.id, outcome: 'linked', changeId: tied[0] as number };
}

/**
 * Decisions for findings not yet linked: each goes to the open change on its cluster that names its
 * object; of several, the one logged closest to when the field was written. Findings no change names
 * get no decision (they stay unclaimed). Decisions come in finding-id order.
 */
export function linkFindings(
  findings: readonly LinkableFinding[],
  openChanges: readonly LinkableChange[],
  configuredClusters: readonly string[],
): FindingDecision[] {
  const index = new ChangeIndex(openChanges);
  const decisions: FindingDecision[] = [];
  for (const finding of [...findings].sort((a, b) => a.id - b.id)) {
    const decision = decide(finding, index.candidates(finding.object, configuredClusters));
    if (decision) decisions.push(decision);
  }
  return decisions;
}

/**
 * The findings a newly logged change explains: those not yet linked that it names, where it is the
 * best candidate among all open changes (a newer change does not take drift an older one explains
 * better). Ambiguous findings are returned apart, for the owners to decide.
 */
export function findingsForNewChange(
  change: LinkableChange,
  unlinkedFindings: readonly LinkableFinding[],
  openChanges: readonly LinkableChange[],
  configuredClusters: readonly string[],
): { linked: number[]; ambiguous: FindingDecision[] } {
  const named = unlinkedFindings.filter((f) => changeNamesObject(change, f.object, configuredClusters));
  if (named.length === 0) return { linked: [], ambiguous: [] };
  const others = openChanges.filter((c) => c.id !== change.id);
  const decisions = linkFindings(named, [change, ...others], configuredClusters);
  return {
    linked: decisions.filter((d) => d.outcome === 'linked' && d.changeId === change.id).map((d) => d.findingId),
    ambiguous: decisions.filter((d) => d.outcome === 'ambiguous'),
  };
}
