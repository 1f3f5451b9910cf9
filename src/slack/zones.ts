/**
 * People's time zones as their Slack profiles give them (`users.info`), kept in the database for a day:
 * reminders come in the owner's working hours, and "a date" means the start of the person's working day.
 * A zone not known yet (or a lookup that failed) reads as UTC; nothing waits on Slack to use one.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.js';
import { knownZone } from '../nagging/working-time.js';
import type { NagStore } from '../store/nag-store.js';

/** A zone looked up this long ago is asked for again (people travel). */
const ZONE_TTL_MS = 24 * 3_600_000;

export interface Zones {
  /** The person's IANA zone, or UTC while it is not known. */
  zoneOf(user: string): string;
  /** Looks up (at most `max` of) these people's zones that are not known, or not lately; never throws. */
  learn(users: Iterable<string>, now: Date, max?: number): Promise<void>;
}

export function createZones(deps: { store: NagStore; client: WebClient; logger: Logger }): Zones {
  const log = deps.logger.child({ component: 'zones' });
  const pending = new Map<string, Promise<void>>();

  const lookup = (user: string, now: Date): Promise<void> => {
    const inFlight = pending.get(user);
    if (inFlight) return inFlight;
    const known = deps.store.zone(user);
    const p = (async () => {
      try {
        const res = (await deps.client.users.info({ user })) as { user?: { tz?: string; deleted?: boolean } };
        deps.store.setZone(user, res.user?.tz ?? null, now, res.user?.deleted ? 'deactivated' : undefined);
      } catch (err) {
        const code = (err as { data?: { error?: string } }).data?.error;
        // Without an answer the person keeps the zone they had, or UTC; asked again in a day.
        deps.store.setZone(user, known?.tz ?? null, now, code ?? 'lookup_failed');
        log.warn({ user, error: code ?? (err as Error).message }, 'could not look up a time zone; using UTC until the next try');
      }
    })().finally(() => pending.delete(user));
    pending.set(user, p);
    return p;
  };

  return {
    zoneOf: (user) => knownZone(deps.store.zone(user)?.tz ?? undefined),
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
