import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import type { App as BoltApp, SlashCommand } from '@slack/bolt';
import { responderFor, type Respond } from './response-url.js';
import { WebClient } from '@slack/web-api';
import type { ServeConfig } from '../config/config.js';
import type { Logger } from '../log.js';
import { parseFixCommand, type FixCommand, type ParseContext } from '../ledger/fix-command.js';
import type { ChangeAction } from '../ledger/lifecycle.js';
import type { LedgerStore } from '../store/ledger-store.js';
import type { Metrics } from '../http/metrics.js';
import { boltLogger } from './bolt-logger.js';
import { registerLogChangeModal, openLogChangeModal } from './log-change.js';
import { registerHome } from './home.js';
import {
  changeDetail,
  changeList,
  changeLoggedMessage,
  confirmationMrkdwn,
  errorMessage,
  escapeAndTruncate,
  helpMessage,
} from './views/index.js';
import type { CustomRoute } from '@slack/bolt';


export interface SlackDeps {
  config: ServeConfig;
  ledger: LedgerStore;
  logger: Logger;
  metrics: Metrics;
  now: () => Date;
  customRoutes?: CustomRoute[];
}

export interface SlackContext extends SlackDeps {
  /** Channel names that are incidents themselves (`inc-4821-payments`), compiled once. */
  incidentChannelPattern: RegExp;
  parseContext(extra: Partial<ParseContext>): ParseContext;
  isAdmin(userId: string): boolean;
}

export interface RunningSlackApp {
  app: BoltApp;
  port: number;
  stop(): Promise<void>;
}

export function createSlackApp(deps: SlackDeps): BoltApp {
  const { config } = deps;
  const slackApiUrl = config.slackApiUrl
    ? config.slackApiUrl.endsWith('/')
      ? config.slackApiUrl
      : `${config.slackApiUrl}/`
    : undefined;
  // Fail fast on Slack errors instead of retrying for minutes behind a user's back; 429s still wait.
  const clientOptions = { slackApiUrl, retryConfig: { retries: 2, factor: 1.5, minTimeout: 200, maxTimeout: 2000 } };
  const botToken = config.slack.botToken;
  const authClient = new WebClient(botToken, clientOptions);
  // Bolt with token verification off calls auth.test on every request; identify the bot once, on first
  // use (so start-up does not need Slack), and again only if that failed.
  let identity: Promise<{ botUserId?: string; botId?: string }> | undefined;
  const authorize = async () => {
    identity ??= authClient.auth.test().then(
      (r) => ({ botUserId: r.user_id, botId: r.bot_id }),
      (err: unknown) => {
        identity = undefined;
        throw err;
      },
    );
    return { botToken, ...(await identity) };
  };
  const common = {
    authorize,
    logger: boltLogger(deps.logger),
    logLevel: LogLevel.INFO,
    clientOptions,
    customRoutes: deps.customRoutes ?? [],
    // Bolt's in-memory conversation store costs a lookup per request and we keep no conversation state.
    convoStore: false as const,
  };
  const app =
    config.slack.mode === 'socket'
      ? new App({
          ...common,
          socketMode: true,
          appToken: config.slack.appToken,
          // The socket client makes its own WebClient: it must honour SLACK_API_URL too.
          installerOptions: { port: config.port, clientOptions },
        })
      : new App({
          ...common,
          signingSecret: config.slack.signingSecret,
          processBeforeResponse: false,
        });

  const incidentChannelPattern = new RegExp(deps.config.file.incidentChannelPattern, 'i');
  const ctx: SlackContext = {
    ...deps,
    incidentChannelPattern,
    parseContext: (extra) => ({
      now: deps.now(),
      clusters: deps.config.file.clusters.map((c) => c.name),
      incidentChannelPattern,
      ...extra,
    }),
    isAdmin: (userId) => deps.config.file.admins.includes(userId),
  };

  // Slack retries an event it thinks we missed; each event_id is handled once.
  app.use(async ({ body, next }) => {
    const eventId = (body as { type?: string; event_id?: string }).type === 'event_callback' ? (body as { event_id?: string }).event_id : undefined;
    if (eventId && !deps.ledger.claimRequest(`event:${eventId}`, deps.now())) {
      deps.logger.debug({ eventId }, 'duplicate Slack event ignored');
      return;
    }
    await next();
  });

  // Any command name: the workspace may have renamed /fix.
  app.command(/.*/, async ({ command, ack, client }) => {
    const respond = responderFor(command.response_url);
    const started = process.hrtime.bigint();
    await ack();
    deps.metrics.ackSeconds.observe({ kind: 'command' }, Number(process.hrtime.bigint() - started) / 1e9);
    try {
      await handleFixCommand(ctx, command, respond, client);
    } catch (err) {
      deps.logger.error({ err, command: command.command, user: command.user_id }, 'fix command failed');
      await safeRespond(
        ctx,
        respond,
        errorMessage(
          `Something went wrong on our side and nothing was recorded. Your text was: “${command.text.slice(0, 500)}”`,
          `${command.command} ${command.text.slice(0, 200)}`,
        ),
      );
    }
  });

  registerLogChangeModal(app, ctx);
  registerHome(app, ctx);

  app.error(async (error) => {
    deps.logger.error({ err: error }, 'unhandled Slack error');
  });
  return app;
}

