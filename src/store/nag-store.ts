/**
 * Reminders and escalations in SQLite: which open changes may be due (read), what the policy decided
 * (nag_state and the outbox, written together per chunk in one transaction), the outbox's delivery
 * states, and owners' time zones. Two processes ticking at once cannot send a message twice: a row is
 * unique per (change, kind, slot, recipient), and state moves only from what the tick read.
 */
import type { Db } from './db.js';
import type { NagChange, NagState } from '../nagging/policy.js';
import type { ResourceRef } from '../ledger/model.js';

export interface NagCandidate extends NagChange {
  cluster: string | null;
  resources: ResourceRef[];
  state: NagState;
}

export type OutboxKind = 'reminder' | 'escalation';

export interface OutboxRow {
  id: number;
  changeId: number;
  kind: OutboxKind;
  slot: string;
  recipient: string;
  reason: string | null;
  attempts: number;
  createdAt: string;
}

export interface NewOutboxRow {
  changeId: number;
  kind: OutboxKind;
  slot: string;
  recipient: string;
  reason?: string;
}

interface CandidateRow {
  id: number;
  status: NagChange['status'];
  owner: string;
  created_at: string;
  updated_at: string;
  due_at: string;
  snoozed_until: string | null;
  cluster: string | null;
  resources: string;
  sent: number | null;
  unanswered: number | null;
  seen_updated_at: string | null;
  last_reminder_at: string | null;
  escalated_due_at: string | null;
  escalated_unanswered_at: string | null;
}

function stateOf(r: CandidateRow): NagState {
  return {
    sent: r.sent ?? 0,
    unanswered: r.unanswered ?? 0,
    ...(r.seen_updated_at ? { seenUpdatedAt: r.seen_updated_at } : {}),
    ...(r.last_reminder_at ? { lastReminderAt: r.last_reminder_at } : {}),
    ...(r.escalated_due_at ? { escalatedDueAt: r.escalated_due_at } : {}),
    ...(r.escalated_unanswered_at ? { escalatedUnansweredAt: r.escalated_unanswered_at } : {}),
  };
}

function candidateOf(r: CandidateRow): NagCandidate {
  return {
    id: r.id,
    status: r.status,
    owner: r.owner,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    dueAt: r.due_at,
    snoozedUntil: r.snoozed_until,
    cluster: r.cluster,
    resources: JSON.parse(r.resources) as ResourceRef[],
    state: stateOf(r),
  };
}

const CANDIDATE_COLUMNS = `c.id, c.status, c.owner, c.created_at, c.updated_at, c.due_at, c.snoozed_until, c.cluster, c.resources,
  n.sent, n.unanswered, n.seen_updated_at, n.last_reminder_at, n.escalated_due_at, n.escalated_unanswered_at`;

