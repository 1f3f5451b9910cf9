import type { CustomRoute } from '@slack/bolt';
import type { ServeConfig } from '../config/config.js';
import type { Metrics } from '../http/metrics.js';
import type { ParseContext } from '../ledger/fix-command.js';
import type { Logger } from '../log.js';
import type { LedgerStore } from '../store/ledger-store.js';
import type { BotIdentity } from './identity.js';
import { slackTextCodec } from './text-codec.js';

export interface SlackDeps {
  config: ServeConfig;
  ledger: LedgerStore;
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
}

export interface SlackContext extends SlackDeps {
  /** Channel names that are incidents themselves (`inc-4821-payments`), compiled once. */
  incidentChannelPattern: RegExp;
  /** How `/fix` text is read here: Slack's text format, the configured clusters and incident channels. */
  parseContext(extra: Partial<Omit<ParseContext, 'codec'>>): ParseContext;
  isAdmin(userId: string): boolean;
  /** Counts and logs a message that could not be delivered; the ledger already has the change. */
  deliveryFailed(kind: string, err: unknown, fields?: Record<string, unknown>): void;
}

/** What every listener shares, built once per app. */
export function createSlackContext(deps: SlackDeps): SlackContext {
  const incidentChannelPattern = new RegExp(deps.config.file.incidentChannelPattern, 'i');
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
    deliveryFailed: (kind, err, fields = {}) => {
      deps.metrics.deliveryFailures.inc({ kind });
      deps.logger.warn({ err, kind, ...fields }, 'could not deliver a Slack message');
    },
  };
}