export async function startSlackApp(app: BoltApp, port: number): Promise<RunningSlackApp> {
  const server = (await app.start(port)) as unknown as Server | undefined;
  const address = server?.address?.() as AddressInfo | null | undefined;
  return {
    app,
    port: address?.port ?? port,
    stop: async () => {
      await app.stop();
    },
  };
}

async function safeRespond(ctx: SlackDeps, respond: Respond, message: { text: string; blocks?: unknown[] }, inChannel = false) {
  try {
    await respond({ response_type: inChannel ? 'in_channel' : 'ephemeral', text: message.text, blocks: message.blocks });
  } catch (err) {
    ctx.logger.warn({ err }, 'response_url post failed');
  }
}

async function handleFixCommand(ctx: SlackContext, command: SlashCommand, respond: Respond, client: WebClient) {
  const now = ctx.now();
  const parsed: FixCommand = parseFixCommand(
    command.text ?? '',
    ctx.parseContext({ now, channelName: command.channel_name, commandName: command.command }),
  );
  ctx.metrics.commands.inc({ subcommand: parsed.type });
  const user = command.user_id;
  const actionCtx = { by: user, now, isAdmin: ctx.isAdmin(user) };

  switch (parsed.type) {
    case 'open_modal':
      await openLogChangeModal(ctx, client, {
        triggerId: command.trigger_id,
        channelId: command.channel_id,
        channelName: command.channel_name,
        commandName: command.command,
        source: 'modal',
        prefill: {},
      });
      return;
    case 'log': {
      const { change, created } = await ctx.ledger.createSoon(
        {
          ...parsed.draft,
          actor: user,
          channelId: command.channel_id,
          channelName: command.channel_name,
          source: 'command',
        },
        { now, defaultDueDays: ctx.config.file.defaultDueDays, requestKeys: command.trigger_id ? [`trigger:${command.trigger_id}`] : [] },
      );
      if (!created) {
        ctx.logger.info({ change: change.key }, 'duplicate /fix request ignored');
        return;
      }
      ctx.metrics.changesCreated.inc({ source: 'command' });
      ctx.logger.info({ change: change.key, user, channel: command.channel_id }, 'change logged');
      await safeRespond(ctx, respond, changeLoggedMessage(change, { now, commandName: command.command }), true);
      return;
    }
    case 'list': {
      const { changes, total } = ctx.ledger.list({ scope: parsed.scope, user, now });
      await safeRespond(ctx, respond, changeList(changes, { scope: parsed.scope, now, total }));
      return;
    }
    case 'show': {
      const change = ctx.ledger.get(parsed.id);
      await safeRespond(
        ctx,
        respond,
        change
          ? changeDetail(change, now)
          : errorMessage(`There is no change SG-${parsed.id}.`, `${command.command} list all`),
      );
      return;
    }
    case 'codified':
    case 'reverted':
    case 'dismiss':
    case 'snooze':
    case 'assign': {
      const action: ChangeAction =
        parsed.type === 'codified'
          ? { type: 'codified', prUrl: parsed.url }
          : parsed.type === 'reverted'
            ? { type: 'reverted' }
            : parsed.type === 'dismiss'
              ? { type: 'dismiss', reason: parsed.reason }
              : parsed.type === 'snooze'
                ? { type: 'snooze', until: parsed.until }
                : { type: 'assign', owner: parsed.userId };
      const result = ctx.ledger.act(parsed.id, action, actionCtx);
      if (!result.ok) {
        ctx.metrics.refusals.inc({ code: result.code });
        await safeRespond(ctx, respond, errorMessage(result.message, exampleFor(parsed.type, command.command, parsed.id)));
        return;
      }
      ctx.logger.info({ change: result.change.key, user, action: action.type }, 'change updated');
      await safeRespond(ctx, respond, confirmationMrkdwn(confirmationText(result.change.key, parsed)));
      if (parsed.type === 'assign') {
        await notifyNewOwner(ctx, client, parsed.userId, user, result.change.key, result.change.description);
      }
      return;
    }
    case 'claim':
      await safeRespond(
        ctx,
        respond,
        errorMessage(
          'Claiming a drift finding is not available yet. Log the change you made instead, and it will be tracked from now on.',
          `${command.command} scaled deploy/payments-api -n shop to 12 for INC-4821`,
        ),
      );
      return;
    case 'help':
      await safeRespond(ctx, respond, helpMessage(command.command));
      return;
    case 'error':
      ctx.metrics.refusals.inc({ code: 'bad_input' });
      await safeRespond(ctx, respond, errorMessage(parsed.message, parsed.example));
      return;
  }
}

