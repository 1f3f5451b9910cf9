import { redactSecrets } from '../redact.js';
import { parseIsoTimestamp } from './dates.js';
import { checkLength, hiddenCharacterIn, hiddenCharacterMessage, stripHiddenCharacters } from './input-limits.js';
import type { Change, ChangeStatus } from './model.js';

/** One linked field as the scanner last saw it: the evidence a change closed by itself on. */
export interface ReconcileEvidence {
  finding: number;
  cluster: string;
  object: string;
  path: string;
  resolution: string;
  resolvedAt: string;
  /** Values as stored with the finding: Secret fields only as fingerprints. */
  desired?: unknown;
  live?: unknown;
}

/** Who the scanner's own actions are recorded as. */
export const SYSTEM_ACTOR = 'stopgap';

/** What a person, or the scanner (`reconciled`), does to a change. */
export type ChangeAction =
  | { type: 'codified'; prUrl: string }
  /** The scanner saw every linked field's drift end: closed as codified or reverted, verified. */
  | { type: 'reconciled'; outcome: 'codified' | 'reverted'; evidence: ReconcileEvidence[] }
  | { type: 'reverted' }
  | { type: 'dismiss'; reason: string }
  | { type: 'snooze'; until: string }
  | { type: 'assign'; owner: string }
  | { type: 'reopen'; reason: string };

export interface ActionContext {
  by: string;
  now: Date;
  isAdmin: boolean;
  /**
   * Drift linked to the change is still live: a person saying codified or reverted puts it in review
   * until the scanner confirms; without linked drift their word closes it, unverified.
   */
  liveDrift?: boolean;
}

/** The mutable columns of a change; an event carries the subset it changed. */
export type ChangePatch = Partial<
  Pick<Change, 'status' | 'verified' | 'prUrl' | 'reason' | 'owner' | 'snoozedUntil' | 'closedAt' | 'dueAt'>
>;

export type ActionOutcome =
  | { ok: true; eventType: string; patch: ChangePatch }
  | { ok: false; code: 'forbidden' | 'illegal_transition' | 'invalid'; message: string };

const CLOSED: readonly ChangeStatus[] = ['codified', 'reverted', 'dismissed'];

export function isClosed(status: ChangeStatus): boolean {
  return CLOSED.includes(status);
}

/** Legal status moves. `codified` by a person means "in review" until the scanner confirms it. */
const TRANSITIONS: Record<ChangeStatus, readonly ChangeStatus[]> = {
  open: ['in_review', 'reverted', 'dismissed', 'codified'],
  in_review: ['in_review', 'codified', 'reverted', 'dismissed', 'open'],
  codified: ['open'],
  reverted: ['open'],
  dismissed: ['open'],
};

