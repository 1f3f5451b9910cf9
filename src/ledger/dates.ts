/**
 * Dates and durations people type and pick: strict `YYYY-MM-DD` days and ISO date-times, and how long to
 * snooze (`12h`, `3d`, `1w`, `tomorrow`, `monday`, a date), counted from a `now` the caller gives.
 * `Date.parse('2027-02-30')` is 2 March: JavaScript rolls impossible days over instead of refusing them,
 * so every date a person gives goes through here. Pure.
 */
import { collapse, stripWrap } from './fix-text.js';

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_TIMESTAMP =
  /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** `YYYY-MM-DD` naming a real calendar day, as 00:00 UTC that day; undefined for `2027-02-30`, `2026-13-01`. */
export function parseIsoDay(text: string): Date | undefined {
  const m = ISO_DAY.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return date;
}

/** Whether `text` is a `YYYY-MM-DD` that names a real calendar day. */
export function isIsoDay(text: string): boolean {
  return parseIsoDay(text) !== undefined;
}

/**
 * An ISO 8601 date-time with a zone (`2027-02-28T10:00:00Z`, `…+02:00`) whose every field is in range,
 * or undefined. Leap seconds (`:60`) are refused too.
 */
export function parseIsoTimestamp(text: string): Date | undefined {
  const m = ISO_TIMESTAMP.exec(text);
  if (!m || m[1] === undefined || parseIsoDay(m[1]) === undefined) return undefined;
  const [hh, mm, ss] = [Number(m[2]), Number(m[3]), Number(m[4] ?? 0)];
  if (hh > 23 || mm > 59 || ss > 59) return undefined;
  if (m[5] !== undefined && (Number(m[6]) > 23 || Number(m[7]) > 59)) return undefined;
  const ms = Date.parse(text.toUpperCase());
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

// ---------------------------------------------------------------------------------------------------
// Durations

export type DurationResult = { kind: 'ok'; date: Date } | { kind: 'invalid' } | { kind: 'too_far' };

/** A calendar day. */
export interface CalendarDay {
  year: number;
  month: number;
  day: number;
}

/**
 * "A date" as one person means it: their calendar (which day `now` is, where they are) and when their
 * working day starts on a given day. Without one, a date is a UTC day starting at 00:00.
 */
export interface PersonalDays {
  today(now: Date): CalendarDay & { weekday: number };
  startOf(day: CalendarDay): Date;
}

const UTC_DAYS: PersonalDays = {
  today: (now) => ({ year: now.getUTCFullYear(), month: now.getUTCMonth() + 1, day: now.getUTCDate(), weekday: now.getUTCDay() }),
  startOf: (day) => new Date(Date.UTC(day.year, day.month - 1, day.day)),
};

function plusDays(day: CalendarDay, n: number): CalendarDay {
  const d = new Date(Date.UTC(day.year, day.month - 1, day.day) + n * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

const UNIT_MS: Record<string, number> = {
  h: HOUR_MS, hr: HOUR_MS, hrs: HOUR_MS, hour: HOUR_MS, hours: HOUR_MS,
  d: DAY_MS, day: DAY_MS, days: DAY_MS,
  w: 7 * DAY_MS, wk: 7 * DAY_MS, wks: 7 * DAY_MS, week: 7 * DAY_MS, weeks: 7 * DAY_MS,
};

const WEEKDAYS: Record<string, number> = {
  sun: 0, sunday: 0,
  mon: 1, monday: 1,
  tue: 2, tues: 2, tuesday: 2,
  wed: 3, wednesday: 3,
  thu: 4, thur: 4, thurs: 4, thursday: 4,
  fri: 5, friday: 5,
  sat: 6, saturday: 6,
};

/** Beyond this a duration is nonsense rather than merely too long (and `Date` cannot hold it). */
const ABSURD_MS = 100 * 365 * DAY_MS;

/**
 * When a snooze given as `3d`, `1w`, `12h`, `2 weeks`, `tomorrow`, `monday`, `next week`, `YYYY-MM-DD`
 * or an ISO date-time with a zone would end. Relative forms count from `now`; `tomorrow` keeps `now`'s
 * time of day; a weekday or a bare date means the start of the person's working day then (`days`), else
 * 00:00 UTC. The result may lie in the past: callers decide what range they accept.
 */
export function parseDuration(text: string, now: Date, days?: PersonalDays): Date | undefined {
  const r = resolveDuration(text, now, days);
  return r.kind === 'ok' ? r.date : undefined;
}

/** Like `parseDuration`, but says why there is no end time: not a duration, or too far to represent. */
export function resolveDuration(text: string, now: Date, days: PersonalDays = UTC_DAYS): DurationResult {
  if (typeof text !== 'string' || !(now instanceof Date) || Number.isNaN(now.getTime())) {
    return { kind: 'invalid' };
  }
  let s = stripWrap(collapse(text).toLowerCase());
  s = s.replace(/^(?:for|until|till|til|to)\s+/, '');
  if (s.length > 40) return { kind: 'invalid' };

  const rel = /^(\d+)\s?([a-z]+)$/.exec(s);
  const unit = rel?.[2] === undefined ? undefined : UNIT_MS[rel[2]];
  if (rel && unit !== undefined) {
    const ms = Number(rel[1]) * unit;
    if (!Number.isFinite(ms) || ms > ABSURD_MS) return { kind: 'too_far' };
    return ok(new Date(now.getTime() + ms));
  }
  if (s === 'tomorrow') return ok(addDays(now, 1));
  if (s === 'next week') return ok(addDays(now, 7));
  const wd = /^(?:next\s)?([a-z]+)$/.exec(s);
  const target = wd?.[1] === undefined ? undefined : WEEKDAYS[wd[1]];
  if (target !== undefined) {
    // The next such day in the person's own calendar (a week on when it is today).
    const today = days.today(now);
    const ahead = (target - today.weekday + 7) % 7 || 7;
    return ok(days.startOf(plusDays(today, ahead)));
  }
  // Impossible dates (2027-02-30, 2026-13-01, 24:00) are refused, never rolled over into the next month.
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const date = parseIsoDay(s);
    return date === undefined ? { kind: 'invalid' } : ok(days.startOf({ year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() }));
  }
  if (/^\d{4}-\d{2}-\d{2}t/.test(s)) {
    const date = parseIsoTimestamp(s);
    return date === undefined ? { kind: 'invalid' } : ok(date);
  }
  return { kind: 'invalid' };
}

function ok(date: Date): DurationResult {
  return Number.isNaN(date.getTime()) ? { kind: 'too_far' } : { kind: 'ok', date };
}

export function addDays(now: Date, days: number): Date {
  return new Date(now.getTime() + days * DAY_MS);
}

/** The `YYYY-MM-DD` of a date, for examples in messages (a fixed day when the date is invalid). */
export function isoDayOf(d: Date): string {
  return Number.isNaN(d.getTime()) ? '2030-01-31' : d.toISOString().slice(0, 10);
}
