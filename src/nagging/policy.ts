/**
 * When an owner is reminded of an open change, and when the change is escalated: a function of the
 * change, what has been sent about it so far, the settings that apply to it, the owner's time zone and
 * `now`. Pure; the tick (store/nag-store.ts) writes what it decides to the outbox.
 *
 * - The first reminder comes `firstAfter` after the change was logged, then one every `every` (every
 *   `inReviewEvery` while in review), counted from the last one sent, so a tick after downtime sends one
 *   catch-up reminder, not one per missed slot.
 * - Only in the owner's working hours on their working days; never while snoozed. When a snooze ends the
 *   next reminder is due at once (in working time).
 * - Escalation, once each: when the change is past its due date (and not snoozed), and when
 *   `escalateAfter` reminders in a row went unanswered (with the reminder after them). Acting on the
 *   change (any update to it) answers the reminders so far.
 */
import type { NaggingConfig } from '../config/nagging.js';
import type { Change } from '../ledger/model.js';
import { isWorkingTime } from './working-time.js';

export type NagChange = Pick<Change, 'id' | 'status' | 'owner' | 'createdAt' | 'updatedAt' | 'dueAt' | 'snoozedUntil'>;

/** What has been sent about a change (one row of nag_state); all empty before the first reminder. */
export interface NagState {
  /** Reminders sent in all. */
  sent: number;
  /** Reminders sent since the change was last acted on. */
  unanswered: number;
  /** The change's `updatedAt` when the last reminder was sent: a later one means someone acted since. */
  seenUpdatedAt?: string;
  lastReminderAt?: string;
  /** The due date an overdue escalation was sent for. */
  escalatedDueAt?: string;
  /** The `seenUpdatedAt` an unanswered-reminders escalation was sent for. */
  escalatedUnansweredAt?: string;
}

export const EMPTY_NAG_STATE: NagState = { sent: 0, unanswered: 0 };

export type Due =
  | { kind: 'reminder'; slot: string; /** 1 for the first reminder */ number: number }
  | { kind: 'escalation'; slot: string; reason: 'overdue' | 'unanswered' };

export interface Decision {
  due: Due[];
  /** The state once what is due has been sent (written with the outbox rows, in one transaction). */
  next: NagState;
}

const NAGGED: ReadonlySet<Change['status']> = new Set(['open', 'in_review']);

/** When the next reminder is due, before working hours are applied; undefined when none will be. */
export function reminderBase(change: NagChange, state: NagState, settings: NaggingConfig): number | undefined {
  if (!NAGGED.has(change.status)) return undefined;
  const cadence = change.status === 'in_review' ? settings.inReviewEvery : settings.every;
  let base = state.lastReminderAt ? Date.parse(state.lastReminderAt) + cadence : Date.parse(change.createdAt) + settings.firstAfter;
  if (change.snoozedUntil) base = Math.max(base, Date.parse(change.snoozedUntil));
  return base;
}

/**
 * What is due for one change at `now`. `working` answers whether `now` is working time for the owner (a
 * tick over many changes asks it once per zone and settings, not once per change).
 */
export function decide(
  change: NagChange,
  state: NagState,
  settings: NaggingConfig,
  ownerZone: string,
  now: Date,
  working: (now: Date, zone: string, settings: NaggingConfig) => boolean = isWorkingTime,
): Decision {
  const t = now.getTime();
  const due: Due[] = [];
  const next: NagState = { ...state };
  if (!NAGGED.has(change.status)) return { due, next };
  const snoozed = change.snoozedUntil !== null && Date.parse(change.snoozedUntil) > t;
  // Someone acted on the change since the last reminder: the reminders so far are answered.
  const answered = state.seenUpdatedAt !== undefined && state.seenUpdatedAt !== change.updatedAt;
  const unanswered = answered ? 0 : state.unanswered;
  if (answered) next.unanswered = 0;

  const base = reminderBase(change, state, settings);
  if (!snoozed && base !== undefined && base <= t && working(now, ownerZone, settings)) {
    // `escalateAfter` reminders went unanswered: when the next one is due, the change is escalated too.
    const streak = state.seenUpdatedAt ?? change.updatedAt;
    if (unanswered >= settings.escalateAfter && state.escalatedUnansweredAt !== streak) {
      due.push({ kind: 'escalation', slot: `unanswered:${streak}`, reason: 'unanswered' });
      next.escalatedUnansweredAt = streak;
    }
    const number = state.sent + 1;
    due.push({ kind: 'reminder', slot: `reminder:${number}`, number });
    next.sent = number;
    next.unanswered = unanswered + 1;
    next.lastReminderAt = now.toISOString();
    next.seenUpdatedAt = change.updatedAt;
  }
  if (!snoozed && Date.parse(change.dueAt) <= t && state.escalatedDueAt !== change.dueAt) {
    due.push({ kind: 'escalation', slot: `overdue:${change.dueAt}`, reason: 'overdue' });
    next.escalatedDueAt = change.dueAt;
  }
  return { due, next };
}