export function canTransition(from: ChangeStatus, to: ChangeStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function mayManage(change: Pick<Change, 'owner' | 'actor'>, ctx: Pick<ActionContext, 'by' | 'isAdmin'>): boolean {
  return ctx.isAdmin || ctx.by === change.owner || ctx.by === change.actor;
}

const STATUS_WORDS: Record<ChangeStatus, string> = {
  open: 'open',
  in_review: 'in review',
  codified: 'codified',
  reverted: 'reverted',
  dismissed: 'dismissed',
};

type Checked<T> = { ok: true; value: T } | { ok: false; code: 'invalid'; message: string };

/** A reason is prose: hidden characters stripped, credentials masked, not empty, within its limit. */
function checkReason(reason: string, empty: string): Checked<string> {
  const text = stripHiddenCharacters(reason).trim();
  if (text === '') return { ok: false, code: 'invalid', message: empty };
  const tooLong = checkLength('reason', text);
  if (tooLong !== undefined) return { ok: false, code: 'invalid', message: tooLong };
  return { ok: true, value: redactSecrets(text) };
}

/** A PR URL is a name: refused with a hidden character or past its limit; credentials masked. */
function checkPrUrl(url: string): Checked<string> {
  const tooLong = checkLength('prUrl', url);
  if (tooLong !== undefined) return { ok: false, code: 'invalid', message: tooLong };
  const codePoint = hiddenCharacterIn(url);
  if (codePoint !== undefined) return { ok: false, code: 'invalid', message: hiddenCharacterMessage('The PR URL', codePoint) };
  if (!/^https?:\/\/\S+$/i.test(url)) return { ok: false, code: 'invalid', message: 'Give the full http(s) URL of the PR or commit.' };
  return { ok: true, value: redactSecrets(stripHiddenCharacters(url)) };
}

/**
 * Checks what a person typed into an action, whichever surface it came from. The `/fix` parser and
 * the modals check first, with their own examples; this keeps the ledger itself consistent.
 */
function checkInput(change: Change, action: ChangeAction, now: Date): Checked<ChangeAction> {
  switch (action.type) {
    case 'codified': {
      const url = checkPrUrl(action.prUrl);
      return url.ok ? { ok: true, value: { type: 'codified', prUrl: url.value } } : url;
    }
    case 'dismiss':
    case 'reopen': {
      const empty = action.type === 'dismiss' ? `Say why ${change.key} needs no reconciliation.` : `Say why ${change.key} is reopened.`;
      const reason = checkReason(action.reason, empty);
      return reason.ok ? { ok: true, value: { type: action.type, reason: reason.value } } : reason;
    }
    case 'snooze': {
      // `Date.parse` would roll 2027-02-30 into March, and make garbage NaN, which compares as "not past".
      const until = parseIsoTimestamp(action.until);
      if (until === undefined) return { ok: false, code: 'invalid', message: `${action.until.slice(0, 40)} is not a real date and time.` };
      if (until.getTime() <= now.getTime()) return { ok: false, code: 'invalid', message: 'A snooze must end in the future.' };
      return { ok: true, value: { type: 'snooze', until: until.toISOString() } };
    }
    case 'assign': {
      const tooLong = checkLength('owner', action.owner);
      return tooLong === undefined ? { ok: true, value: action } : { ok: false, code: 'invalid', message: tooLong };
    }
    case 'reverted':
      return { ok: true, value: action };
    case 'reconciled':
      // Only the scanner proves reconciliation; a person says codified or reverted.
      return action.evidence.length > 0 ? { ok: true, value: action } : { ok: false, code: 'invalid', message: 'A verified close needs the evidence it rests on.' };
  }
}

/** Decides what an action does to a change. Pure: the caller persists the patch and the event. */
export function applyAction(change: Change, typed: ChangeAction, ctx: ActionContext): ActionOutcome {
  if (typed.type === 'reconciled' && ctx.by !== SYSTEM_ACTOR) {
    return { ok: false, code: 'forbidden', message: 'Only the scanner closes a change as verified.' };
  }
  if (!mayManage(change, ctx)) {
    return {
      ok: false,
      code: 'forbidden',
      message: `Only the owner (<@${change.owner}>), the person who made the change (<@${change.actor}>) or a Stopgap admin can do that to ${change.key}.`,
    };
  }
  const checked = checkInput(change, typed, ctx.now);
  if (!checked.ok) return checked;
  const action = checked.value;
  const at = ctx.now.toISOString();
  const move = (to: ChangeStatus): ActionOutcome | undefined =>
    canTransition(change.status, to)
      ? undefined
      : {
          ok: false,
          code: 'illegal_transition',
          message: `${change.key} is already ${STATUS_WORDS[change.status]}; it cannot become ${STATUS_WORDS[to]}.${
            isClosed(change.status) ? ' It was closed; nothing more to do.' : ''
          }`,
        };
  switch (action.type) {
    case 'codified':
      if (!ctx.liveDrift) {
        return move('codified') ?? { ok: true, eventType: 'codified', patch: { status: 'codified', verified: false, prUrl: action.prUrl, closedAt: at } };
      }
      return (
        move('in_review') ?? {
          ok: true,
          eventType: 'codified_claimed',
          patch: { status: 'in_review', prUrl: action.prUrl },
        }
      );
    case 'reverted':
      if (ctx.liveDrift) return move('in_review') ?? { ok: true, eventType: 'reverted_claimed', patch: { status: 'in_review' } };
      return move('reverted') ?? { ok: true, eventType: 'reverted', patch: { status: 'reverted', verified: false, closedAt: at } };
    case 'reconciled':
      return (
        move(action.outcome) ?? {
          ok: true,
          eventType: `verified_${action.outcome}`,
          patch: { status: action.outcome, verified: true, closedAt: at },
        }
      );
    case 'dismiss':
      return (
        move('dismissed') ?? {
          ok: true,
          eventType: 'dismissed',
          patch: { status: 'dismissed', reason: action.reason, closedAt: at },
        }
      );
    case 'reopen':
      return (
        move('open') ?? {
          ok: true,
          eventType: 'reopened',
          patch: { status: 'open', verified: false, reason: action.reason, closedAt: null },
        }
      );
    case 'snooze':
    case 'assign': {
      if (isClosed(change.status)) {
        return {
          ok: false,
          code: 'illegal_transition',
          message: `${change.key} is ${STATUS_WORDS[change.status]}: there is nothing left to ${action.type}.`,
        };
      }
      if (action.type === 'snooze') return { ok: true, eventType: 'snoozed', patch: { snoozedUntil: action.until } };
      if (action.owner === change.owner) {
        return { ok: false, code: 'invalid', message: `<@${action.owner}> already owns ${change.key}.` };
      }
      return { ok: true, eventType: 'assigned', patch: { owner: action.owner } };
    }
  }
}

/** A change is overdue when it is still unreconciled after its due date and not snoozed. */
export function isOverdue(change: Pick<Change, 'status' | 'dueAt' | 'snoozedUntil'>, now: Date): boolean {
  if (isClosed(change.status)) return false;
  const t = now.getTime();
  if (change.snoozedUntil && Date.parse(change.snoozedUntil) > t) return false;
  return Date.parse(change.dueAt) < t;
}
