/**
 * Reminders and escalations, delivered. A tick (node-cron, every minute) asks the policy what is due
 * for each open change and writes it to the outbox in the same transaction as the nagging state; the
 * sender delivers the outbox: retried with exponential backoff, a 429's Retry-After honoured by the
 * whole sender, each row marked sent with where its message landed. A DM Slack refuses for good (the
 * user is deactivated, or cannot be messaged) escalates to the change's team instead, recorded.
 *
 * Delivery guarantee: every message due is written to the outbox once (unique per change, kind, slot
 * and recipient) in the transaction that decides it, and sent until Slack accepts it or refuses it for
 * good; a message goes twice only when Slack accepted it and the outbox never learned so (a crash in that
 * moment, an answer lost to a timeout, a database locked for most of a minute).
 */
import { WebClient, type FetchFunction } from '@slack/web-api';
import cron from 'node-cron';
import { isBusyError, whileBusy } from '../store/busy.js';
import { naggingFor, type NaggingConfig } from '../config/nagging.js';
import { teamOfChange } from '../nagging/settings.js';
import type { Change } from '../ledger/model.js';
import type { Logger } from '../log.js';
import { decide, type Due } from '../nagging/policy.js';
import type { Zones } from './zones.js';
import { isWorkingTime } from '../nagging/working-time.js';
import type { LedgerStore } from '../store/ledger-store.js';
import type { LinksStore } from '../store/links-store.js';
import type { NagCandidate, NagStore, NewOutboxRow, OutboxRow } from '../store/nag-store.js';
import type { ServeConfig } from '../config/config.js';
import { slackClientOptions } from './context.js';
import { escalationMessage, reminderMessage, type EscalationReason } from './views/reminder.js';
import type { SlackMessage } from './views/types.js';

/** Slack errors that will not go away by retrying: the message is given up on (and escalated). */
const PERMANENT = new Set([
  'user_not_found',
  'user_disabled',
  'cannot_dm_bot',
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'restricted_action',
  'messages_tab_disabled',
]);

/** Owners whose zone is looked up per tick, at most: the rest wait for the next tick. */
const ZONE_LOOKUPS_PER_TICK = 50;
/** Changes decided per transaction: the event loop gets a turn between chunks. */
const CHUNK = 500;
/** A message left `sending` this long by a process that stopped is sent again. */
const STALE_SENDING_MS = 60_000;
const MAX_BACKOFF_MS = 3_600_000;

export interface ReminderDeps {
  config: ServeConfig;
  store: NagStore;
  ledger: LedgerStore;
  links: LinksStore;
  logger: Logger;
  now: () => Date;
  /** Counts messages by kind and outcome (sent, retry, failed, skipped). */
  onOutcome?: (kind: string, outcome: string) => void;
  /** Owners' time zones. */
  zones: Zones;
  /** Slack client for the sender; by default one that reports 429s instead of waiting on them. */
  client?: WebClient;
  /** The transport of that default client (the app's counted one: Slack's errors and 429s). */
  slackFetch?: FetchFunction;
}

export interface Reminders {
  /** Decides what is due now and writes it to the outbox; returns how many messages were added. */
  tick(): Promise<number>;
  /** Sends what the outbox has due; returns how many were sent. */
  send(): Promise<number>;
  /** When the sender may call Slack again after a 429 (epoch ms), if it is waiting. */
  pausedUntil(): number | undefined;
  /**
   * For shutdown: nothing new is decided or sent; resolves once a message being sent has Slack's answer
   * recorded (so a restart does not send it again) and a tick in progress has committed.
   */
  stop(): Promise<void>;
}

interface SlackError {
  code?: string;
  retryAfter?: number;
  data?: { error?: string };
  statusCode?: number;
}

function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 30_000 * 2 ** Math.max(0, attempts - 1));
}

