/**
 * When a digest is due: the latest moment at or before `now` that a cron expression names, in a time
 * zone, and the week that moment belongs to (a digest is posted once per channel per week). Pure.
 */
import cron from 'node-cron';
import { knownZone, localTime, zonedInstant } from '../nagging/working-time.js';

const DAY_MS = 86_400_000;
/** How far back an occurrence is looked for: a yearly expression still finds its last one. */
const LOOKBACK_DAYS = 400;

/** The latest instant at or before `now` the expression names in `tz`, or undefined within the lookback. */
export function latestOccurrence(expression: string, tz: string, now: Date): Date | undefined {
  const f = cron.parse(expression);
  const zone = knownZone(tz);
  const numbers = (xs: (number | string)[]) => xs.map(Number).filter((n) => Number.isFinite(n));
  const dom = new Set(numbers(f.dayOfMonth));
  const dow = new Set(numbers(f.dayOfWeek).map((d) => d % 7));
  const domAll = dom.size >= 31;
  const dowAll = dow.size >= 7;
  const months = new Set(f.month);
  const hours = [...f.hour].sort((a, b) => b - a);
  const minutes = [...f.minute].sort((a, b) => b - a);
  const second = Math.max(...f.second);
  const today = localTime(now, zone);
  for (let back = 0; back <= LOOKBACK_DAYS; back++) {
    const d = new Date(Date.UTC(today.year, today.month - 1, today.day) - back * DAY_MS);
    const day = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
    if (!months.has(day.month)) continue;
    // As node-cron fires: both day fields must match (it does not OR them as classic cron does).
    const dayOk = (domAll || dom.has(day.day)) && (dowAll || dow.has(d.getUTCDay()));
    if (!dayOk) continue;
    for (const h of hours) {
      for (const m of minutes) {
        const at = new Date(zonedInstant(day, h * 60 + m, zone).getTime() + second * 1000);
        // A time the clocks skip (spring forward) does not happen that day; one they repeat is taken once.
        if (at.getTime() <= now.getTime() && localTime(at, zone).minutes === h * 60 + m) return at;
      }
    }
  }
  return undefined;
}

/** The ISO week (`2026-W49`) of an instant's date in `tz`: one digest per channel per week. */
export function isoWeekOf(at: Date, tz: string): string {
  const l = localTime(at, knownZone(tz));
  const date = new Date(Date.UTC(l.year, l.month - 1, l.day));
  const weekday = (date.getUTCDay() + 6) % 7; // Monday 0
  date.setUTCDate(date.getUTCDate() - weekday + 3); // the week's Thursday names its year
  const year = date.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  const week = 1 + Math.round(((date.getTime() - firstThursday.getTime()) / DAY_MS - 3 + ((firstThursday.getUTCDay() + 6) % 7)) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}