/** mrkdwn for the acknowledgement; user-supplied parts are escaped, what we build (dates) is not. */
function confirmationText(key: string, parsed: FixCommand): string {
  switch (parsed.type) {
    case 'codified':
      return `${key} is in review with ${escapeAndTruncate(parsed.url, 500, false)}. Stopgap closes it as codified once the cluster drift behind it is gone.`;
    case 'reverted':
      return `${key} is marked reverted.`;
    case 'dismiss':
      return `${key} is dismissed: “${escapeAndTruncate(parsed.reason, 1000)}”.`;
    case 'snooze':
      return `${key} is snoozed until <!date^${Math.floor(Date.parse(parsed.until) / 1000)}^{date_short_pretty}|${parsed.until.slice(0, 10)}>. No reminders until then.`;
    case 'assign':
      return `${key} now belongs to <@${parsed.userId}>.`;
    default:
      return `${key} updated.`;
  }
}

function exampleFor(type: FixCommand['type'], commandName: string, id: number): string {
  switch (type) {
    case 'codified':
      return `${commandName} codified SG-${id} https://github.com/acme/infra/pull/881`;
    case 'dismiss':
      return `${commandName} dismiss SG-${id} reverted by the autoscaler`;
    case 'snooze':
      return `${commandName} snooze SG-${id} 3d`;
    case 'assign':
      return `${commandName} assign SG-${id} <@U024BE7LH>`;
    default:
      return `${commandName} show SG-${id}`;
  }
}

async function notifyNewOwner(
  ctx: SlackDeps,
  client: WebClient,
  owner: string,
  by: string,
  key: string,
  description: string,
): Promise<void> {
  if (owner === by) return;
  try {
    await client.chat.postMessage({
      channel: owner,
      text: `<@${by}> made you the owner of ${key}: ${escapeAndTruncate(description, 300)}. Codify it or revert it, then tell me with \`/fix codified ${key} &lt;PR&gt;\` or \`/fix reverted ${key}\`.`,
    });
  } catch (err) {
    ctx.logger.warn({ err, change: key }, 'could not DM the new owner');
  }
}

