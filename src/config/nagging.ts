import { z } from 'zod';
import { configDuration } from './duration.js';
import { SlackChannelId, SlackUserId } from './slack-ids.js';

/**
 * `nagging:` in stopgap.yml: when owners are reminded of their open changes, and when a change is
 * escalated. A team in `teams` may override any of these keys for the changes it owns.
 */

export const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type WeekdayName = (typeof WEEKDAY_NAMES)[number];

/** `09:00` → minutes after midnight. */
const ClockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "write a time of day as HH:MM, e.g. '09:00'" })
  .transform((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3)));

const WorkingHours = z
  .strictObject({ start: ClockTime, end: ClockTime.or(z.literal('24:00').transform(() => 24 * 60)) })
  .refine((h) => h.start < h.end, { message: 'working hours must end after they start, e.g. { start: "09:00", end: "18:00" }' });

const WorkingDays = z
  .array(z.enum(WEEKDAY_NAMES, { message: `a day is one of ${WEEKDAY_NAMES.join(', ')}` }))
  .min(1, 'name at least one working day, e.g. [mon, tue, wed, thu, fri]')
  .refine((days) => new Set(days).size === days.length, { message: 'a day is named twice' });

const EscalateTo = z.union([SlackUserId, SlackChannelId], { message: 'escalateTo is a Slack user ID (U024BE7LH) or channel ID (C024BE91L)' });

const shape = {
  /** The first reminder comes this long after a change is logged. */
  firstAfter: configDuration(),
  /** Then one every so often while the change is open… */
  every: configDuration(),
  /** …and less often while it is in review (codified, waiting for the scanner to confirm). */
  inReviewEvery: configDuration(),
  /** Unanswered reminders before the change is escalated. */
  escalateAfter: z.number().int().min(1).max(100),
  /** Reminders only within these hours, on these days, in the owner's own time zone. */
  workingHours: WorkingHours,
  workingDays: WorkingDays,
  /** Besides the team's channel, escalations go here too. */
  escalateTo: EscalateTo,
};

export const NaggingConfig = z.strictObject({
  firstAfter: shape.firstAfter.default(24 * 3_600_000),
  every: shape.every.default(86_400_000),
  inReviewEvery: shape.inReviewEvery.default(3 * 86_400_000),
  escalateAfter: shape.escalateAfter.default(3),
  workingHours: shape.workingHours.default({ start: 9 * 60, end: 18 * 60 }),
  workingDays: shape.workingDays.default(['mon', 'tue', 'wed', 'thu', 'fri']),
  escalateTo: shape.escalateTo.optional(),
});
export type NaggingConfig = z.infer<typeof NaggingConfig>;

/** A team's `nagging:`: any of the keys above, the rest from the top level. */
export const NaggingOverride = z.strictObject({
  firstAfter: shape.firstAfter.optional(),
  every: shape.every.optional(),
  inReviewEvery: shape.inReviewEvery.optional(),
  escalateAfter: shape.escalateAfter.optional(),
  workingHours: shape.workingHours.optional(),
  workingDays: shape.workingDays.optional(),
  escalateTo: shape.escalateTo.optional(),
});
export type NaggingOverride = z.infer<typeof NaggingOverride>;

/** The settings that apply to a change: its team's overrides over the top level's. */
export function naggingFor(base: NaggingConfig, override: NaggingOverride | undefined): NaggingConfig {
  if (!override) return base;
  const out: NaggingConfig = { ...base };
  for (const [key, value] of Object.entries(override)) if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  return out;
}
