/**
 * Timing of lists, watches and retries: the knobs (from the drift config, in milliseconds) and the
 * backoff delay they give.
 */
import type { DriftConfig } from '../config/clusters.js';

/** Timing knobs in milliseconds (config speaks seconds; tests speak milliseconds). */
export interface ScanSettings {
  pageSize: number;
  requestIdleMs: number;
  inactivityMs: number;
  watchTimeoutSeconds: number;
  resyncMs: number;
  /**
   * 0..1: how much earlier than `resyncMs` each relist may fall, drawn anew every time, so that the
   * kinds of a cluster (and clusters) do not all relist at once.
   */
  resyncJitter: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** 0..1: how much of each backoff delay is randomised, so that clusters do not retry in step. */
  backoffJitter: number;
}

export function scanSettingsFrom(drift: DriftConfig): ScanSettings {
  return {
    pageSize: drift.pageSize,
    requestIdleMs: drift.requestTimeoutSeconds * 1000,
    inactivityMs: drift.inactivitySeconds * 1000,
    watchTimeoutSeconds: drift.watchTimeoutSeconds,
    resyncMs: drift.resyncSeconds * 1000,
    resyncJitter: 0.1,
    backoffInitialMs: drift.backoffInitialSeconds * 1000,
    backoffMaxMs: drift.backoffMaxSeconds * 1000,
    backoffJitter: 0.2,
  };
}

/** Exponential backoff with jitter: attempt 0 waits `initial`, each next one twice as long, capped. */
export function backoffDelay(settings: Pick<ScanSettings, 'backoffInitialMs' | 'backoffMaxMs' | 'backoffJitter'>, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(settings.backoffMaxMs, settings.backoffInitialMs * 2 ** Math.min(attempt, 30));
  const jitter = base * settings.backoffJitter * random();
  return Math.round(base - jitter);
}
