import { WebClient } from '@slack/web-api';
import { StopgapError } from '../errors.js';
import type { Logger } from '../log.js';

export interface BotIdentity {
  botUserId?: string;
  botId?: string;
  teamId?: string;
  /** The Slack app's ID (from bots.info), for links that open its App Home; unknown when Slack would not say. */
  appId?: string;
}

/** A link that opens the app in Slack (its Home tab), when the app and workspace are known. */
export function appHomeUrl(identity: BotIdentity): string | undefined {
  return identity.appId && identity.teamId ? `https://slack.com/app_redirect?app=${encodeURIComponent(identity.appId)}&team=${encodeURIComponent(identity.teamId)}` : undefined;
}

/** Slack's answers that mean the token itself is wrong: retrying cannot help, a person must fix it. */
const TOKEN_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'not_allowed_token_type',
  'ekm_access_denied',
]);

export interface ResolveIdentityOptions {
  slackApiUrl?: string;
  logger: Logger;
  /** Attempts before giving up on an unreachable Slack (default 5, about 15 s with back-off). */
  attempts?: number;
  firstDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Asks Slack once, at start-up, who the bot is. Requests are then handled without ever calling Slack
 * first, so a Slack outage cannot swallow a command. A rejected token stops start-up with a message
 * saying what to fix; an unreachable Slack is retried with back-off, then reported.
 */
export async function resolveBotIdentity(token: string, opts: ResolveIdentityOptions): Promise<BotIdentity> {
  // The start-up loop does its own retries, so each attempt is a single call.
  const client = new WebClient(token, { slackApiUrl: opts.slackApiUrl, retryConfig: { retries: 0 }, timeout: 5_000 });
  const attempts = opts.attempts ?? 5;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let delay = opts.firstDelayMs ?? 500;
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const r = await client.auth.test();
      const identity: BotIdentity = { botUserId: r.user_id, botId: r.bot_id, teamId: r.team_id };
      // The app's ID only makes links nicer: asked once, and its absence never stops the start.
      if (r.bot_id) {
        try {
          const info = await client.bots.info({ bot: r.bot_id });
          if (info.bot?.app_id) identity.appId = info.bot.app_id;
        } catch (err) {
          opts.logger.debug({ err }, 'Slack did not say which app the bot belongs to; digests go without the App Home button');
        }
      }
      return identity;
    } catch (err) {
      const code = (err as { data?: { error?: unknown } }).data?.error;
      if (typeof code === 'string' && TOKEN_ERRORS.has(code)) {
        throw new StopgapError(
          'slack_auth_failed',
          `SLACK_BOT_TOKEN: Slack rejected the bot token (${code}). Copy the Bot User OAuth Token (xoxb-...) from your Slack app's OAuth & Permissions page, and reinstall the app if it was revoked.`,
          { cause: err },
        );
      }
      last = err;
      opts.logger.warn({ err, attempt, attempts }, 'Slack auth.test failed; retrying');
      if (attempt < attempts) {
        await sleep(delay);
        delay = Math.min(delay * 2, 8_000);
      }
    }
  }
  throw new StopgapError(
    'slack_unreachable',
    `Could not reach Slack to identify the bot after ${attempts} attempts (${(last as Error)?.message ?? 'no answer'}). Check the network and SLACK_API_URL; Stopgap will not start without it.`,
    { cause: last },
  );
}
