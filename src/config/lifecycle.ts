import { z } from 'zod';
import { configDuration } from './duration.js';

const DAY_MS = 86_400_000;

/**
 * `retention:` in stopgap.yml: how long `serve` keeps drift history. Scan runs (one row per list of
 * one kind) and findings that ended are deleted once older than this; the ledger (changes and their
 * hash-chained events) is never touched, and a finding linked to a change that is still open is kept.
 * At least a week, so the weekly digest always sees the week it reports on.
 */
export const RetentionConfig = z.strictObject({
  scanRuns: configDuration(['d', 'w']).default(90 * DAY_MS).refine((ms) => ms >= 7 * DAY_MS, { message: 'keep scan runs at least 7d' }),
  resolvedFindings: configDuration(['d', 'w']).default(90 * DAY_MS).refine((ms) => ms >= 7 * DAY_MS, { message: 'keep resolved findings at least 7d (the weekly digest reads the past week)' }),
});
export type RetentionConfig = z.infer<typeof RetentionConfig>;

/** `shutdownTimeout:`: how long SIGTERM may take before `serve` gives up waiting and exits 1. */
export const ShutdownTimeout = configDuration(['s', 'm'])
  .default(10_000)
  .refine((ms) => ms <= 10 * 60_000, { message: 'at most 10m; keep it below the orchestrator\'s grace period (Kubernetes: terminationGracePeriodSeconds, 30s by default)' });
