import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

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

export type ChainProblem =
  | { kind: 'missing'; seq: number; message: string }
  | { kind: 'tampered'; seq: number; message: string }
  | { kind: 'truncated'; seq: number; message: string };

export interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * Walks events in order and returns the first problem: a gap in sequence numbers (a deleted row),
 * a row whose content no longer matches its hash, a broken link, or a chain that ends before the
 * recorded head (rows deleted from the end).
 */
export function verifyChain(events: Iterable<StoredEvent>, head?: ChainHead): ChainProblem | undefined {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  for (const e of events) {
    if (e.seq !== expectedSeq) {
      return {
        kind: 'missing',
        seq: expectedSeq,
        message: `event ${expectedSeq} is missing (the next stored event is ${e.seq})`,
      };
    }
    let data: unknown;
    try {
      data = JSON.parse(e.data);
    } catch {
      return { kind: 'tampered', seq: e.seq, message: `event ${e.seq} (SG-${e.changeId}) has unreadable data` };
    }
    if (e.prevHash !== prevHash) {
      return {
        kind: 'tampered',
        seq: e.seq,
        message: `event ${e.seq} (SG-${e.changeId}) does not link to event ${e.seq - 1}: its previous hash was altered`,
      };
    }
    const actual = eventHash(prevHash, { ...e, data });
    if (actual !== e.hash) {
      return {
        kind: 'tampered',
        seq: e.seq,
        message: `event ${e.seq} (SG-${e.changeId}, ${e.type}) was altered: its content no longer matches its hash`,
      };
    }
    prevHash = e.hash;
    expectedSeq += 1;
  }
  if (head && head.seq >= expectedSeq) {
    return {
      kind: 'truncated',
      seq: expectedSeq,
      message: `events ${expectedSeq}..${head.seq} are missing from the end of the log`,
    };
  }
  if (head && head.seq === expectedSeq - 1 && head.seq > 0 && head.hash !== prevHash) {
    return { kind: 'tampered', seq: head.seq, message: `event ${head.seq} does not match the recorded chain head` };
  }
  return undefined;
}
