import cron from 'node-cron';
import { z } from 'zod';

/**
 * `digest:` in stopgap.yml: when the weekly digest is posted. A team in `teams` may set its own keys
 * for its channel's digest.
 */
const CronExpression = z
  .string()
  .refine((e) => cron.validate(e), {
    message: "not a cron expression: five fields (minute hour day-of-month month day-of-week), or six with seconds first, e.g. '0 9 * * 1'",
  })
  // `L` (last) and `#` (nth weekday) are not supported by the digest's catch-up: refused rather than never posted.
  .refine((e) => !/[L#]/i.test(e.replace(/[a-z]{3}/gi, (w) => (/^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)$/i.test(w) ? '' : w))), {
    message: "uses L or #, which the digest does not support: name days and weekdays plainly, e.g. '0 9 * * 1'",
  });

const TimeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a time zone: use an IANA name such as UTC, Europe/Berlin or America/New_York' },
);

export const DigestConfig = z.strictObject({
  cron: CronExpression.default('0 9 * * 1'),
  timeZone: TimeZone.default('UTC'),
  enabled: z.boolean().default(true),
});
export type DigestConfig = z.infer<typeof DigestConfig>;

export const DigestOverride = z.strictObject({
  cron: CronExpression.optional(),
  timeZone: TimeZone.optional(),
  enabled: z.boolean().optional(),
});
export type DigestOverride = z.infer<typeof DigestOverride>;

export function digestFor(base: DigestConfig, override: DigestOverride | undefined): DigestConfig {
  return { cron: override?.cron ?? base.cron, timeZone: override?.timeZone ?? base.timeZone, enabled: override?.enabled ?? base.enabled };
}
