import { redactSecrets } from '../redact.js';
import type { Change, ChangeStatus } from './model.js';

/** What a person (or later, the scanner) does to a change. */
export type ChangeAction =
  | { type: 'codified'; prUrl: string }
  | { type: 'reverted' }
  | { type: 'dismiss'; reason: string }
  | { type: 'snooze'; until: string }
  | { type: 'assign'; owner: string }
  | { type: 'reopen'; reason: string };

export interface ActionContext {
  by: string;
  now: Date;
  isAdmin: boolean;
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

/** Decides what an action does to a change. Pure: the caller persists the patch and the event. */
export function applyAction(change: Change, action: ChangeAction, ctx: ActionContext): ActionOutcome {
  if (!mayManage(change, ctx)) {
    return {
      ok: false,
      code: 'forbidden',
      message: `Only the owner (<@${change.owner}>), the person who made the change (<@${change.actor}>) or a Stopgap admin can do that to ${change.key}.`,
    };
  }
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
      return (
        move('in_review') ?? {
          ok: true,
          eventType: 'codified_claimed',
          patch: { status: 'in_review', prUrl: action.prUrl },
        }
      );
    case 'reverted':
      return move('reverted') ?? { ok: true, eventType: 'reverted', patch: { status: 'reverted', verified: false, closedAt: at } };
    case 'dismiss':
      return (
        move('dismissed') ?? {
          ok: true,
          eventType: 'dismissed',
          patch: { status: 'dismissed', reason: redactSecrets(action.reason), closedAt: at },
        }
      );
    case 'reopen':
      return (
        move('open') ?? {
          ok: true,
          eventType: 'reopened',
          patch: { status: 'open', verified: false, reason: redactSecrets(action.reason), closedAt: null },
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
      if (action.type === 'snooze') {
        if (Date.parse(action.until) <= ctx.now.getTime()) {
          return { ok: false, code: 'invalid', message: 'A snooze must end in the future.' };
        }
        return { ok: true, eventType: 'snoozed', patch: { snoozedUntil: action.until } };
      }
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
