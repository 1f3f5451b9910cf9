import { createHash } from 'node:crypto';
import { canonicalJson } from '../json.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainEvent {
  seq: number;
  changeId: number;
  type: string;
  actor: string;
  at: string;
  data: unknown;
}

export interface StoredEvent {
  seq: number;
  changeId: number;
  type: string;
  actor: string;
  at: string;
  /** The canonical JSON exactly as stored. */
  data: string;
  prevHash: string;
  hash: string;
}

/** Each row's hash covers the previous hash and the event's canonical JSON. */
export function eventHash(prevHash: string, event: ChainEvent): string {
  const body = canonicalJson({
    seq: event.seq,
    changeId: event.changeId,
    type: event.type,
    actor: event.actor,
    at: event.at,
    data: event.data,
  });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/**
 * {@link eventHash} for an event whose data is already canonical JSON (as it is stored): the same
 * hash, without sorting the data's keys a second time. The envelope's keys are written in sorted order.
 */
export function eventHashOfCanonical(prevHash: string, event: Omit<ChainEvent, 'data'>, canonicalData: string): string {
  const body = `{"actor":${JSON.stringify(event.actor)},"at":${JSON.stringify(event.at)},"changeId":${JSON.stringify(event.changeId)},"data":${canonicalData},"seq":${JSON.stringify(event.seq)},"type":${JSON.stringify(event.type)}}`;
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

export type ChainProblem =
  /** Events deleted from the middle of the log. */
  | { kind: 'missing'; seq: number; message: string }
  /** An event whose content or link was edited, or a chain head that does not match its event. */
  | { kind: 'tampered'; seq: number; message: string }
  /** Events deleted from the end of the log: the recorded head is past the last event. */
  | { kind: 'truncated'; seq: number; message: string }
  /** Events added behind the ledger's back: the last event is past the recorded head. */
  | { kind: 'past_head'; seq: number; message: string };

export interface ChainHead {
  seq: number;
  hash: string;
}

function events(from: number, to: number): string {
  return from === to ? `event ${from} is` : `events ${from}..${to} are`;
}

/**
 * Walks events in order and returns every problem: a gap in sequence numbers (deleted rows), a row
 * whose content no longer matches its hash, a broken link, and, against the recorded head, a chain
 * that ends before it (rows deleted from the end), goes past it, or holds a different hash there.
 * After a gap the walk goes on from the next stored event, so one deletion is one problem.
 */
export function verifyChain(stored: Iterable<StoredEvent>, head?: ChainHead): ChainProblem[] {
  const problems: ChainProblem[] = [];
  let last: { seq: number; hash: string } | undefined;
  let hashAtHead: string | undefined;
  for (const e of stored) {
    const expectedSeq = (last?.seq ?? 0) + 1;
    if (e.seq < expectedSeq) {
      problems.push({ kind: 'tampered', seq: e.seq, message: `event ${e.seq} (SG-${e.changeId}) is out of order: its sequence number was altered` });
      continue;
    }
    if (e.seq > expectedSeq) {
      problems.push({
        kind: 'missing',
        seq: expectedSeq,
        message: `${events(expectedSeq, e.seq - 1)} missing (the next stored event is ${e.seq})`,
      });
    } else if (e.prevHash !== (last?.hash ?? GENESIS_HASH)) {
      problems.push({
        kind: 'tampered',
        seq: e.seq,
        message: `event ${e.seq} (SG-${e.changeId}) does not link to event ${e.seq - 1}: its previous hash was altered`,
      });
    }
    let data: unknown;
    try {
      data = JSON.parse(e.data);
    } catch {
      problems.push({ kind: 'tampered', seq: e.seq, message: `event ${e.seq} (SG-${e.changeId}) has unreadable data` });
    }
    if (data !== undefined && eventHash(e.prevHash, { ...e, data }) !== e.hash) {
      problems.push({
        kind: 'tampered',
        seq: e.seq,
        message: `event ${e.seq} (SG-${e.changeId}, ${e.type}) was altered: its content no longer matches its hash`,
      });
    }
    if (head && e.seq === head.seq) hashAtHead = e.hash;
    last = { seq: e.seq, hash: e.hash };
  }
  if (!head) return problems;
  const lastSeq = last?.seq ?? 0;
  if (head.seq > lastSeq) {
    problems.push({
      kind: 'truncated',
      seq: lastSeq + 1,
      message: `${events(lastSeq + 1, head.seq)} missing from the end of the log (the recorded chain head is event ${head.seq})`,
    });
  } else if (head.seq < lastSeq) {
    problems.push({
      kind: 'past_head',
      seq: head.seq + 1,
      message: `${events(head.seq + 1, lastSeq)} past the recorded chain head (event ${head.seq}): added behind the ledger's back`,
    });
  }
  // A head inside a gap is already reported as missing events.
  if (hashAtHead !== undefined && hashAtHead !== head.hash) {
    problems.push({ kind: 'tampered', seq: head.seq, message: `event ${head.seq} does not match the recorded chain head` });
  }
  return problems;
}
