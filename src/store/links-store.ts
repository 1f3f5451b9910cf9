/**
 * Links between drift findings and changes: which change explains which drifted field. Every link and
 * unlink is written with a `drift_linked` / `drift_unlinked` event in the change's log, in the same
 * transaction, through the ledger's write queue.
 */
import type { Db } from './db.js';
import type { LedgerStore } from './ledger-store.js';
import { ResourceRef, changeKey } from '../ledger/model.js';
import { findingsForNewChange, linkFindings, type FindingDecision, type LinkableFinding } from '../linking/link.js';
import { refNamesObject, type LinkableChange } from '../linking/match.js';
import type { Finding } from '../drift/findings.js';
import { getFinding, listActiveFindings, unclaimedObjects } from './findings-store.js';
import { z } from 'zod';
import type { Logger } from '../log.js';

export type LinkHow = 'automatic' | 'claimed';

/** The Slack user id Stopgap's own actions are recorded under. */
export const STOPGAP_ACTOR = 'stopgap';

export interface LinkRecord {
  findingId: number;
  changeId: number;
  how: LinkHow;
  linkedBy: string;
  linkedAt: string;
}

/** What one linking pass did: links made per change, and findings the owners must decide about. */
export interface LinkOutcome {
  linked: { changeId: number; findingIds: number[] }[];
  ambiguous: Extract<FindingDecision, { outcome: 'ambiguous' }>[];
}

interface FindingLinkRow {
  id: number;
  cluster: string;
  api_group: string;
  kind: string;
  namespace: string;
  name: string;
  path: string;
  manager_time: string | null;
  first_seen: string;
}

const ResourceList = z.array(ResourceRef);

type LedgerEvent = Parameters<LedgerStore['appendEvents']>[0][number];

function toLinkable(row: FindingLinkRow): LinkableFinding {
  return {
    id: row.id,
    object: { cluster: row.cluster, group: row.api_group, kind: row.kind, name: row.name, ...(row.namespace === '' ? {} : { namespace: row.namespace }) },
    writtenAt: row.manager_time ?? undefined,
    firstSeen: row.first_seen,
  };
}

