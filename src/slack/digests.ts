/**
 * The weekly digest, posted: one per team channel (the `teams` routing) and one overall to
 * `defaultChannel`, each on its schedule (node-cron, in its time zone). Exactly once per channel per
 * week: the week's row is claimed before posting, so restarts, re-runs and a second process update the
 * message in place (chat.update) instead of posting it again. At start-up the latest scheduled digest
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
import { digestMessage } from './views/digest.js';

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
  /** Posts (or updates) every digest whose latest scheduled time has come; returns how many were posted. */
  runDue(): Promise<number>;
}

export function createDigests(deps: DigestsDeps): Digests {
  const log = deps.logger.child({ component: 'digest' });
  const targets = digestTargets(deps.config.file);
  let running: Promise<number> | undefined;

  async function one(target: DigestTarget, now: Date): Promise<boolean> {
    const occurrence = latestOccurrence(target.schedule.cron, target.schedule.timeZone, now);
    if (!occurrence) return false;
    const week = isoWeekOf(occurrence, target.schedule.timeZone);
    const claim = deps.posts.claim(target.channel, week, target.team, now);
    if (claim.action === 'wait') return false;
    const digest = deps.store.digest({ at: now, team: target.team, teams: deps.config.file.teams });
    const message = digestMessage(digest, deps.appHomeUrl ? { appHomeUrl: deps.appHomeUrl } : {});
    if (claim.action === 'update') {
      try {
        await deps.client.chat.update({ channel: target.channel, ts: claim.ts, text: message.text, blocks: message.blocks });
        deps.posts.updated(target.channel, week, digest.ledgerHead, deps.now());
        deps.onOutcome?.('updated');
        log.info({ channel: target.channel, team: target.team, week }, 'digest updated in place');
      } catch (err) {
        deps.onOutcome?.('failed');
        log.warn({ err, channel: target.channel, week }, 'could not update the digest; the next run tries again');
      }
      return false;
    }
    try {
      const res = (await deps.client.chat.postMessage({ channel: target.channel, text: message.text, blocks: message.blocks })) as { ts?: string };
      deps.posts.posted(target.channel, week, res.ts ?? '', digest.ledgerHead, deps.now());
      deps.onOutcome?.('posted');
      log.info({ channel: target.channel, team: target.team, week, anchor: digest.ledgerHead?.seq }, 'digest posted');
      return true;
    } catch (err) {
      deps.posts.release(target.channel, week);
      deps.onOutcome?.('failed');
      log.warn({ err, channel: target.channel, week }, 'could not post the digest; the next run tries again');
      return false;
    }
  }

  async function runAll(): Promise<number> {
    const now = deps.now();
    let posted = 0;
    for (const target of targets) if (await one(target, now)) posted += 1;
    return posted;
  }

  return {
    runDue() {
      // One run at a time in this process; other processes are kept apart by the week's claim.
      if (!running) running = runAll().finally(() => (running = undefined));
      return running;
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
  return () => {
    for (const task of tasks) void task.stop();
  };
}
