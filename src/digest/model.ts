/**
 * The weekly digest's figures, from the ledger's changes as they stood at `at` and a week before: what is
 * still unreconciled and how old, what is overdue, the oldest ten, what the week brought and closed, how
 * long reconciling takes, per owner and per team, and how each headline figure moved. Pure.
 *
 * Definitions (the JSON contract of `stopgap digest --json`):
 * - "open" counts `open` and `in_review`; "overdue" is open, past its due date and not snoozed.
 * - "reconciled this week" is changes closed as codified or reverted in the seven days up to `at` and
 *   still closed; `verified` is those the scanner proved. "dismissed" likewise.
 * - The median time to reconcile counts verified and unverified closings in the last 30 or 90 days,
 *   from logging to closing, in days; null when there were none.
 * - `team` is null for the overall digest.
 */
import { formatResource, type Change, type ResourceRef } from '../ledger/model.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
export const OLDEST_SHOWN = 10;

/** What the digest needs of a change, as it stood at some moment. */
export type DigestChange = Pick<Change, 'id' | 'status' | 'owner' | 'cluster' | 'resources' | 'createdAt' | 'dueAt' | 'snoozedUntil' | 'closedAt' | 'verified'>;

export interface DigestInput {
  at: Date;
  team: string | null;
  /** Every change logged by `at`, as it stood then. */
  changes: readonly DigestChange[];
  /** Every change logged a week before `at`, as it stood then. */
  weekAgo: readonly DigestChange[];
  /** Changes whose linked drift the scanner sees live now. */
  driftLive: ReadonlySet<number>;
  /** Drift no change explains (in the team's scope for a team's digest). */
  unclaimedDrift: number;
  /** The team that owns a change or a steady group (the `teams` routing, by cluster and first object), or null. */
  teamOf: (scope: Scope) => string | null;
  /**
   * Open changes that did not move in the week before `at` and were logged at least two weeks before it,
   * counted in groups rather than listed (`changes` and `weekAgo` then hold every other change), with the
   * oldest of them as candidates for the oldest ten. Such a change stood the same at `at` and a week
   * before: open, not new in either week.
   */
  steady?: { groups: readonly SteadyGroup[]; oldest: readonly DigestChange[] };
  ledgerHead: { seq: number; hash: string } | null;
}

/** What decides a change's team: its cluster and its first object's namespace and kind. */
export interface Scope {
  cluster: string | null;
  namespace: string | null;
  kind: string | null;
}

export const scopeOf = (c: Pick<DigestChange, 'cluster' | 'resources'>): Scope => ({ cluster: c.cluster, namespace: c.resources[0]?.namespace ?? null, kind: c.resources[0]?.kind ?? null });

/** Steady open changes of one status, owner and scope: how many, by age at `at`, overdue then and a week before. */
export interface SteadyGroup extends Scope {
  status: 'open' | 'in_review';
  owner: string;
  count: number;
  byAge: AgeBuckets;
  overdue: number;
  overdueWeekAgo: number;
}

export interface AgeBuckets {
  underOneWeek: number;
  oneToFourWeeks: number;
  oneToThreeMonths: number;
  older: number;
}

export interface Headline {
  open: number;
  overdue: number;
  new: number;
  reconciled: number;
  dismissed: number;
}

export interface Digest {
  at: string;
  team: string | null;
  open: { total: number; byStatus: { open: number; in_review: number }; byAge: AgeBuckets };
  overdue: number;
  oldest: { id: number; owner: string; cluster: string | null; resources: string[]; ageDays: number; driftLive: boolean; overdue: boolean }[];
  thisWeek: { new: number; reconciled: number; verified: number; dismissed: number };
  unclaimedDrift: number;
  medianDaysToReconcile: { last30: number | null; last90: number | null };
  perOwner: { owner: string; open: number; overdue: number }[];
  perTeam: { team: string | null; open: number; overdue: number }[];
  /** This week's headline figures minus last week's. */
  deltas: Headline;
  ledgerHead: { seq: number; hash: string } | null;
}

const isOpen = (c: DigestChange): boolean => c.status === 'open' || c.status === 'in_review';
/**
 * Times are compared as the ledger writes them, `toISOString()` text, which sorts as time does: a
 * hundred thousand changes are not parsed several times over.
 */
const iso = (ms: number): string => new Date(ms).toISOString();
const within = (at: string | null, from: string, to: string): boolean => at !== null && at > from && at <= to;
/** `isOverdue` (ledger/lifecycle.ts) on ISO text: open, past due, not snoozed. */
const overdueAt = (c: DigestChange, now: string): boolean => isOpen(c) && c.dueAt < now && !(c.snoozedUntil !== null && c.snoozedUntil > now);

function headline(changes: readonly DigestChange[], at: number): Headline {
  const h: Headline = { open: 0, overdue: 0, new: 0, reconciled: 0, dismissed: 0 };
  const now = iso(at);
  const weekBefore = iso(at - WEEK_MS);
  for (const c of changes) {
    if (isOpen(c)) {
      h.open += 1;
      if (overdueAt(c, now)) h.overdue += 1;
    }
    if (within(c.createdAt, weekBefore, now)) h.new += 1;
    if ((c.status === 'codified' || c.status === 'reverted') && within(c.closedAt, weekBefore, now)) h.reconciled += 1;
    if (c.status === 'dismissed' && within(c.closedAt, weekBefore, now)) h.dismissed += 1;
  }
  return h;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const mid = Math.floor(values.length / 2);
  const m = values.length % 2 === 1 ? (values[mid] as number) : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
  return Math.round(m * 10) / 10;
}

