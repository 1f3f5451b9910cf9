/**
 * The weekly digest, posted: one per team channel (the `teams` routing) and one overall to
 * `defaultChannel`, each on its schedule (node-cron, in its time zone). Exactly once per channel, team and
 * week: the week's row is claimed before posting, so restarts, re-runs and a second process update the
 * message in place (chat.update) instead of posting it again (last week's message is never redrawn), and
 * a digest not posted yet is tried again every quarter of an hour. At start-up the latest scheduled digest
 * is caught up if its week has none: after downtime, one digest, not one per missed week.
 */
import type { WebClient } from '@slack/web-api';
import cron from 'node-cron';
import type { ServeConfig } from '../config/config.js';
import { digestFor, type DigestConfig } from '../config/digest.js';
import { isoWeekOf, latestOccurrence } from '../digest/schedule.js';
import type { Logger } from '../log.js';
import type { DigestPostsStore } from '../store/digest-posts-store.js';
import type { DigestStore } from '../store/digest-store.js';
import { isBusyError, whileBusy } from '../store/busy.js';
import { digestMessage } from './views/digest.js';

/** How often digests not posted yet (Slack refused, the database was locked) are tried again. */
const RETRY_MS = 15 * 60_000;

export interface DigestTarget {
  channel: string;
  /** The team whose digest it is; null: everyone's. */
  team: string | null;
  schedule: DigestConfig;
}

/** Every digest to post: each team's to its channel, and everyone's to defaultChannel; disabled ones left out. */
export function digestTargets(file: ServeConfig['file']): DigestTarget[] {
  const targets: DigestTarget[] = file.teams.map((t) => ({ channel: t.channel, team: t.name, schedule: digestFor(file.digest, t.digest) }));
  if (file.defaultChannel) targets.push({ channel: file.defaultChannel, team: null, schedule: file.digest });
  return targets.filter((t) => t.schedule.enabled);
}

export interface DigestsDeps {
  config: ServeConfig;
  store: DigestStore;
  posts: DigestPostsStore;
  client: WebClient;
  logger: Logger;
  now: () => Date;
  /** Counts digests by outcome (posted, updated, failed). */
  onOutcome?: (outcome: string) => void;
  /** The App Home link for the digest's button, when the app's IDs are known. */
  appHomeUrl?: string;
}

export interface Digests {
  /**
   * Posts every digest whose latest scheduled time has come and whose week has none; with `update`
   * (a scheduled run, or start-up), also redraws this week's digests already posted. Returns how many
   * were posted.
   */
  runDue(opts?: { update?: boolean }): Promise<number>;
  /** Resolves once a run in progress (a digest being posted, and recorded) is done; starts none. */
  idle(): Promise<void>;
}

export function createDigests(deps: DigestsDeps): Digests {
  const log = deps.logger.child({ component: 'digest' });
  const targets = digestTargets(deps.config.file);
  let running: Promise<number> | undefined;

  async function one(target: DigestTarget, now: Date, update: boolean): Promise<boolean> {
    const occurrence = latestOccurrence(target.schedule.cron, target.schedule.timeZone, now);
    if (!occurrence) return false;
    const week = isoWeekOf(occurrence, target.schedule.timeZone);
    // A digest already posted is redrawn only in its own week: last week's message and its anchor stay as posted.
    const thisWeek = week === isoWeekOf(now, target.schedule.timeZone);
    const claim = deps.posts.claim(target.channel, week, target.team, now);
    if (claim.action === 'wait' || (claim.action === 'update' && (!update || !thisWeek))) return false;
    const digest = deps.store.digest({ at: now, team: target.team, teams: deps.config.file.teams });
    const message = digestMessage(digest, deps.appHomeUrl ? { appHomeUrl: deps.appHomeUrl } : {});
    if (claim.action === 'update') {
      try {
        await deps.client.chat.update({ channel: target.channel, ts: claim.ts, text: message.text, blocks: message.blocks });
        await whileBusy(() => deps.posts.updated(target.channel, week, target.team, digest.ledgerHead, deps.now()));
        deps.onOutcome?.('updated');
        log.info({ channel: target.channel, team: target.team, week }, 'digest updated in place');
      } catch (err) {
        deps.onOutcome?.('failed');
        log.warn({ err, channel: target.channel, week }, 'could not update the digest; the next run tries again');
      }
      return false;
    }
    let ts: string;
    try {
      const res = (await deps.client.chat.postMessage({ channel: target.channel, text: message.text, blocks: message.blocks })) as { ts?: string };
      ts = res.ts ?? '';
    } catch (err) {
      deps.posts.release(target.channel, week, target.team);
      deps.onOutcome?.('failed');
      log.warn({ err, channel: target.channel, week }, 'could not post the digest; it is tried again within the hour');
      return false;
    }
    // Slack has it: recording where must not be lost to a moment's lock, or a restart would post it again.
    await whileBusy(() => deps.posts.posted(target.channel, week, target.team, ts, digest.ledgerHead, deps.now()));
    deps.onOutcome?.('posted');
    log.info({ channel: target.channel, team: target.team, week, anchor: digest.ledgerHead?.seq }, 'digest posted');
    return true;
  }

  async function runAll(update: boolean): Promise<number> {
    const now = deps.now();
    let posted = 0;
    for (const target of targets) {
      try {
        if (await one(target, now, update)) posted += 1;
      } catch (err) {
        // A locked database for one channel's claim: the others still go; the next run retries it.
        log.warn({ err: isBusyError(err) ? undefined : err, channel: target.channel }, 'digest not handled this time; the next run tries again');
      }
    }
    return posted;
  }

  return {
    runDue(opts = {}) {
      // One run at a time in this process; other processes are kept apart by the week's claim.
      if (!running) running = runAll(opts.update ?? true).finally(() => (running = undefined));
      return running;
    },
    async idle() {
      await running?.catch(() => undefined);
    },
  };
}

/**
 * In `serve`: a node-cron task per schedule and time zone, and a catch-up run at start-up. Returns the
 * stop function.
 */
export function scheduleDigests(digests: Digests, config: ServeConfig['file'], logger: Logger): () => void {
  const log = logger.child({ component: 'digest' });
  const run = () => digests.runDue().then(() => undefined, (err: unknown) => log.error({ err }, 'digest run failed; the next one tries again'));
  const schedules = new Map<string, DigestConfig>();
  for (const t of digestTargets(config)) schedules.set(`${t.schedule.cron}\u0000${t.schedule.timeZone}`, t.schedule);
  const tasks = [...schedules.values()].map((s) => cron.schedule(s.cron, run, { timezone: s.timeZone, noOverlap: true, name: `stopgap-digest ${s.cron} ${s.timeZone}` }));
  void run();
  // A digest Slack refused (or a locked database kept back) is posted by the next of these; posted ones are left alone.
  const retry = setInterval(() => void digests.runDue({ update: false }).catch((err: unknown) => log.error({ err }, 'digest retry failed')), RETRY_MS);
  retry.unref();
  return () => {
    clearInterval(retry);
    for (const task of tasks) void task.stop();
  };
}
