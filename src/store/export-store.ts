/**
 * The ledger as `stopgap export` reads it: changes and their events, oldest first, from one snapshot.
 * Nothing here needs redacting again: descriptions, reasons and references were redacted before they
 * were stored, and drift values in events are Secret fingerprints, never values.
 */
import type { Change } from '../ledger/model.js';
import { changeKey } from '../ledger/model.js';
import type { Db } from './db.js';
import { CHANGE_COLUMNS, toChange, type ChangeRow } from './ledger-store.js';

export interface ExportedEvent {
  seq: number;
  change: string;
  changeId: number;
  type: string;
  actor: string;
  at: string;
  data: unknown;
  hash: string;
}

/**
 * Changes updated at or after `since` (all without it) in their current state, and the events recorded
 * at or after it: what moved since then. Run inside {@link readSnapshot} so the two agree.
 */
export function exportedChanges(db: Db, since?: Date): IterableIterator<Change> {
  const rows = db
    .prepare(`SELECT ${CHANGE_COLUMNS} FROM changes WHERE updated_at >= ? ORDER BY id`)
    .iterate(since?.toISOString() ?? '') as IterableIterator<ChangeRow>;
  return map(rows, toChange);
}

export function exportedEvents(db: Db, since?: Date): IterableIterator<ExportedEvent> {
  const rows = db
    .prepare('SELECT seq, change_id AS changeId, type, actor, at, data, hash FROM change_events WHERE at >= ? ORDER BY seq')
    .iterate(since?.toISOString() ?? '') as IterableIterator<Omit<ExportedEvent, 'change' | 'data'> & { data: string }>;
  return map(rows, (r) => ({ seq: r.seq, change: changeKey(r.changeId), changeId: r.changeId, type: r.type, actor: r.actor, at: r.at, data: JSON.parse(r.data) as unknown, hash: r.hash }));
}

/** Runs `read` (which may await, e.g. for a slow reader) inside one read transaction. */
export async function readSnapshot<T>(db: Db, read: () => Promise<T>): Promise<T> {
  db.exec('BEGIN');
  try {
    return await read();
  } finally {
    db.exec('COMMIT');
  }
}

function* map<A, B>(it: IterableIterator<A>, f: (a: A) => B): IterableIterator<B> {
  for (const a of it) yield f(a);
}