/** How an object is named in ledger events (`Deployment.apps/shop/web`): readable without the findings table. */
export function eventObjectName(ref: { group: string; kind: string; namespace?: string; name: string }): string {
  return `${ref.kind}${ref.group ? `.${ref.group}` : ''}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** How a linked field reads in a ledger event. */
function eventFinding(row: FindingLinkRow): Record<string, unknown> {
  const object = eventObjectName({ group: row.api_group, kind: row.kind, namespace: row.namespace, name: row.name });
  return { id: row.id, cluster: row.cluster, object, path: row.path };
}

/** What a committed write tells the listeners: changes that got drift linked, drift left ambiguous. */
export interface LinkNews {
  linked?: number[];
  ambiguous?: LinkOutcome['ambiguous'];
}

const outcomeNews = (o: LinkOutcome): LinkNews => ({ linked: o.linked.map((l) => l.changeId), ambiguous: o.ambiguous });

/** Logs what a linking pass did: links made, and drift two changes could equally explain. */
export function logLinkOutcome(log: Logger, outcome: LinkOutcome): void {
  for (const l of outcome.linked) log.info({ change: changeKey(l.changeId), findings: l.findingIds }, 'drift linked');
  for (const a of outcome.ambiguous) log.info({ finding: a.findingId, changes: a.changeIds.map(changeKey) }, 'drift matches several changes; left for the owners');
}

const FINDING_COLUMNS = 'f.id, f.cluster, f.api_group, f.kind, f.namespace, f.name, f.path, f.manager_time, f.first_seen';

export class LinksStore {
  private readonly stmts;
  private readonly listeners: (() => void)[] = [];
  private readonly ambiguityListeners: ((ambiguous: LinkOutcome['ambiguous']) => void)[] = [];
  private readonly linkedListeners: ((changeIds: number[]) => void)[] = [];

  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerStore,
  ) {
    this.stmts = {
      // Only the open changes that name one of these objects (a JSON array of names): a ledger of a
      // hundred thousand changes is never read whole to link one finding.
      openChangesNaming: db.prepare(`SELECT DISTINCT c.id, c.cluster, c.resources, c.created_at
        FROM change_names n JOIN changes c ON c.id = n.change_id
        WHERE n.name IN (SELECT value FROM json_each(@names)) AND c.status IN ('open', 'in_review')`),
      unlinkedNaming: db.prepare(`SELECT ${FINDING_COLUMNS} FROM drift_findings f LEFT JOIN drift_links l ON l.finding_id = f.id
        WHERE f.resolved_at IS NULL AND l.finding_id IS NULL AND f.name IN (SELECT value FROM json_each(@names)) ORDER BY f.id`),
      insertLink: db.prepare('INSERT INTO drift_links (finding_id, change_id, how, linked_by, linked_at) VALUES (?, ?, ?, ?, ?)'),
      deleteLink: db.prepare('DELETE FROM drift_links WHERE finding_id = ? AND change_id = ?'),
      linkOf: db.prepare('SELECT finding_id, change_id, how, linked_by, linked_at FROM drift_links WHERE finding_id = ?'),
      linksOf: db.prepare('SELECT finding_id, change_id, how, linked_by, linked_at FROM drift_links WHERE change_id = ? ORDER BY linked_at, finding_id'),
      findingRow: db.prepare(`SELECT ${FINDING_COLUMNS} FROM drift_findings f WHERE f.id = ?`),
      changeRow: db.prepare('SELECT resources, status FROM changes WHERE id = ?'),
      markAsked: db.prepare('INSERT OR IGNORE INTO drift_questions (finding_id, change_ids, asked_at) VALUES (?, ?, ?)'),
    };
  }

  /** Called after every committed write that may have changed links (messages about drift follow them). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Called with drift that two or more open changes explain equally well, after the pass committed. */
  onAmbiguous(listener: (ambiguous: LinkOutcome['ambiguous']) => void): void {
    this.ambiguityListeners.push(listener);
  }

  /** Called with the changes that just got drift linked to them (automatically or by hand), after the commit. */
  onLinked(listener: (changeIds: number[]) => void): void {
    this.linkedListeners.push(listener);
  }

  /**
   * A ledger write that changes links, for this store and others that link (ignoring drift): listeners
   * hear of it once committed.
   */
  async write<R>(fn: () => R, news?: (result: R) => LinkNews): Promise<R> {
    const result = await this.ledger.writeSoon(fn);
    for (const listener of this.listeners) listener();
    const { linked = [], ambiguous = [] } = news?.(result) ?? {};
    if (linked.length > 0) for (const listener of this.linkedListeners) listener(linked);
    if (ambiguous.length > 0) for (const listener of this.ambiguityListeners) listener(ambiguous);
    return result;
  }


  /**
   * Records that the owners were asked about these findings; returns the ones not asked before, so each
   * question is sent once whatever number of passes find the same tie.
   */
  markAsked(decisions: LinkOutcome['ambiguous'], now: Date): LinkOutcome['ambiguous'] {
    const fresh: LinkOutcome['ambiguous'] = [];
    for (const d of decisions) {
      const inserted = this.stmts.markAsked.run(d.findingId, JSON.stringify(d.changeIds), now.toISOString());
      if (inserted.changes === 1) fresh.push(d);
    }
    return fresh;
  }

  /** Open changes (open or in review) that name any of these objects, as linking sees them. */
  private openChangesNaming(names: Iterable<string>): LinkableChange[] {
    const list = [...new Set(names)];
    if (list.length === 0) return [];
    const rows = this.stmts.openChangesNaming.all({ names: JSON.stringify(list) }) as { id: number; cluster: string | null; resources: string; created_at: string }[];
    return rows.map((r) => ({
      id: r.id,
      cluster: r.cluster ?? undefined,
      resources: ResourceList.parse(JSON.parse(r.resources)),
      createdAt: r.created_at,
    }));
  }

  private unlinkedActive(ids?: readonly number[]): FindingLinkRow[] {
    const base = `SELECT ${FINDING_COLUMNS} FROM drift_findings f LEFT JOIN drift_links l ON l.finding_id = f.id
      WHERE f.resolved_at IS NULL AND l.finding_id IS NULL`;
    if (ids === undefined) return this.db.prepare(`${base} ORDER BY f.id`).all() as FindingLinkRow[];
    const out: FindingLinkRow[] = [];
    // In pages: SQLite caps the number of bound parameters.
    for (let i = 0; i < ids.length; i += 500) {
      const page = ids.slice(i, i + 500);
      out.push(...(this.db.prepare(`${base} AND f.id IN (${page.map(() => '?').join(',')}) ORDER BY f.id`).all(...page) as FindingLinkRow[]));
    }
    return out;
  }

  /** Writes links for one change; returns its ledger event, for the caller to append. Inside a write. */
  private link(changeId: number, rows: readonly FindingLinkRow[], how: LinkHow, by: string, now: Date): LedgerEvent[] {
    if (rows.length === 0) return [];
    const at = now.toISOString();
    for (const row of rows) this.stmts.insertLink.run(row.id, changeId, how, by, at);
    return [{ changeId, type: 'drift_linked', actor: by, at: now, data: { how, findings: rows.map(eventFinding) } }];
  }

  private record(decisions: readonly FindingDecision[], rows: readonly FindingLinkRow[], now: Date): LinkOutcome {
    const byId = new Map(rows.map((r) => [r.id, r]));
    const perChange = new Map<number, FindingLinkRow[]>();
    for (const d of decisions) {
      if (d.outcome !== 'linked') continue;
      const row = byId.get(d.findingId);
      if (!row) continue;
      const list = perChange.get(d.changeId);
      if (list) list.push(row);
      else perChange.set(d.changeId, [row]);
    }
    const linked: LinkOutcome['linked'] = [];
    const events: LedgerEvent[] = [];
    for (const [changeId, list] of [...perChange].sort((a, b) => a[0] - b[0])) {
      events.push(...this.link(changeId, list, 'automatic', STOPGAP_ACTOR, now));
      linked.push({ changeId, findingIds: list.map((r) => r.id) });
    }
    this.ledger.appendEvents(events);
    return { linked, ambiguous: decisions.filter((d): d is LinkOutcome['ambiguous'][number] => d.outcome === 'ambiguous') };
  }

  /**
   * Links findings the scanner just reported (those still unlinked), or with `'all'` every active
   * unlinked finding (at start-up, and after a pass that failed), to the open changes that explain them.
   */
  linkFindingsSoon(findingIds: readonly number[] | 'all', clusters: readonly string[], now: Date): Promise<LinkOutcome> {
    return this.write(() => {
      const rows = this.unlinkedActive(findingIds === 'all' ? undefined : findingIds);
      if (rows.length === 0) return { linked: [], ambiguous: [] };
      const open = this.openChangesNaming(rows.map((r) => r.name));
      return this.record(linkFindings(rows.map(toLinkable), open, clusters), rows, now);
    }, outcomeNews);
  }

  /** Links a newly logged change to the active unlinked findings it names (and explains best). */
  linkChangeSoon(changeId: number, clusters: readonly string[], now: Date): Promise<LinkOutcome> {
    const none: LinkOutcome = { linked: [], ambiguous: [] };
    const row = this.stmts.changeRow.get(changeId) as { resources: string; status: string } | undefined;
    if (!row || (row.status !== 'open' && row.status !== 'in_review')) return Promise.resolve(none);
    // A change's references never change: the names it mentions are read once.
    const names = JSON.stringify(ResourceList.parse(JSON.parse(row.resources)).map((r) => r.name));
    // Most changes name nothing that drifted: find that out with one small read, before any write.
    if ((this.stmts.unlinkedNaming.all({ names }) as unknown[]).length === 0) return Promise.resolve(none);
    return this.write(() => {
      const rows = this.stmts.unlinkedNaming.all({ names }) as FindingLinkRow[];
      const open = this.openChangesNaming(rows.map((r) => r.name));
      const change = open.find((c) => c.id === changeId);
      if (!change || rows.length === 0) return none;
      const { linked, ambiguous } = findingsForNewChange(change, rows.map(toLinkable), open, clusters);
      const chosen = new Set(linked);
      return this.record(
        [...linked.map((findingId): FindingDecision => ({ findingId, outcome: 'linked', changeId })), ...ambiguous],
        rows.filter((r) => chosen.has(r.id) || ambiguous.some((a) => a.findingId === r.id)),
        now,
      );
    }, outcomeNews);
  }


  /**
   * A person says these findings belong to a change. Findings linked elsewhere move (an unlink event
   * on the old change, a link event on the new one); resolved findings can be claimed too, so a change
   * can take credit for drift already put right.
   */
  claimSoon(findingIds: readonly number[], changeId: number, by: string, now: Date): Promise<{ claimed: number[]; already: number[] }> {
    return this.write(() => this.claimNow(findingIds, changeId, by, now), (result) => ({ linked: result.claimed.length > 0 ? [changeId] : [] }));
  }

  /** {@link claimSoon} inside a write another store is making (its events join that transaction). */
  claimNow(findingIds: readonly number[], changeId: number, by: string, now: Date): { claimed: number[]; already: number[] } {
    const claimed: FindingLinkRow[] = [];
    const already: number[] = [];
    const events: LedgerEvent[] = [];
    for (const id of findingIds) {
      const row = this.stmts.findingRow.get(id) as FindingLinkRow | undefined;
      if (!row) continue;
      const current = this.linkOf(id);
      if (current?.changeId === changeId) {
        already.push(id);
        continue;
      }
      if (current) events.push(this.unlink(current.changeId, [row], by, now, `moved to ${changeKey(changeId)}`));
      claimed.push(row);
    }
    events.push(...this.link(changeId, claimed, 'claimed', by, now));
    this.ledger.appendEvents(events);
    return { claimed: claimed.map((r) => r.id), already };
  }


  /** A person says these findings do not belong to the change they are linked to. */
  unclaimSoon(findingIds: readonly number[], by: string, now: Date): Promise<{ changeId: number; findingIds: number[] }[]> {
    return this.write(() => {
      const perChange = new Map<number, FindingLinkRow[]>();
      for (const id of findingIds) {
        const link = this.linkOf(id);
        const row = this.stmts.findingRow.get(id) as FindingLinkRow | undefined;
        if (!link || !row) continue;
        perChange.set(link.changeId, [...(perChange.get(link.changeId) ?? []), row]);
      }
      const out: { changeId: number; findingIds: number[] }[] = [];
      const events: LedgerEvent[] = [];
      for (const [changeId, rows] of perChange) {
        events.push(this.unlink(changeId, rows, by, now, 'unclaimed'));
        out.push({ changeId, findingIds: rows.map((r) => r.id) });
      }
      this.ledger.appendEvents(events);
      return out;
    });
  }

  /** Deletes links of one change; returns its ledger event, for the caller to append. Inside a write. */
  private unlink(changeId: number, rows: readonly FindingLinkRow[], by: string, now: Date, reason: string): LedgerEvent {
    for (const row of rows) this.stmts.deleteLink.run(row.id, changeId);
    return { changeId, type: 'drift_unlinked', actor: by, at: now, data: { reason, findings: rows.map(eventFinding) } };
  }

  linkOf(findingId: number): LinkRecord | undefined {
    const row = this.stmts.linkOf.get(findingId) as
      | { finding_id: number; change_id: number; how: LinkHow; linked_by: string; linked_at: string }
      | undefined;
    return row ? { findingId: row.finding_id, changeId: row.change_id, how: row.how, linkedBy: row.linked_by, linkedAt: row.linked_at } : undefined;
  }

  /** The findings linked to a change, oldest link first. */
  linksOf(changeId: number): LinkRecord[] {
    const rows = this.stmts.linksOf.all(changeId) as { finding_id: number; change_id: number; how: LinkHow; linked_by: string; linked_at: string }[];
    return rows.map((r) => ({ findingId: r.finding_id, changeId: r.change_id, how: r.how, linkedBy: r.linked_by, linkedAt: r.linked_at }));
  }

  finding(id: number): Finding | undefined {
    return getFinding(this.db, id);
  }

  /** The findings linked to a change, live ones first, each in the order it was linked. */
  linkedFindings(changeId: number): Finding[] {
    const found = this.linksOf(changeId)
      .map((l) => getFinding(this.db, l.findingId))
      .filter((f): f is Finding => f !== undefined);
    return [...found.filter((f) => !f.resolvedAt), ...found.filter((f) => f.resolvedAt)];
  }

  /** Active findings of the objects a resource reference names (one object unless the reference is loose). */
  activeFindingsNamed(resource: ResourceRef, cluster: string | undefined): Finding[] {
    return listActiveFindings(this.db, { name: resource.name, ...(cluster ? { cluster } : {}) }).filter((f) =>
      refNamesObject(resource, { group: f.ref.group, kind: f.ref.kind, namespace: f.ref.namespace, name: f.ref.name }),
    );
  }

  /**
   * Active findings nobody has claimed whose object `wanted` accepts (by cluster, namespace and kind):
   * the first `limit` of them, oldest first, and how many there are in all.
   */
  unclaimedWhere(wanted: (o: { cluster: string; namespace: string; kind: string }) => boolean, limit: number): { findings: Finding[]; total: number } {
    const ids = unclaimedObjects(this.db).filter(wanted).map((r) => r.id);
    return { findings: ids.slice(0, limit).map((id) => getFinding(this.db, id)).filter((f): f is Finding => f !== undefined), total: ids.length };
  }

  /** Active findings nobody has claimed, oldest first, at most `limit`, with how many there are. */
  unclaimed(opts: { cluster?: string; limit: number }): { findings: Finding[]; total: number } {
    const where = `f.resolved_at IS NULL AND l.finding_id IS NULL${opts.cluster ? ' AND f.cluster = @cluster' : ''}`;
    const params = { cluster: opts.cluster, limit: opts.limit };
    const ids = this.db
      .prepare(`SELECT f.id FROM drift_findings f LEFT JOIN drift_links l ON l.finding_id = f.id WHERE ${where} ORDER BY f.first_seen, f.id LIMIT @limit`)
      .all(opts.cluster ? params : { limit: opts.limit }) as { id: number }[];
    const { n } = this.db
      .prepare(`SELECT count(*) AS n FROM drift_findings f LEFT JOIN drift_links l ON l.finding_id = f.id WHERE ${where}`)
      .get(opts.cluster ? { cluster: opts.cluster } : {}) as { n: number };
    return { findings: ids.map((r) => getFinding(this.db, r.id)).filter((f): f is Finding => f !== undefined), total: n };
  }

  /** Of these changes, the ones with at least one linked finding still live. */
  withLiveDrift(changeIds: readonly number[]): Set<number> {
    const out = new Set<number>();
    for (let i = 0; i < changeIds.length; i += 500) {
      const page = changeIds.slice(i, i + 500);
      const rows = this.db
        .prepare(
          `SELECT DISTINCT l.change_id AS id FROM drift_links l JOIN drift_findings f ON f.id = l.finding_id
           WHERE f.resolved_at IS NULL AND l.change_id IN (${page.map(() => '?').join(',')})`,
        )
        .all(...page) as { id: number }[];
      for (const r of rows) out.add(r.id);
    }
    return out;
  }
}
