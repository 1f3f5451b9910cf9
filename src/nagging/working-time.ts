/**
 * Working time in a person's own time zone: whether an instant falls in their working hours on a
 * working day, and when their next working time starts. Time zones are IANA names (`Europe/Berlin`,
 * as Slack's `users.info` gives them); daylight saving is the runtime's (Intl) business. Pure.
 */
import type { NaggingConfig } from '../config/nagging.js';
import type { PersonalDays } from '../ledger/dates.js';

export type WorkingTime = Pick<NaggingConfig, 'workingHours' | 'workingDays'>;

const DAY_MS = 86_400_000;
const WEEKDAY_INDEX: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const formats = new Map<string, Intl.DateTimeFormat>();

/** A usable IANA zone name, else UTC (an unknown or missing zone never stops a reminder). */
export function knownZone(tz: string | undefined): string {
  if (!tz) return 'UTC';
  if (formats.has(tz)) return tz;
  try {
    formatFor(tz);
    return tz;
  } catch {
    return 'UTC';
  }
}

function formatFor(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formats.set(tz, f);
  }
  return f;
}

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: number;
  /** Minutes after local midnight. */
  minutes: number;
  seconds: number;
}

/** The wall-clock reading of an instant in a zone. */
export function localTime(at: Date, tz: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatFor(knownZone(tz)).formatToParts(at)) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: WEEKDAY_INDEX[parts.weekday ?? 'Sun'] ?? 0,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    seconds: Number(parts.second),
  };
}

/** How far a zone's clocks are ahead of UTC at an instant, in ms. */
function offsetAt(ms: number, tz: string): number {
  const l = localTime(new Date(ms), tz);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, 0, l.minutes, l.seconds);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant a zone's clocks read `minutes` after midnight on a calendar day. A reading the clocks skip
 * (the hour lost to daylight saving) is taken as the same distance past the jump.
 */
export function zonedInstant(day: { year: number; month: number; day: number }, minutes: number, tz: string): Date {
  const wall = Date.UTC(day.year, day.month - 1, day.day, 0, minutes);
  const first = wall - offsetAt(wall, tz);
  const second = wall - offsetAt(first, tz);
  if (second === first) return new Date(first);
  // Two readings disagree only around a jump: the one that reads as asked, else (a skipped reading) the later.
  const reads = (ms: number) => {
    const l = localTime(new Date(ms), tz);
    return l.year === day.year && l.month === day.month && l.day === day.day && l.minutes === minutes;
  };
  if (reads(second)) return new Date(second);
  if (reads(first)) return new Date(first);
  return new Date(Math.max(first, second));
}

/** The calendar day `n` days after a local day. */
function addLocalDays(day: { year: number; month: number; day: number }, n: number): { year: number; month: number; day: number; weekday: number } {
  const d = new Date(Date.UTC(day.year, day.month - 1, day.day) + n * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay() };
}

/** `at` when it falls in working time, else when the person's next working time starts. */
export function nextWorkingTime(at: Date, tz: string, work: WorkingTime): Date {
  const zone = knownZone(tz);
  const today = localTime(at, zone);
  const days = new Set(work.workingDays);
  for (let n = 0; n <= 7; n++) {
    const day = addLocalDays(today, n);
    if (!days.has(DAY_NAMES[day.weekday] as (typeof DAY_NAMES)[number])) continue;
    const start = zonedInstant(day, work.workingHours.start, zone);
    if (at.getTime() < start.getTime()) return start;
    const end = zonedInstant(day, work.workingHours.end, zone);
    if (at.getTime() < end.getTime()) return at;
  }
  // Unreachable with at least one working day; a week on is still a sane answer.
  return new Date(at.getTime() + 7 * DAY_MS);
}

export function isWorkingTime(at: Date, tz: string, work: WorkingTime): boolean {
  return nextWorkingTime(at, tz, work).getTime() === at.getTime();
}

/** "A date" as a person means it: the start of their working hours that day, in their zone. */
export function startOfWorkingDay(day: { year: number; month: number; day: number }, tz: string, work: Pick<WorkingTime, 'workingHours'>): Date {
  return zonedInstant(day, work.workingHours.start, knownZone(tz));
}

/** A person's calendar in their zone, their day starting at their working hours' start. */
export function personalDays(tz: string, work: Pick<WorkingTime, 'workingHours'>): PersonalDays {
  const zone = knownZone(tz);
  return {
    today: (now) => {
      const l = localTime(now, zone);
      return { year: l.year, month: l.month, day: l.day, weekday: l.weekday };
    },
    startOf: (day) => startOfWorkingDay(day, zone, work),
  };
}
