import { z } from 'zod';

/**
 * Durations in `stopgap.yml`: a whole number and a unit, `30s`, `10m`, `2h`, `1d`, `1w`. Seconds are
 * allowed everywhere so tests and the demo can run a week in moments.
 */
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
export type DurationUnit = keyof typeof UNIT_MS;

/**
 * How a duration setting is written, for its JSON Schema (`stopgap config schema`): the parser takes any
 * string or number and names what is wrong, the schema says what is right.
 */
export const durationSyntax = z.registry<{ pattern: string; description: string }>();

/** A duration setting, read into milliseconds; `units` are the ones this setting accepts. */
export function configDuration(units: readonly DurationUnit[] = ['s', 'm', 'h', 'd', 'w']) {
  const examples = units.map((u) => `${u === 's' ? 30 : u === 'm' ? 10 : 2}${u}`).join(', ');
  const written = z.union([z.string(), z.number()]);
  durationSyntax.add(written, { pattern: `^\\s*\\d{1,9}\\s*[${units.join('')}]\\s*$`, description: `a duration: a whole number and a unit (${units.join(', ')}), e.g. ${examples}` });
  return written.transform((value, ctx): number => {
    const m = /^\s*(\d{1,9})\s*([a-z])\s*$/.exec(String(value));
    const unit = m?.[2] as DurationUnit | undefined;
    if (!m || unit === undefined || !units.includes(unit)) {
      ctx.addIssue({ code: 'custom', message: `'${String(value)}' is not a duration; write a number and a unit, e.g. ${examples}` });
      return z.NEVER;
    }
    const ms = Number(m[1]) * UNIT_MS[unit];
    if (ms <= 0) {
      ctx.addIssue({ code: 'custom', message: 'must be longer than zero' });
      return z.NEVER;
    }
    return ms;
  });
}

/** How a duration in milliseconds reads back in the units above (`600000` → `10m`). */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
