/**
 * Strict parsing of the dates people type and pick. `Date.parse('2027-02-30')` is 2 March: JavaScript
 * rolls impossible days over instead of refusing them, so every date a person gives goes through here.
 * Pure.
 */

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
