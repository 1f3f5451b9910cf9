/**
 * Where each change was announced in Slack, and which follow-ups its thread already got. Slack
 * delivery state, not ledger history: it is not part of the hash chain.
 */
import type { Db } from './db.js';

export interface ChangeMessage {
  channel: string;
  ts: string;
}

export type ThreadNote = 'linked' | 'closed';

export class ChangeMessagesStore {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      record: db.prepare('INSERT OR IGNORE INTO change_messages (change_id, channel, ts) VALUES (?, ?, ?)'),
      get: db.prepare('SELECT channel, ts FROM change_messages WHERE change_id = ?'),
      linked: db.prepare('UPDATE change_messages SET linked_noted = 1 WHERE change_id = ? AND linked_noted = 0'),
      closed: db.prepare('UPDATE change_messages SET closed_noted = 1 WHERE change_id = ? AND closed_noted = 0'),
    };
  }

  record(changeId: number, message: ChangeMessage): void {
    this.stmts.record.run(changeId, message.channel, message.ts);
  }

  get(changeId: number): ChangeMessage | undefined {
    return this.stmts.get.get(changeId) as ChangeMessage | undefined;
  }

  /** Claims a follow-up for the change's thread: true the first time only (so it is sent once). */
  claimNote(changeId: number, note: ThreadNote): boolean {
    return (note === 'linked' ? this.stmts.linked : this.stmts.closed).run(changeId).changes === 1;
  }
}
