/**
 * `stopgap doctor`'s Slack checks: the bot token (auth.test), the scopes Slack says it carries, the
 * app-level token of Socket Mode (apps.connections.open: a URL handed out, no socket opened), and
 * every channel the configuration posts to (conversations.info).
 */
import { createHash } from 'node:crypto';
import { LogLevel, WebClient, type AuthTestResponse, type Logger } from '@slack/web-api';
import type { FileConfig, SlackMode } from '../config/config.js';
import { note, ok, problem, type Check, type CheckGroup } from './report.js';
import { BOT_SCOPES } from './slack-scopes.js';

export interface SlackCheckOptions {
  slack: SlackMode;
  /** SLACK_API_URL, when set. */
  slackApiUrl?: string;
  file: FileConfig;
  /** How long each call to Slack may take. */
  timeoutMs: number;
}

/** The Web API client's own logging is dropped: every outcome is a line of the report. */
export const SILENT: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

/** Which token is meant, without showing it: its prefix and the start of its SHA-256. */
export function tokenFingerprint(token: string): string {
  const prefix = /^(xox[a-z]|xapp)-/.exec(token)?.[0] ?? '';
  return `${prefix}… sha256:${createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 8)}`;
}

/** Every channel the configuration posts to, with what posts there (escalateTo may also name a user: no channel). */
export function channelUses(file: FileConfig): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  const add = (id: string | undefined, use: string): void => {
    if (id === undefined || !/^[CG]/.test(id)) return;
    uses.set(id, [...(uses.get(id) ?? []), use]);
  };
  add(file.defaultChannel, 'defaultChannel');
  for (const team of file.teams) {
    add(team.channel, `team ${team.name}`);
    add(team.nagging?.escalateTo, `team ${team.name} nagging.escalateTo`);
  }
  add(file.nagging.escalateTo, 'nagging.escalateTo');
  return uses;
}

type SlackFailure =
  | { kind: 'refused'; error: string; needed?: string }
  | { kind: 'http'; status: number }
  | { kind: 'rate-limited' }
  | { kind: 'unreachable'; message: string };

/** What a WebClient error says, read from the codes @slack/web-api gives its errors. */
function slackFailure(err: unknown): SlackFailure {
  const e = err as { code?: string; data?: { error?: unknown; needed?: unknown }; statusCode?: number; original?: unknown; message?: string };
  if (e.code === 'slack_webapi_platform_error' && typeof e.data?.error === 'string') {
    return { kind: 'refused', error: e.data.error, ...(typeof e.data.needed === 'string' ? { needed: e.data.needed } : {}) };
  }
  if (e.code === 'slack_webapi_http_error' && typeof e.statusCode === 'number') return { kind: 'http', status: e.statusCode };
  if (e.code === 'slack_webapi_rate_limited_error') return { kind: 'rate-limited' };
  const original = e.original as { name?: string; message?: string } | undefined;
  const message = original?.name === 'TimeoutError' || original?.name === 'AbortError' ? 'no answer in time' : (original?.message ?? e.message ?? String(err));
  return { kind: 'unreachable', message };
}

function describe(failure: SlackFailure): string {
  switch (failure.kind) {
    case 'refused':
      return `Slack answered ${failure.error}`;
    case 'http':
      return `Slack answered HTTP ${failure.status}`;
    case 'rate-limited':
      return 'Slack is rate-limiting these calls';
    case 'unreachable':
      return `Slack could not be reached (${failure.message})`;
  }
}

const NETWORK_FIX = 'check the network or proxy between here and Slack, and SLACK_API_URL if it is set; then run stopgap doctor again';

function missingScopeFix(scope: string): string {
  return `add ${scope} under OAuth & Permissions → Bot Token Scopes (or recreate the app from manifest.yml), reinstall the app to the workspace, and set SLACK_BOT_TOKEN to the token the reinstall shows if it changed`;
}

const APP_TOKEN_FIX = 'under Basic Information → App-Level Tokens, generate a token with the connections:write scope, set SLACK_APP_TOKEN to it, and turn on Socket Mode in the app settings';

async function checkBotToken(client: WebClient, token: string, base: string): Promise<{ checks: Check[]; auth?: AuthTestResponse }> {
  let auth: AuthTestResponse;
  try {
    auth = await client.auth.test();
  } catch (err) {
    const failure = slackFailure(err);
    if (failure.kind === 'refused') {
      return {
        checks: [
          problem(
            `SLACK_BOT_TOKEN (${tokenFingerprint(token)}) was rejected: ${describe(failure)}`,
            "copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page into SLACK_BOT_TOKEN; reinstall the app if the token was revoked",
          ),
        ],
      };
    }
    return { checks: [problem(`cannot check SLACK_BOT_TOKEN at ${base}: ${describe(failure)}`, NETWORK_FIX)] };
  }
  const who = `@${auth.user ?? 'the bot'} in ${auth.team ?? 'the workspace'}${auth.team_id ? ` (${auth.team_id})` : ''}`;
  return { checks: [ok(`SLACK_BOT_TOKEN (${tokenFingerprint(token)}) is valid: ${who}`)], auth };
}

