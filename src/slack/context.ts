import type { CustomRoute } from '@slack/bolt';
import type { View } from '@slack/types';
import { WebClient } from '@slack/web-api';
import { isStopgapError } from '../errors.js';
import type { ServeConfig } from '../config/config.js';
import type { Metrics } from '../http/metrics.js';
import type { ParseContext } from '../ledger/fix-command.js';
import type { ActionContext } from '../ledger/lifecycle.js';
import type { Logger } from '../log.js';
import type { LedgerStore } from '../store/ledger-store.js';
import { logLinkOutcome, type LinksStore } from '../store/links-store.js';
import type { DriftPostsStore } from '../store/drift-posts-store.js';
import type { ChangeMessagesStore } from '../store/change-messages-store.js';
import type { DriftIgnoresStore } from '../store/drift-ignores-store.js';
import type { BotIdentity } from './identity.js';
import type { FollowUps } from './follow-ups.js';
import type { AuditStore } from '../store/audit-store.js';
import type { Finding } from '../drift/findings.js';
import { personLabel, type SlackUserLookup } from './people.js';
import { slackTextCodec } from './text-codec.js';
import { countingSlackFetch, slackApiUrlOf } from './api-metrics.js';
import { createCodifySender, type CodifyChange, type CodifySender } from './codify.js';
import type { Zones } from './zones.js';
import type { PersonalDays } from '../ledger/dates.js';
import { personalDays } from '../nagging/working-time.js';

export interface SlackDeps {
  config: ServeConfig;
  ledger: LedgerStore;
  /** Drift linked to changes, and drift nobody has claimed. */
  links: LinksStore;
  /** Messages about unclaimed drift, for their buttons. */
  posts: DriftPostsStore;
  /** Where each change was announced, for news in its thread. */
  messages: ChangeMessagesStore;
  /** Drift marked as expected ("Expected: ignore"). */
  ignores: DriftIgnoresStore;
  /** Work after an answer (announcements, linking, DMs), run once the requests waiting are answered. */
  followUps: FollowUps;
  /** Writes the Kubernetes audit webhook reported, for who made a finding. */
  audit: AuditStore;
  /** Kubernetes usernames to Slack users (audit.users, else e-mail lookup). */
  slackUsers: SlackUserLookup;
  /** People's time zones (users.info, kept for a day): a date someone gives means their working day's start. */
  zones: Zones;
  logger: Logger;
  metrics: Metrics;
  now: () => Date;
  customRoutes?: CustomRoute[];
  /** The bot's own identity, resolved once at start-up: requests never wait on Slack to be handled. */
  identity: BotIdentity;
  /** How long a listener may take before the request is acknowledged for it (tests shorten it). */
  ackDeadlineMs?: number;
  /** Slack connection state for `/readyz`: Socket Mode reports its socket; HTTP mode is ready once listening. */
  onConnection?: (state: 'connected' | 'disconnected') => void;
  /** A change's live drift as a patch for the manifests in git (`/fix codify`, the Codify button). */
  codifyChange: CodifyChange;
}

export interface SlackContext extends SlackDeps {
  /** Channel names that are incidents themselves (`inc-4821-payments`), compiled once. */
  incidentChannelPattern: RegExp;
  /** How `/fix` text is read here: Slack's text format, the configured clusters and incident channels. */
  parseContext(extra: Partial<Omit<ParseContext, 'codec'>>): ParseContext;
  isAdmin(userId: string): boolean;
  /**
   * What "a date" means to this person: their calendar and the start of their working hours, in their
   * Slack time zone (UTC until it is known: see knowZoneOf).
   */
  daysOf(userId: string): PersonalDays;
  /** Before reading a date someone gave: their zone asked for once, waiting at most a second. */
  knowZoneOf(userId: string): Promise<void>;
  /** Who made a drifted field, from the audit log: a Slack mention (audit.users) or the username; mrkdwn. */
  personOf(finding: Finding): string | undefined;
  /** Who is acting on a change, and whether drift linked to it is still live (codified then waits for the scanner). */
  actionContext(userId: string, changeId: number): ActionContext;
  /**
   * Opens a modal for a trigger (valid three seconds, so never retried); false, counted and logged,
   * when Slack would not open it, so the caller can tell the person another way.
   */
  openView(triggerId: string, view: View): Promise<boolean>;
  /**
   * Logs a ledger write that failed and counts it: a busy ledger (another process holding the lock)
   * as a refusal the person can retry, anything else as an error. True when the ledger was busy.
   */
  writeFailed(err: unknown, fields?: Record<string, unknown>): boolean;
  /** Counts and logs a message that could not be delivered; the ledger already has the change. */
  deliveryFailed(kind: string, err: unknown, fields?: Record<string, unknown>): void;
  /** Makes a change's patch and sends it to the person who asked (after the acknowledgement). */
  codify: CodifySender;
  /**
   * Links a newly logged change to the drift it names; never throws (drift left unlinked is linked by
   * the next pass of the scanner, or claimed by hand).
   */
  linkNewChange(changeId: number): Promise<void>;
}

