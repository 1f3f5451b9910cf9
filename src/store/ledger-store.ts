import type { Db } from './db.js';
import { groupCommit } from './group-commit.js';
import { StopgapError } from '../errors.js';
import { canonicalJson } from '../json.js';
import { GENESIS_HASH, eventHashOfCanonical, verifyChain, type ChainProblem, type StoredEvent } from '../ledger/chain.js';
import { applyAction, type ActionContext, type ChangeAction, type ChangePatch } from '../ledger/lifecycle.js';
import { Change, ChangeDraft, ResourceRef, changeKey, type ChangeStatus, type ListScope } from '../ledger/model.js';
import { z } from 'zod';
import { redactSecrets } from '../redact.js';

export interface ChangeRow {
  id: number;
  description: string;
  actor: string;
  owner: string;
  cluster: string | null;
  resources: string;
  incident: string | null;
  channel_id: string | null;
  source: string;
  status: string;
  verified: number;
  pr_url: string | null;
  reason: string | null;
  message_link: string | null;
  created_at: string;
  due_at: string;
  snoozed_until: string | null;
  closed_at: string | null;
  updated_at: string;
}

/**
 * The stored columns, named: `SELECT *` would also compute the generated ones (migration 016: first
 * object's namespace and kind, for the digest's index), parsing each row's resources for nothing.
 */
export const CHANGE_COLUMNS = 'id, description, actor, owner, cluster, resources, incident, channel_id, source, status, verified, pr_url, reason, message_link, created_at, due_at, snoozed_until, closed_at, updated_at';

const ResourceList = z.array(ResourceRef);

export function toChange(row: ChangeRow): Change {
  return Change.parse({
    id: row.id,
    key: changeKey(row.id),
    description: row.description,
    actor: row.actor,
    owner: row.owner,
    cluster: row.cluster,
    resources: ResourceList.parse(JSON.parse(row.resources)),
    incident: row.incident,
    channelId: row.channel_id,
    source: row.source,
    status: row.status,
    verified: row.verified === 1,
    prUrl: row.pr_url,
    reason: row.reason,
    messageLink: row.message_link,
    createdAt: row.created_at,
    dueAt: row.due_at,
    snoozedUntil: row.snoozed_until,
    closedAt: row.closed_at,
    updatedAt: row.updated_at,
  });
}

const PATCH_COLUMNS: Record<keyof ChangePatch, string> = {
  status: 'status',
  verified: 'verified',
  prUrl: 'pr_url',
  reason: 'reason',
  owner: 'owner',
  snoozedUntil: 'snoozed_until',
  closedAt: 'closed_at',
  dueAt: 'due_at',
};


export interface CreateResult {
  change: Change;
  /** False when the request was a retry or double submit of one already recorded. */
  created: boolean;
}

export type ActionResult =
  /** `duplicate`: a retry of a request already applied (same trigger_id or Slack retry); nothing changed. */
  | { ok: true; change: Change; before: Change; duplicate?: boolean }
  | { ok: false; code: 'not_found' | 'forbidden' | 'illegal_transition' | 'invalid'; message: string };

export type VerifyProblem =
  | ChainProblem
  /** A change row that differs from the replay of its events, or cannot be read. */
  | { kind: 'state_mismatch'; seq: number; message: string }
  /** A change row with no events at all. */
  | { kind: 'no_events'; seq: 0; message: string }
  /** Events of a change whose row is gone; `seq` is the first of them. */
  | { kind: 'orphaned_events'; seq: number; message: string }
  /** The recorded chain head is missing or unreadable. */
  | { kind: 'bad_head'; seq: 0; message: string };

export interface VerifyReport {
  ok: boolean;
  events: number;
  changes: number;
  /** Every problem found, chain first, then rows; empty when `ok`. */
  problems: VerifyProblem[];
}

const HEAD_KEY = 'ledger.chain_head';

/** The ledger's persistence: every mutation writes the row and appends its event in one transaction. */
export class LedgerStore {
  private readonly db: Db;
  private readonly stmts;
  /** {@link create} for request handlers: creates arriving together share one commit. */
  readonly createSoon: (input: ChangeDraft, opts: { now: Date; defaultDueDays: number; requestKeys?: string[] }) => Promise<CreateResult>;
  /** {@link act} for request handlers: resolves once the action is committed, shares commits like {@link createSoon}. */
  readonly actSoon: (id: number, action: ChangeAction, ctx: ActionContext, opts?: { requestKeys?: string[] }) => Promise<ActionResult>;
  /** {@link claimRequest} that waits (off the event loop) while another process holds the write lock. */
  readonly claimRequestSoon: (key: string, now: Date) => Promise<boolean>;
  /**
   * Any other ledger write (links between drift and changes, ignore rules), through the same queue so
   * it commits in order with the rest; `write` runs inside the batch's transaction.
   */
  readonly writeSoon: <R>(write: () => R) => Promise<R>;