function checkScopes(auth: AuthTestResponse): Check[] {
  const granted = auth.response_metadata?.scopes;
  if (granted === undefined) {
    return [
      problem(
        "Slack did not say which scopes the bot token has (no x-oauth-scopes header in auth.test's answer)",
        'compare OAuth & Permissions → Bot Token Scopes with the scopes in manifest.yml; if SLACK_API_URL points at a proxy, let it pass response headers through',
      ),
    ];
  }
  const have = new Set(granted);
  const missing = BOT_SCOPES.filter((s) => !have.has(s.scope));
  if (missing.length === 0) return [ok(`the bot token has all ${BOT_SCOPES.length} scopes manifest.yml asks for`)];
  return missing.map((s) => problem(`the bot token lacks the ${s.scope} scope, needed for ${s.why}`, missingScopeFix(s.scope)));
}

async function checkAppToken(client: WebClient, token: string): Promise<Check> {
  const named = `SLACK_APP_TOKEN (${tokenFingerprint(token)})`;
  try {
    await client.apps.connections.open();
    return ok(`Socket Mode: ${named} is valid; Slack offered a connection (not opened by this check)`);
  } catch (err) {
    const failure = slackFailure(err);
    if (failure.kind !== 'refused') return problem(`cannot check ${named}: ${describe(failure)}`, NETWORK_FIX);
    if (failure.error === 'missing_scope') return problem(`${named} lacks the connections:write scope Socket Mode needs`, APP_TOKEN_FIX);
    if (failure.error === 'not_allowed_token_type') return problem(`${named} is not an app-level token`, APP_TOKEN_FIX);
    return problem(`${named} was rejected: ${describe(failure)}`, APP_TOKEN_FIX);
  }
}

interface ChannelInfo {
  name?: string;
  is_member?: boolean;
  is_private?: boolean;
  is_archived?: boolean;
}

async function checkChannel(client: WebClient, id: string, uses: string[], bot: string, scopes: ReadonlySet<string> | undefined): Promise<Check> {
  const why = `(${uses.join(', ')})`;
  let channel: ChannelInfo;
  try {
    const answer = await client.conversations.info({ channel: id });
    channel = (answer.channel ?? {}) as ChannelInfo;
  } catch (err) {
    const failure = slackFailure(err);
    if (failure.kind === 'refused' && failure.error === 'channel_not_found') {
      return problem(
        `channel ${id} ${why} was not found: it is private and the bot is not in it, or the ID is wrong`,
        `/invite @${bot} in that channel, or correct the ID in stopgap.yml (the channel's details show it under About)`,
      );
    }
    if (failure.kind === 'refused' && failure.error === 'missing_scope') {
      const needed = failure.needed ?? 'channels:read and groups:read';
      return problem(`cannot look up channel ${id} ${why}: the bot token lacks ${needed}`, missingScopeFix(needed));
    }
    return problem(`cannot look up channel ${id} ${why}: ${describe(failure)}`, failure.kind === 'refused' ? `check the channel ID in stopgap.yml` : NETWORK_FIX);
  }
  const label = `#${channel.name ?? id} (${id})`;
  if (channel.is_archived) return problem(`${label} ${why} is archived: nothing can be posted there`, 'unarchive it, or name another channel in stopgap.yml');
  if (channel.is_member) return ok(`${label}: the bot is a member ${why}`);
  if (!channel.is_private && scopes?.has('chat:write.public')) {
    return ok(`${label}: the bot is not a member, and posts there with chat:write.public ${why}`);
  }
  return problem(`the bot is not a member of ${label} ${why}, so it cannot post there`, `/invite @${bot} in #${channel.name ?? id}`);
}

/** The Slack checks: the tokens and scopes (`Slack`), then each configured channel (`Slack channels`). */
export async function checkSlack(options: SlackCheckOptions): Promise<CheckGroup[]> {
  const base = options.slackApiUrl ?? 'https://slack.com/api/';
  // One attempt per call, bounded: a doctor that retries for minutes is no help.
  const clientFor = (token: string) =>
    new WebClient(token, { slackApiUrl: base, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: options.timeoutMs, logger: SILENT });
  const { slack } = options;
  const bot = await checkBotToken(clientFor(slack.botToken), slack.botToken, base);
  const tokens: CheckGroup = { area: 'Slack', checks: [...bot.checks] };
  if (bot.auth) tokens.checks.push(...checkScopes(bot.auth));
  if (slack.mode === 'socket') tokens.checks.push(await checkAppToken(clientFor(slack.appToken), slack.appToken));
  else tokens.checks.push(note('HTTP mode: Slack must reach POST /slack/events at the URLs in the app settings; only a request from Slack can prove SLACK_SIGNING_SECRET right'));

  const channels: CheckGroup = { area: 'Slack channels', checks: [] };
  const uses = channelUses(options.file);
  if (uses.size === 0) {
    channels.checks.push(note('no channels configured (defaultChannel, teams[].channel): unclaimed drift, escalations and the digest have no channel to go to'));
  } else if (!bot.auth) {
    channels.checks.push(note(`${uses.size} configured channel${uses.size === 1 ? '' : 's'} not checked: the bot token must work first`));
  } else {
    const auth = bot.auth;
    const scopes = auth.response_metadata?.scopes ? new Set(auth.response_metadata.scopes) : undefined;
    const client = clientFor(slack.botToken);
    channels.checks.push(...(await Promise.all([...uses].map(([id, u]) => checkChannel(client, id, u, auth.user ?? 'stopgap', scopes)))));
  }
  return [tokens, channels];
}
