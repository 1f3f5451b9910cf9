/**
 * People's time zones as their Slack profiles give them (`users.info`), kept in the database for a day:
 * reminders come in the owner's working hours, and "a date" means the start of the person's working day.
 * A zone not known yet (or a lookup that failed) reads as UTC; nothing waits on Slack to use one.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.js';
import { knownZone } from '../nagging/working-time.js';
import type { NagStore } from '../store/nag-store.js';
import { isBusyError } from '../store/busy.js';

/** A zone looked up this long ago is asked for again (people travel). */
const ZONE_TTL_MS = 24 * 3_600_000;

export interface Zones {
  /** The person's IANA zone, or UTC while it is not known. */
  zoneOf(user: string): string;
  /** Whether Slack has been asked for the person's zone (answered or not). */
  asked(user: string): boolean;
  /** Looks up (at most `max` of) these people's zones that are not known, or not lately; never throws. */
  learn(users: Iterable<string>, now: Date, max?: number): Promise<void>;
  /**
   * Makes sure a person's zone has been asked for once, waiting at most `waitMs` (a request being
   * answered cannot wait long): a date they give then means their day, not UTC's.
   */
  ensure(user: string, now: Date, waitMs: number): Promise<void>;
}

export function createZones(deps: { store: NagStore; client: WebClient; logger: Logger }): Zones {
  const log = deps.logger.child({ component: 'zones' });
  const pending = new Map<string, Promise<void>>();

  const lookup = (user: string, now: Date): Promise<void> => {
    const inFlight = pending.get(user);
    if (inFlight) return inFlight;
    const known = deps.store.zone(user);
    const p = (async () => {
      let tz: string | null = known?.tz ?? null;
      let problem: string | undefined;
      try {
        const res = (await deps.client.users.info({ user })) as { user?: { tz?: string; deleted?: boolean } };
        tz = res.user?.tz ?? null;
        if (res.user?.deleted) problem = 'deactivated';
      } catch (err) {
        // Without an answer the person keeps the zone they had, or UTC; asked again in a day.
        problem = (err as { data?: { error?: string } }).data?.error ?? 'lookup_failed';
        log.warn({ user, error: problem === 'lookup_failed' ? (err as Error).message : problem }, 'could not look up a time zone; using UTC until the next try');
      }
      try {
        deps.store.setZone(user, tz, now, problem);
      } catch (err) {
        // A locked database: the zone is asked for again next time. Never a failure of what asked.
        log.warn({ user, err: isBusyError(err) ? undefined : err }, 'could not keep a time zone; it is asked for again next time');
      }
    })().finally(() => pending.delete(user));
    pending.set(user, p);
    return p;
  };

  return {
    zoneOf: (user) => knownZone(deps.store.zone(user)?.tz ?? undefined),
    asked: (user) => deps.store.zone(user) !== undefined,
    async ensure(user, now, waitMs) {
      if (deps.store.zone(user)) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([lookup(user, now), new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    },
    async learn(users, now, max = 50) {
      let asked = 0;
      for (const user of users) {
        const known = deps.store.zone(user);
        if (known && now.getTime() - Date.parse(known.fetchedAt) < ZONE_TTL_MS) continue;
        if (asked++ >= max) break;
        await lookup(user, now);
      }
    },
  };
}