  constructor(db: Db, opts: { busyDeadlineMs?: number } = {}) {
    this.db = db;
    const commitOpts = { busyDeadlineMs: opts.busyDeadlineMs };
    this.stmts = {
      insert: db.prepare(`INSERT INTO changes
        (description, actor, owner, cluster, resources, incident, channel_id, source, status, verified,
         message_link, created_at, due_at, updated_at)
        VALUES (@description, @actor, @owner, @cluster, @resources, @incident, @channel_id, @source, 'open', 0,
         @message_link, @created_at, @due_at, @updated_at)`),
      get: db.prepare(`SELECT ${CHANGE_COLUMNS} FROM changes WHERE id = ?`),
      lastEvent: db.prepare('SELECT seq, hash FROM change_events ORDER BY seq DESC LIMIT 1'),
      appendEvent: db.prepare(`INSERT INTO change_events (seq, change_id, type, actor, at, data, prev_hash, hash)
        VALUES (@seq, @changeId, @type, @actor, @at, @data, @prevHash, @hash)`),
      setHead: db.prepare(`INSERT INTO settings (key, value) VALUES ('${HEAD_KEY}', ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
      getHead: db.prepare(`SELECT value FROM settings WHERE key = '${HEAD_KEY}'`),
      requestKey: db.prepare('SELECT change_id FROM request_keys WHERE key = ?'),
      insertRequestKey: db.prepare('INSERT INTO request_keys (key, change_id, created_at) VALUES (?, ?, ?)'),
      insertName: db.prepare('INSERT OR IGNORE INTO change_names (name, change_id) VALUES (?, ?)'),
      count: db.prepare('SELECT count(*) AS n FROM changes'),
    };
    // One queue for every ledger write, so writes commit in the order they were asked for.
    const commitSoon = groupCommit(db, (write: () => unknown) => write(), commitOpts);
    this.createSoon = (input, opts) => commitSoon(() => this.create(input, opts)) as Promise<CreateResult>;
    this.actSoon = (id, action, ctx, opts) => commitSoon(() => this.act(id, action, ctx, opts)) as Promise<ActionResult>;
    this.claimRequestSoon = (key, now) => commitSoon(() => this.claimRequest(key, now)) as Promise<boolean>;
    this.writeSoon = <R>(write: () => R) => commitSoon(() => this.db.transaction(write).immediate()) as Promise<R>;
  }

  get(id: number): Change | undefined {
    const row = this.stmts.get.get(id) as ChangeRow | undefined;
    return row ? toChange(row) : undefined;
  }

  count(): number {
    return (this.stmts.count.get() as { n: number }).n;
  }

  /** The change a Slack request key (trigger_id, view id, event_id) already produced, if any. */
  changeForRequest(key: string): Change | undefined {
    const row = this.stmts.requestKey.get(key) as { change_id: number | null } | undefined;
    return row?.change_id ? this.get(row.change_id) : undefined;
  }

  /**
   * Claims a Slack request key (an Events API event_id) that produces no change: true the first time,
   * false for Slack's retries of the same event. Keys older than a day are forgotten; Slack stops
   * retrying long before that.
   */
  claimRequest(key: string, now: Date): boolean {
    const at = now.toISOString();
    const inserted = this.db.prepare('INSERT OR IGNORE INTO request_keys (key, change_id, created_at) VALUES (?, NULL, ?)').run(key, at);
    if (inserted.changes === 1 && Math.random() < 0.01) {
      this.db
        .prepare('DELETE FROM request_keys WHERE change_id IS NULL AND created_at < ?')
        .run(new Date(now.getTime() - 86_400_000).toISOString());
    }
    return inserted.changes === 1;
  }

  /**
   * Records a new change. With `requestKeys`, a retried or double-submitted request returns the change
   * the first one created instead of creating a second.
   */
  create(
    input: ChangeDraft,
    opts: { now: Date; defaultDueDays: number; requestKeys?: string[] },
  ): CreateResult {
    const draft = ChangeDraft.parse(input);
    const now = opts.now.toISOString();
    const dueAt = draft.dueAt ?? new Date(opts.now.getTime() + opts.defaultDueDays * 86_400_000).toISOString();
    return this.db.transaction((): CreateResult => {
      for (const key of opts.requestKeys ?? []) {
        const existing = this.changeForRequest(key);
        if (existing) return { change: existing, created: false };
      }
      const row = {
        description: draft.description,
        actor: draft.actor,
        owner: draft.owner ?? draft.actor,
        cluster: draft.cluster ?? null,
        resources: JSON.stringify(draft.resources),
        incident: draft.incident ?? null,
        channel_id: draft.channelId ?? null,
        source: draft.source,
        message_link: draft.messageLink ?? null,
        created_at: now,
        due_at: dueAt,
        updated_at: now,
      };
      const id = Number(this.stmts.insert.run(row).lastInsertRowid);
      for (const key of opts.requestKeys ?? []) this.stmts.insertRequestKey.run(key, id, now);
      // What linking looks changes up by: the names of the objects this change mentions.
      for (const ref of draft.resources) this.stmts.insertName.run(ref.name, id);
      // The row as just inserted (the columns the INSERT leaves to their defaults spelled out), not re-read.
      const change = toChange({ ...row, id, status: 'open', verified: 0, pr_url: null, reason: null, snoozed_until: null, closed_at: null });
      this.append(id, 'created', draft.actor, now, { patch: snapshot(change) });
      return { change, created: true };
    }).immediate();
  }

  /**
   * Applies a person's action: permission and lifecycle checks, then row update and event, atomically.
   * With `requestKeys`, a retried or replayed request (same trigger_id) applies once: the replay gets
   * the change as it is, marked `duplicate`, and adds no event.
   */
  act(id: number, action: ChangeAction, ctx: ActionContext, opts: { requestKeys?: string[] } = {}): ActionResult {
    return this.db.transaction((): ActionResult => {
      for (const key of opts.requestKeys ?? []) {
        const row = this.stmts.requestKey.get(key) as { change_id: number | null } | undefined;
        const existing = row ? this.get(row.change_id ?? id) : undefined;
        if (row && existing) return { ok: true, change: existing, before: existing, duplicate: true };
      }
      const before = this.get(id);
      if (!before) {
        return {
          ok: false,
          code: 'not_found',
          message: `There is no change ${changeKey(id)}. Try \`list all\` to see the ledger.`,
        };
      }
      const outcome = applyAction(before, action, ctx);
      if (!outcome.ok) return outcome;
      const change = this.patch(id, outcome.patch, ctx.now);
      for (const key of opts.requestKeys ?? []) this.stmts.insertRequestKey.run(key, id, ctx.now.toISOString());
      this.append(id, outcome.eventType, ctx.by, ctx.now.toISOString(), { action: recordedAction(action), patch: outcome.patch });
      return { ok: true, change, before };
    }).immediate();
  }

  private patch(id: number, patch: ChangePatch, now: Date): Change {
    const sets: string[] = [];
    const values: Record<string, unknown> = { id, updated_at: now.toISOString() };
    for (const [field, column] of Object.entries(PATCH_COLUMNS) as [keyof ChangePatch, string][]) {
      if (!(field in patch)) continue;
      const v = patch[field];
      sets.push(`${column} = @${column}`);
      values[column] = typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? null);
    }
    this.db.prepare(`UPDATE changes SET ${sets.join(', ')}, updated_at = @updated_at WHERE id = @id`).run(values);
    const change = this.get(id);
    if (!change) throw new StopgapError('ledger_not_found', `SG-${id} vanished while it was being updated`);
    return change;
  }

  /**
   * Records things that happened to changes without changing their rows (drift linked or unlinked);
   * only inside a write ({@link writeSoon}), so they commit with what they describe. Many events are
   * chained in one go: the head is read and written once.
   */
  appendEvents(events: readonly { changeId: number; type: 'drift_linked' | 'drift_unlinked'; actor: string; at: Date; data: Record<string, unknown> }[]): void {
    if (!this.db.inTransaction) throw new Error('ledger events must be appended inside a write (writeSoon)');
    this.appendAll(events.map((e) => ({ ...e, at: e.at.toISOString() })));
  }

  private append(changeId: number, type: string, actor: string, at: string, data: unknown): void {
    this.appendAll([{ changeId, type, actor, at, data }]);
  }

  private appendAll(events: readonly { changeId: number; type: string; actor: string; at: string; data: unknown }[]): void {
    if (events.length === 0) return;
    const stored = this.stmts.lastEvent.get() as { seq: number; hash: string } | undefined;
    const headRow = this.stmts.getHead.get() as { value: string } | undefined;
    const head = headRow ? parseHead(headRow.value) : undefined;
    // Events deleted from the end of the log would otherwise be overwritten by the next write, with a
    // fresh head to match; chaining from the recorded head keeps them a gap that verify names.
    const last = head && (!stored || head.seq > stored.seq) ? head : stored;
    let seq = last?.seq ?? 0;
    let prevHash = last?.hash ?? GENESIS_HASH;
    for (const { changeId, type, actor, at, data } of events) {
      seq += 1;
      const canonical = canonicalJson(data);
      const hash = eventHashOfCanonical(prevHash, { seq, changeId, type, actor, at }, canonical);
      this.stmts.appendEvent.run({ seq, changeId, type, actor, at, data: canonical, prevHash, hash });
      prevHash = hash;
    }
    this.stmts.setHead.run(JSON.stringify({ seq, hash: prevHash }));
  }

  /** Open changes about a cluster (and, when asked, those logged without one), newest first. */
  openOnCluster(cluster: string, opts: { withoutCluster: boolean; limit: number }): Change[] {
    const rows = this.db
      .prepare(
        `SELECT ${CHANGE_COLUMNS} FROM changes WHERE status IN ('open', 'in_review') AND (cluster = @cluster${opts.withoutCluster ? ' OR cluster IS NULL' : ''})
         ORDER BY id DESC LIMIT @limit`,
      )
      .all({ cluster, limit: opts.limit }) as ChangeRow[];
    return rows.map(toChange);
  }

  list(opts: { scope: ListScope; user: string; now: Date; limit?: number }): { changes: Change[]; total: number } {
    const limit = opts.limit ?? 20;
    const open = `status IN ('open', 'in_review')`;
    let where: string;
    const params: Record<string, unknown> = { user: opts.user, now: opts.now.toISOString(), limit };
    switch (opts.scope) {
      case 'mine':
        where = `owner = @user AND ${open}`;
        break;
      case 'all':
        where = open;
        break;
      case 'overdue':
        where = `${open} AND due_at < @now AND (snoozed_until IS NULL OR snoozed_until <= @now)`;
        break;
    }
    const rows = this.db
      .prepare(`SELECT ${CHANGE_COLUMNS} FROM changes WHERE ${where} ORDER BY due_at ASC, id ASC LIMIT @limit`)
      .all(params) as ChangeRow[];
    const { n } = this.db.prepare(`SELECT count(*) AS n FROM changes WHERE ${where}`).get(params) as { n: number };
    return { changes: rows.map(toChange), total: n };
  }

  /** Open changes `user` logged with someone else as owner, earliest due first, at most `limit`. */
  loggedForOthers(user: string, limit: number): { changes: Change[]; total: number } {
    const where = `actor = @user AND owner <> @user AND status IN ('open', 'in_review')`;
    const rows = this.db.prepare(`SELECT ${CHANGE_COLUMNS} FROM changes WHERE ${where} ORDER BY due_at ASC, id ASC LIMIT @limit`).all({ user, limit }) as ChangeRow[];
    const { n } = this.db.prepare(`SELECT count(*) AS n FROM changes WHERE ${where}`).get({ user }) as { n: number };
    return { changes: rows.map(toChange), total: n };
  }

  events(changeId: number): { type: string; actor: string; at: string; data: unknown }[] {
    const rows = this.db
      .prepare('SELECT type, actor, at, data FROM change_events WHERE change_id = ? ORDER BY seq')
      .all(changeId) as { type: string; actor: string; at: string; data: string }[];
    return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as unknown }));
  }

  /**
   * Walks the hash chain, then replays each change's events and compares the result with its row.
   * Names every edited, deleted or added event, every change row without events or edited behind the
   * ledger's back, and every change whose row was deleted while its events remain.
   */
  verify(): VerifyReport {
    // One read transaction: the head, the events and the rows come from one snapshot, so a write that
    // commits meanwhile is seen whole or not at all, never as a change without events. The first
    // statement inside is a read, which is what starts the snapshot of a deferred BEGIN.
    return this.db.transaction(() => this.verifySnapshot())();
  }

  private verifySnapshot(): VerifyReport {
    const problems: VerifyProblem[] = [];
    const headRow = this.stmts.getHead.get() as { value: string } | undefined;
    const head = headRow ? parseHead(headRow.value) : undefined;
    if (headRow && !head) problems.push({ kind: 'bad_head', seq: 0, message: 'the recorded chain head is unreadable' });
    const rows = this.db
      .prepare(
        'SELECT seq, change_id AS changeId, type, actor, at, data, prev_hash AS prevHash, hash FROM change_events ORDER BY seq',
      )
      .iterate() as IterableIterator<StoredEvent>;
    let events = 0;
    const replayed = new Map<number, Record<string, unknown>>();
    const perChange = new Map<number, { first: number; last: number; count: number }>();
    function* tap(): Generator<StoredEvent> {
      for (const e of rows) {
        events += 1;
        const seen = perChange.get(e.changeId);
        perChange.set(e.changeId, { first: seen?.first ?? e.seq, last: e.seq, count: (seen?.count ?? 0) + 1 });
        try {
          const data = JSON.parse(e.data) as { patch?: Record<string, unknown> };
          replayed.set(e.changeId, { ...(replayed.get(e.changeId) ?? {}), ...(data.patch ?? {}) });
        } catch {
          // verifyChain reports unreadable data
        }
        yield e;
      }
    }
    const chainProblems = verifyChain(tap(), head);
    if (!headRow && events > 0) {
      problems.push({ kind: 'bad_head', seq: 0, message: 'the log has events but its recorded chain head was removed' });
    }
    problems.push(...chainProblems);

    const ids = (this.db.prepare('SELECT id FROM changes ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    const present = new Set(ids);
    for (const [id, seen] of perChange) {
      if (present.has(id)) continue;
      problems.push({
        kind: 'orphaned_events',
        seq: seen.first,
        message: `SG-${id} is gone but ${seen.count === 1 ? `event ${seen.first} refers` : `${seen.count} events (from event ${seen.first}) refer`} to it: its row was deleted behind the ledger's back`,
      });
    }
    for (const id of ids) {
      const seq = perChange.get(id)?.last ?? 0;
      let change: Change | undefined;
      try {
        change = this.get(id);
      } catch {
        problems.push({ kind: 'state_mismatch', seq, message: `SG-${id}'s row is unreadable: it was edited outside the ledger` });
        continue;
      }
      if (!change) continue;
      if (!perChange.has(id)) {
        problems.push({
          kind: 'no_events',
          seq: 0,
          message: `SG-${id} has no events: it was inserted behind the ledger's back, or its events were deleted`,
        });
        continue;
      }
      const state = replayed.get(id);
      // Events whose data is unreadable replay to nothing; verifyChain already named them.
      if (!state) continue;
      const current = snapshot(change);
      for (const [field, value] of Object.entries(state)) {
        const actual = canonicalJson(current[field as keyof typeof current]);
        if (actual !== canonicalJson(value)) {
          problems.push({
            kind: 'state_mismatch',
            seq,
            message: `SG-${id}'s ${field} was changed outside the ledger (the event log says ${canonicalJson(value)}, the row says ${actual})`,
          });
        }
      }
    }
    return { ok: problems.length === 0, events, changes: ids.length, problems };
  }

  /** Number of open changes per status, for metrics and the Home tab. */
  statusCounts(): Record<ChangeStatus, number> {
    const out: Record<ChangeStatus, number> = { open: 0, in_review: 0, codified: 0, reverted: 0, dismissed: 0 };
    for (const r of this.db.prepare('SELECT status, count(*) AS n FROM changes GROUP BY status').all() as {
      status: ChangeStatus;
      n: number;
    }[]) {
      out[r.status] = r.n;
    }
    return out;
  }
}

function parseHead(value: string): { seq: number; hash: string } | undefined {
  try {
    const head = JSON.parse(value) as { seq?: unknown; hash?: unknown };
    return typeof head.seq === 'number' && typeof head.hash === 'string' ? { seq: head.seq, hash: head.hash } : undefined;
  } catch {
    return undefined;
  }
}

/** The fields an event log replay reconstructs; `updatedAt` is bookkeeping and not replayed. */
function snapshot(change: Change): Omit<Change, 'updatedAt' | 'key'> {
  const { updatedAt: _u, key: _k, ...rest } = change;
  return rest;
}


/** The action as the event log keeps it: free text masked like the row it produced. */
function recordedAction(action: ChangeAction): ChangeAction {
  const masked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(action)) masked[key] = key !== 'type' && typeof value === 'string' ? redactSecrets(value) : value;
  return masked as ChangeAction;
}