export function createReminders(deps: ReminderDeps): Reminders {
  const { store, ledger, links, config } = deps;
  const log = deps.logger.child({ component: 'reminders' });
  const client =
    deps.client ??
    new WebClient(config.slack.botToken, {
      slackApiUrl: slackClientOptions(config).slackApiUrl,
      // The sender keeps its own retries and honours 429s itself: it must see them.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: 10_000,
      ...(deps.slackFetch ? { fetch: deps.slackFetch } : {}),
    });
  const base = config.file.nagging;
  const teams = config.file.teams;
  let paused: number | undefined;
  let sending: Promise<number> | undefined;
  let ticking: Promise<number> | undefined;
  let stopping = false;

  const teamOf = (c: Pick<Change, 'cluster' | 'resources'>) => teamOfChange(teams, c);
  // One settings object per team, so a tick can key on it.
  const teamSettings = new Map(teams.map((t) => [t, naggingFor(base, t.nagging)] as const));
  const settingsOf = (c: Pick<Change, 'cluster' | 'resources'>): NaggingConfig => {
    const team = teamOf(c);
    return (team && teamSettings.get(team)) ?? base;
  };
  /** Every setting a change could get: the bounds for the candidate query. */
  const all = [base, ...teamSettings.values()];
  const bounds = { firstAfterMs: Math.min(...all.map((s) => s.firstAfter)), cadenceMs: Math.min(...all.flatMap((s) => [s.every, s.inReviewEvery])) };

  /** Where a change escalates: its team's channel (else defaultChannel), and the escalation contact if set. */
  function escalateTo(c: Pick<Change, 'cluster' | 'resources'>): string[] {
    const to = new Set<string>();
    const channel = teamOf(c)?.channel ?? config.file.defaultChannel;
    if (channel) to.add(channel);
    const contact = settingsOf(c).escalateTo;
    if (contact) to.add(contact);
    return [...to];
  }

  function recipients(due: Due, c: NagCandidate): NewOutboxRow[] {
    if (due.kind === 'reminder') return [{ changeId: c.id, kind: 'reminder', slot: due.slot, recipient: c.owner }];
    return escalateTo(c).map((recipient) => ({ changeId: c.id, kind: 'escalation', slot: due.slot, recipient, reason: due.reason }));
  }

  async function tick(): Promise<number> {
    if (stopping) return 0;
    const now = deps.now();
    const candidates = store.candidates(now, bounds);
    if (candidates.length === 0) return 0;
    await deps.zones.learn(new Set(candidates.map((c) => c.owner)), now, ZONE_LOOKUPS_PER_TICK);
    if (stopping) return 0;
    // An owner whose zone Slack has not been asked for yet waits for a later tick: never a reminder at 3 am by UTC.
    const ready = candidates.filter((c) => deps.zones.asked(c.owner));
    // Whether `now` is working time, once per zone and settings for the whole tick.
    const workingNow = new Map<string, boolean>();
    const settingsIds = new Map<NaggingConfig, number>();
    const working = (at: Date, zone: string, settings: NaggingConfig): boolean => {
      let sid = settingsIds.get(settings);
      if (sid === undefined) settingsIds.set(settings, (sid = settingsIds.size));
      const key = `${sid}|${zone}`;
      let yes = workingNow.get(key);
      if (yes === undefined) workingNow.set(key, (yes = isWorkingTime(at, zone, settings)));
      return yes;
    };
    const zones = new Map<string, string>();
    const zoneOf = (user: string): string => {
      let zone = zones.get(user);
      if (zone === undefined) zones.set(user, (zone = deps.zones.zoneOf(user)));
      return zone;
    };
    let added = 0;
    for (let i = 0; i < ready.length; i += CHUNK) {
      const ids = ready.slice(i, i + CHUNK).map((c) => c.id);
      added += store.commitDecisions(
        ids,
        (c) => {
          const d = decide(c, c.state, settingsOf(c), zoneOf(c.owner), now, working);
          return { next: d.next, rows: d.due.flatMap((due) => recipients(due, c)) };
        },
        now,
      );
      if (i + CHUNK < ready.length) await new Promise((resolve) => setImmediate(resolve));
    }
    if (added > 0) log.info({ added }, 'reminders and escalations queued');
    return added;
  }

  function render(row: OutboxRow, change: Change, now: Date): SlackMessage {
    const linked = links.linkedFindings(change.id);
    const live = linked.filter((f) => !f.resolvedAt);
    if (row.kind === 'reminder') return reminderMessage({ change, now, number: Number(row.slot.split(':')[1]) || 1, live, linked: linked.length });
    // An unanswered-reminders escalation goes out when the reminder after `escalateAfter` of them does.
    return escalationMessage({ change, now, reason: (row.reason ?? 'overdue') as EscalationReason, unanswered: settingsOf(change).escalateAfter, live, linked: linked.length });
  }

  async function deliver(row: OutboxRow, now: Date): Promise<'sent' | 'retry' | 'failed' | 'skipped' | 'paused'> {
    const change = ledger.get(row.changeId);
    if (!change || (change.status !== 'open' && change.status !== 'in_review')) {
      store.markSkipped(row.id, 'the change was closed before this was sent');
      return 'skipped';
    }
    if (row.kind === 'reminder' && change.owner !== row.recipient) {
      store.markSkipped(row.id, 'the change has a new owner');
      return 'skipped';
    }
    const message = render(row, change, now);
    let res: { channel?: string; ts?: string };
    try {
      res = (await client.chat.postMessage({ channel: row.recipient, text: message.text, blocks: message.blocks })) as { channel?: string; ts?: string };
    } catch (err) {
      const e = err as SlackError;
      if (e.code === 'slack_webapi_rate_limited_error') {
        const wait = Math.max(1, e.retryAfter ?? 30) * 1000;
        paused = deps.now().getTime() + wait;
        store.markRetry(row.id, new Date(paused), 'rate limited');
        log.warn({ retryAfterSeconds: wait / 1000 }, 'Slack is rate limiting: the sender waits as told');
        return 'paused';
      }
      const error = e.data?.error ?? (e.statusCode ? `http_${e.statusCode}` : (e.code ?? 'error'));
      if (e.data?.error && PERMANENT.has(e.data.error)) {
        store.markFailed(row.id, error);
        log.warn({ change: change.key, recipient: row.recipient, error }, 'Slack refused this message for good');
        // A reminder nobody can receive goes to the team instead: never silently dropped.
        if (row.kind === 'reminder') {
          const to = escalateTo(change);
          for (const recipient of to) {
            await whileBusy(() => void store.enqueue({ changeId: change.id, kind: 'escalation', slot: `undeliverable:${row.recipient}`, recipient, reason: 'undeliverable' }, deps.now()));
          }
          if (to.length === 0) log.error({ change: change.key, owner: row.recipient }, 'a reminder cannot be delivered and there is no team channel or defaultChannel to escalate to');
        }
        return 'failed';
      }
      const next = new Date(deps.now().getTime() + backoffMs(row.attempts));
      store.markRetry(row.id, next, error);
      log.warn({ change: change.key, recipient: row.recipient, error, retryAt: next.toISOString() }, 'could not send; will retry');
      return 'retry';
    }
    // Slack has it: recording that must not be lost to a moment's lock, or the message would go again.
    try {
      await whileBusy(() => store.markSent(row.id, { channel: res.channel ?? row.recipient, ts: res.ts ?? '' }, deps.now()));
    } catch (err) {
      log.error({ err, change: change.key, recipient: row.recipient }, 'a message Slack accepted could not be recorded as sent: the database stayed locked; it may be sent again');
    }
    log.info({ change: change.key, kind: row.kind, slot: row.slot, recipient: row.recipient }, row.kind === 'reminder' ? 'reminder sent' : 'change escalated');
    return 'sent';
  }

  async function sendDue(): Promise<number> {
    let sent = 0;
    for (;;) {
      const now = deps.now();
      if (paused !== undefined && now.getTime() < paused) return sent;
      paused = undefined;
      const rows = store.due(now, { limit: 50, staleMs: STALE_SENDING_MS });
      if (rows.length === 0) return sent;
      let progressed = false;
      for (const row of rows) {
        // Shutting down: the rest stay in the outbox for the next start.
        if (stopping) return sent;
        if (!store.claim(row.id, deps.now(), STALE_SENDING_MS)) continue;
        const outcome = await deliver(row, deps.now());
        deps.onOutcome?.(row.kind, outcome === 'paused' ? 'rate_limited' : outcome);
        if (outcome === 'sent') sent += 1;
        if (outcome === 'paused') return sent;
        if (outcome !== 'retry') progressed = true;
      }
      // Only retries left (their next attempt is later): done for now.
      if (!progressed) return sent;
    }
  }

  return {
    tick() {
      const run = tick().finally(() => {
        if (ticking === run) ticking = undefined;
      });
      ticking = run;
      return run;
    },
    send() {
      // One sender at a time in this process; other processes are kept apart by `claim`.
      if (!sending) sending = sendDue().finally(() => (sending = undefined));
      return sending;
    },
    pausedUntil: () => paused,
    async stop() {
      stopping = true;
      await Promise.allSettled([ticking, sending]);
    },
  };
}

/** How often the sender looks for retries that have come due between ticks. */
const SEND_POLL_MS = 5_000;

/**
 * The schedule in `serve`: a tick every minute (node-cron; a tick still running is not started twice),
 * each followed by the sender, and the sender every few seconds for retries. Returns the stop function.
 */
export function scheduleReminders(reminders: Reminders, logger: Logger, expression = '* * * * *'): () => void {
  const log = logger.child({ component: 'reminders' });
  const failed = (what: string) => (err: unknown) => {
    if (isBusyError(err)) log.warn(`${what} skipped: the database is locked; the next one tries again`);
    else log.error({ err }, `${what} failed; the next one tries again`);
  };
  const task = cron.schedule(expression, () => reminders.tick().then(() => reminders.send()).then(() => undefined, failed('reminder tick')), { name: 'stopgap-reminders', noOverlap: true });
  const poll = setInterval(() => void reminders.send().catch(failed('reminder send')), SEND_POLL_MS);
  poll.unref();
  return () => {
    clearInterval(poll);
    void task.stop();
  };
}
