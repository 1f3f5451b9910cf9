/**
 * Who made a drifted field: of the audited writes to the finding's object, the one at or just before
 * the time its field manager wrote it, preferring a write whose recorded body changed the drifted
 * field, then one whose field manager, user agent or subresource agrees with what managedFields say. Pure.
 */
import { pluralOf } from './watched.js';
import { samePlace } from './changed-fields.js';

/** An audited write, as attribution needs it. */
export interface AuditedWrite {
  resource: string;
  apiGroup: string;
  namespace: string;
  name: string;
  subresource?: string;
  username: string;
  impersonatedUser?: string;
  userAgent?: string;
  fieldManager?: string;
  /** The fields the write changed, when its request body was audited. */
  changedPaths?: readonly string[];
  at: string;
}

export interface FindingToAttribute {
  /** The drifted field (JSON pointer); a write that changed it is the best explanation. */
  path?: string;
  ref: { group: string; kind: string; namespace?: string; name: string };
  attribution?: { manager: string; subresource?: string; time?: string };
  firstSeen: string;
}

/** Clocks of the API server and of managedFields agree to the second; allow a little more. */
const SKEW_MS = 2_000;
/** A write this long before the field's time is not the one that wrote it. */
const WINDOW_MS = 15 * 60_000;

/** When the finding's field was written (managedFields time, else first seen); undefined if unreadable. */
function writtenAt(finding: FindingToAttribute): number | undefined {
  const at = Date.parse(finding.attribution?.time ?? finding.firstSeen);
  return Number.isNaN(at) ? undefined : at;
}

/** The span of audited writes that can explain a finding: what a store needs to read. */
export function attributionWindow(finding: FindingToAttribute): { from: Date; to: Date } | undefined {
  const at = writtenAt(finding);
  return at === undefined ? undefined : { from: new Date(at - WINDOW_MS), to: new Date(at + SKEW_MS) };
}

/** The person a finding's write is attributed to: who acted (impersonated identity first), and who authenticated. */
export interface Person {
  username: string;
  /** With impersonation: who authenticated (the finding's person is who they acted as). */
  via?: string;
  at: string;
}

function agrees(write: AuditedWrite, manager: string | undefined, subresource: string | undefined, path: string | undefined): number {
  let score = 0;
  // The body says which fields the write changed: one that changed the drifted field outranks the rest.
  if (path !== undefined && write.changedPaths) score += write.changedPaths.some((p) => samePlace(p, path)) ? 4 : -1;
  if (manager && write.fieldManager === manager) score += 2;
  // Without a field manager the server names it after the user agent up to its first '/'.
  if (manager && !write.fieldManager && write.userAgent?.split('/')[0] === manager) score += 1;
  if (subresource && write.subresource === subresource) score += 1;
  return score;
}

/** The write to the finding's object that best explains it, or undefined when none is close enough. */
export function attributeFinding(finding: FindingToAttribute, writes: readonly AuditedWrite[]): Person | undefined {
  const { ref } = finding;
  const resource = pluralOf(ref.kind);
  const at = writtenAt(finding);
  if (at === undefined) return undefined;
  const candidates = writes.filter(
    (w) =>
      w.resource === resource &&
      w.apiGroup === ref.group &&
      w.namespace === (ref.namespace ?? '') &&
      w.name === ref.name &&
      Date.parse(w.at) <= at + SKEW_MS &&
      Date.parse(w.at) >= at - WINDOW_MS,
  );
  if (candidates.length === 0) return undefined;
  const score = (w: AuditedWrite): number => agrees(w, finding.attribution?.manager, finding.attribution?.subresource, finding.path);
  const best = [...candidates].sort(
    (a, b) =>
      score(b) - score(a) ||
      Math.abs(Date.parse(a.at) - at) - Math.abs(Date.parse(b.at) - at),
  )[0] as AuditedWrite;
  return best.impersonatedUser ? { username: best.impersonatedUser, via: best.username, at: best.at } : { username: best.username, at: best.at };
}