export class NagStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      // A superset of what is due: the policy decides. Bounds are the shortest settings of any team.
      candidates: db.prepare(`SELECT ${CANDIDATE_COLUMNS} FROM changes c LEFT JOIN nag_state n ON n.change_id = c.id
        WHERE c.status IN ('open', 'in_review')
          AND (c.snoozed_until IS NULL OR c.snoozed_until <= @now)
          AND ((n.last_reminder_at IS NULL AND c.created_at <= @firstBefore)
            OR (n.last_reminder_at IS NOT NULL AND n.last_reminder_at <= @cadenceBefore)
            OR (c.due_at <= @now AND (n.escalated_due_at IS NULL OR n.escalated_due_at <> c.due_at)))
        ORDER BY c.id`),
      // A chunk's changes as they are inside the writing transaction (ids as a JSON array: one statement).
      chunk: db.prepare(`SELECT ${CANDIDATE_COLUMNS} FROM changes c LEFT JOIN nag_state n ON n.change_id = c.id WHERE c.id IN (SELECT value FROM json_each(?))`),
      upsertState: db.prepare(`INSERT INTO nag_state (change_id, sent, unanswered, seen_updated_at, last_reminder_at, escalated_due_at, escalated_unanswered_at)
        VALUES (@changeId, @sent, @unanswered, @seenUpdatedAt, @lastReminderAt, @escalatedDueAt, @escalatedUnansweredAt)
        ON CONFLICT (change_id) DO UPDATE SET sent = excluded.sent, unanswered = excluded.unanswered, seen_updated_at = excluded.seen_updated_at,
          last_reminder_at = excluded.last_reminder_at, escalated_due_at = excluded.escalated_due_at, escalated_unanswered_at = excluded.escalated_unanswered_at`),
      enqueue: db.prepare(`INSERT OR IGNORE INTO outbox (change_id, kind, slot, recipient, reason, created_at, next_attempt_at)
        VALUES (@changeId, @kind, @slot, @recipient, @reason, @at, @at)`),
      due: db.prepare(`SELECT id, change_id AS changeId, kind, slot, recipient, reason, attempts, created_at AS createdAt FROM outbox
        WHERE (state = 'pending' AND next_attempt_at <= @now) OR (state = 'sending' AND sending_since <= @staleBefore)
        ORDER BY id LIMIT @limit`),
      claim: db.prepare(`UPDATE outbox SET state = 'sending', sending_since = @now, attempts = attempts + 1
        WHERE id = @id AND (state = 'pending' OR (state = 'sending' AND sending_since <= @staleBefore))`),
      sent: db.prepare(`UPDATE outbox SET state = 'sent', sent_at = @now, channel = @channel, ts = @ts, error = NULL WHERE id = @id`),
      retry: db.prepare(`UPDATE outbox SET state = 'pending', next_attempt_at = @next, error = @error WHERE id = @id`),
      failed: db.prepare(`UPDATE outbox SET state = 'failed', error = @error WHERE id = @id`),
      skipped: db.prepare(`UPDATE outbox SET state = 'skipped', error = @why WHERE id = @id`),
      zone: db.prepare('SELECT tz, problem, fetched_at AS fetchedAt FROM slack_users WHERE user_id = ?'),
      setZone: db.prepare(`INSERT INTO slack_users (user_id, tz, fetched_at, problem) VALUES (?, ?, ?, ?)
        ON CONFLICT (user_id) DO UPDATE SET tz = excluded.tz, fetched_at = excluded.fetched_at, problem = excluded.problem`),
    };
  }

  /** Open changes that may have something due at `now` (see the bounds above). */
  candidates(now: Date, bounds: { firstAfterMs: number; cadenceMs: number }): NagCandidate[] {
    const t = now.getTime();
    const rows = this.stmts.candidates.all({
      now: now.toISOString(),
      firstBefore: new Date(t - bounds.firstAfterMs).toISOString(),
      cadenceBefore: new Date(t - bounds.cadenceMs).toISOString(),
    }) as CandidateRow[];
    return rows.map(candidateOf);
  }

  /**
   * Writes what was decided for a chunk of changes, in one transaction: for each change, its state is
   * re-read and `decide` asked again, so a second process that got there first wins and nothing repeats.
   * Returns the outbox rows added.
   */
  commitDecisions(ids: readonly number[], decide: (candidate: NagCandidate) => { next: NagState; rows: NewOutboxRow[] } | undefined, now: Date): number {
    const at = now.toISOString();
    return this.db.transaction(() => {
      let added = 0;
      for (const row of this.stmts.chunk.all(JSON.stringify(ids)) as CandidateRow[]) {
        const decision = decide(candidateOf(row));
        if (!decision || decision.rows.length === 0) continue;
        const s = decision.next;
        this.stmts.upsertState.run({
          changeId: row.id,
          sent: s.sent,
          unanswered: s.unanswered,
          seenUpdatedAt: s.seenUpdatedAt ?? null,
          lastReminderAt: s.lastReminderAt ?? null,
          escalatedDueAt: s.escalatedDueAt ?? null,
          escalatedUnansweredAt: s.escalatedUnansweredAt ?? null,
        });
        for (const r of decision.rows) added += this.stmts.enqueue.run({ ...r, reason: r.reason ?? null, at }).changes;
      }
      return added;
    }).immediate();
  }

  /** Adds one message to the outbox (an escalation for an undeliverable DM); false when already there. */
  enqueue(row: NewOutboxRow, now: Date): boolean {
    return this.stmts.enqueue.run({ ...row, reason: row.reason ?? null, at: now.toISOString() }).changes > 0;
  }

  /** Messages ready to send: pending and due, or left `sending` by a process that stopped (stale). */
  due(now: Date, opts: { limit: number; staleMs: number }): OutboxRow[] {
    return this.stmts.due.all({ now: now.toISOString(), staleBefore: new Date(now.getTime() - opts.staleMs).toISOString(), limit: opts.limit }) as OutboxRow[];
  }

  /** Takes a message for sending; false when another sender has it. */
  claim(id: number, now: Date, staleMs: number): boolean {
    return this.stmts.claim.run({ id, now: now.toISOString(), staleBefore: new Date(now.getTime() - staleMs).toISOString() }).changes > 0;
  }

  markSent(id: number, where: { channel: string; ts: string }, now: Date): void {
    this.stmts.sent.run({ id, now: now.toISOString(), channel: where.channel, ts: where.ts });
  }

  markRetry(id: number, next: Date, error: string): void {
    this.stmts.retry.run({ id, next: next.toISOString(), error });
  }

  markFailed(id: number, error: string): void {
    this.stmts.failed.run({ id, error });
  }

  markSkipped(id: number, why: string): void {
    this.stmts.skipped.run({ id, why });
  }

  zone(userId: string): { tz: string | null; problem: string | null; fetchedAt: string } | undefined {
    return this.stmts.zone.get(userId) as { tz: string | null; problem: string | null; fetchedAt: string } | undefined;
  }

  setZone(userId: string, tz: string | null, now: Date, problem?: string): void {
    this.stmts.setZone.run(userId, tz, now.toISOString(), problem ?? null);
  }
}