const byAgeThenId = (a: DigestChange, b: DigestChange): number => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id - b.id);

/** The OLDEST_SHOWN oldest of many, in one pass. */
function pickOldest(open: readonly DigestChange[]): DigestChange[] {
  const kept: DigestChange[] = [];
  for (const c of open) {
    if (kept.length < OLDEST_SHOWN) {
      kept.push(c);
      if (kept.length === OLDEST_SHOWN) kept.sort(byAgeThenId);
      continue;
    }
    if (byAgeThenId(c, kept[OLDEST_SHOWN - 1] as DigestChange) >= 0) continue;
    kept[OLDEST_SHOWN - 1] = c;
    kept.sort(byAgeThenId);
  }
  return kept;
}

const resourcesOf = (refs: readonly ResourceRef[]): string[] => refs.map(formatResource);

export function buildDigest(input: DigestInput): Digest {
  const at = input.at.getTime();
  const teamOf = (c: DigestChange) => input.teamOf(scopeOf(c));
  const mine = (c: DigestChange) => input.team === null || teamOf(c) === input.team;
  const changes = input.changes.filter(mine);
  const weekAgo = input.weekAgo.filter(mine);
  const groups = (input.steady?.groups ?? []).filter((g) => input.team === null || input.teamOf(g) === input.team);
  const now = headline(changes, at);
  const before = headline(weekAgo, at - WEEK_MS);
  for (const g of groups) {
    now.open += g.count;
    now.overdue += g.overdue;
    before.open += g.count;
    before.overdue += g.overdueWeekAgo;
  }

  const byAge: AgeBuckets = { underOneWeek: 0, oneToFourWeeks: 0, oneToThreeMonths: 0, older: 0 };
  const byStatus = { open: 0, in_review: 0 };
  const owners = new Map<string, { open: number; overdue: number }>();
  const teams = new Map<string | null, { open: number; overdue: number }>();
  const count = <K>(m: Map<K, { open: number; overdue: number }>, key: K, open: number, overdue: number) => {
    const n = m.get(key) ?? { open: 0, overdue: 0 };
    m.set(key, { open: n.open + open, overdue: n.overdue + overdue });
  };
  for (const g of groups) {
    byStatus[g.status] += g.count;
    for (const bucket of Object.keys(byAge) as (keyof AgeBuckets)[]) byAge[bucket] += g.byAge[bucket];
    count(owners, g.owner, g.count, g.overdue);
    count(teams, input.teamOf(g), g.count, g.overdue);
  }
  const open: DigestChange[] = (input.steady?.oldest ?? []).filter(mine);
  let verified = 0;
  const last30: number[] = [];
  const last90: number[] = [];
  const nowIso = iso(at);
  const [days30, days90, week] = [iso(at - 30 * DAY_MS), iso(at - 90 * DAY_MS), iso(at - WEEK_MS)];
  const [age1w, age4w, age90d] = [iso(at - WEEK_MS), iso(at - 4 * WEEK_MS), iso(at - 90 * DAY_MS)];
  for (const c of changes) {
    if ((c.status === 'codified' || c.status === 'reverted') && c.closedAt !== null && c.closedAt > days90 && c.closedAt <= nowIso) {
      const days = (Date.parse(c.closedAt) - Date.parse(c.createdAt)) / DAY_MS;
      last90.push(days);
      if (c.closedAt > days30) last30.push(days);
      if (c.verified && c.closedAt > week) verified += 1;
    }
    if (!isOpen(c)) continue;
    open.push(c);
    byStatus[c.status as 'open' | 'in_review'] += 1;
    byAge[c.createdAt > age1w ? 'underOneWeek' : c.createdAt > age4w ? 'oneToFourWeeks' : c.createdAt > age90d ? 'oneToThreeMonths' : 'older'] += 1;
    const overdue = overdueAt(c, nowIso) ? 1 : 0;
    count(owners, c.owner, 1, overdue);
    count(teams, teamOf(c), 1, overdue);
  }
  // The oldest ten, without sorting them all.
  const oldest = open.length <= OLDEST_SHOWN ? [...open] : pickOldest(open);
  oldest.sort(byAgeThenId);
  // Most open first, then most overdue, then by name (no team last): the same order however they were counted.
  const byName = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);
  const byCount = <K extends string | null>(m: Map<K, { open: number; overdue: number }>) =>
    [...m].sort((a, b) => b[1].open - a[1].open || b[1].overdue - a[1].overdue || byName(a[0], b[0]));

  return {
    at: input.at.toISOString(),
    team: input.team,
    open: { total: now.open, byStatus, byAge },
    overdue: now.overdue,
    oldest: oldest.map((c) => ({
      id: c.id,
      owner: c.owner,
      cluster: c.cluster,
      resources: resourcesOf(c.resources),
      ageDays: Math.floor((at - Date.parse(c.createdAt)) / DAY_MS),
      driftLive: input.driftLive.has(c.id),
      overdue: overdueAt(c, nowIso),
    })),
    thisWeek: { new: now.new, reconciled: now.reconciled, verified, dismissed: now.dismissed },
    unclaimedDrift: input.unclaimedDrift,
    medianDaysToReconcile: { last30: median(last30), last90: median(last90) },
    perOwner: byCount(owners).map(([owner, n]) => ({ owner, ...n })),
    perTeam: byCount(teams).map(([team, n]) => ({ team, ...n })),
    deltas: {
      open: now.open - before.open,
      overdue: now.overdue - before.overdue,
      new: now.new - before.new,
      reconciled: now.reconciled - before.reconciled,
      dismissed: now.dismissed - before.dismissed,
    },
    ledgerHead: input.ledgerHead,
  };
}