/** How long a request may wait for Slack to say a person's time zone, the first time a date of theirs is read. */
const ZONE_WAIT_MS = 1_000;

/** What every listener shares, built once per app. With metrics, Slack's errors and 429s are counted. */
export function slackClientOptions(config: ServeConfig, metrics?: Metrics) {
  const slackApiUrl = slackApiUrlOf(config);
  // Fail fast on Slack errors instead of retrying for minutes behind a user's back; 429s still wait.
  return {
    slackApiUrl,
    retryConfig: { retries: 2, factor: 1.5, minTimeout: 200, maxTimeout: 2000 },
    ...(metrics ? { fetch: countingSlackFetch(metrics) } : {}),
  };
}

export function createSlackContext(deps: SlackDeps): SlackContext {
  const incidentChannelPattern = new RegExp(deps.config.file.incidentChannelPattern, 'i');
  const viewsClient = new WebClient(deps.config.slack.botToken, {
    slackApiUrl: slackClientOptions(deps.config).slackApiUrl,
    retryConfig: { retries: 0 },
    timeout: 2_500,
    fetch: countingSlackFetch(deps.metrics),
  });
  const deliveryFailed = (kind: string, err: unknown, fields: Record<string, unknown> = {}) => {
    deps.metrics.deliveryFailures.inc({ kind });
    deps.logger.warn({ err, kind, ...fields }, 'could not deliver a Slack message');
  };
  return {
    ...deps,
    incidentChannelPattern,
    parseContext: (extra) => ({
      now: deps.now(),
      clusters: deps.config.file.clusters.map((c) => c.name),
      incidentChannelPattern,
      codec: slackTextCodec,
      ...extra,
    }),
    isAdmin: (userId) => deps.config.file.admins.includes(userId),
    knowZoneOf: (userId) => deps.zones.ensure(userId, deps.now(), ZONE_WAIT_MS),
    daysOf: (userId) => personalDays(deps.zones.zoneOf(userId), deps.config.file.nagging),
    personOf: (finding) => personLabel(deps.audit, deps.slackUsers, finding),
    actionContext: (userId, changeId) => ({
      by: userId,
      now: deps.now(),
      isAdmin: deps.config.file.admins.includes(userId),
      liveDrift: deps.links.withLiveDrift([changeId]).has(changeId),
    }),
    deliveryFailed,
    codify: createCodifySender({ config: deps.config, metrics: deps.metrics, logger: deps.logger, codifyChange: deps.codifyChange, deliveryFailed }),
    writeFailed: (err, fields = {}) => {
      if (isStopgapError(err) && err.code === 'ledger_busy') {
        deps.metrics.refusals.inc({ code: 'ledger_busy' });
        deps.logger.warn({ ...fields }, 'ledger busy: nothing saved');
        return true;
      }
      deps.logger.error({ err, ...fields }, 'ledger write failed');
      return false;
    },
    linkNewChange: async (changeId) => {
      try {
        logLinkOutcome(deps.logger, await deps.links.linkChangeSoon(changeId, deps.config.file.clusters.map((c) => c.name), deps.now()));
      } catch (err) {
        deps.logger.warn({ err, change: `SG-${changeId}` }, 'could not link the new change to drift');
      }
    },
    openView: async (triggerId, view) => {
      try {
        await viewsClient.views.open({ trigger_id: triggerId, view });
        return true;
      } catch (err) {
        deliveryFailed('modal_open', err);
        return false;
      }
    },
  };
}
