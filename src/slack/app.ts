import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel, type ReceiverEvent, type SocketModeReceiver } from '@slack/bolt';
import type { App as BoltApp, SlashCommand } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { ServeConfig } from '../config/config.js';
import { parseFixCommand, type FixCommand } from '../ledger/fix-command.js';
import type { ChangeAction } from '../ledger/lifecycle.js';
import { isStopgapError } from '../errors.js';
import { redactSecrets } from '../redact.js';
import { boltLogger } from './bolt-logger.js';
import { registerLogChangeModal, openLogChangeModal } from './log-change.js';
import { registerHome } from './home.js';
import { registerChangeActions } from './change-actions.js';
import { SlackHttpReceiver } from './http-receiver.js';
import { ackStateOf, superviseEvent, type RequestKind, type SupervisorDeps } from './supervise.js';
import { responderFor } from './response-url.js';
import { respondUnhandled } from './unhandled.js';
import { createSlackContext, type SlackContext, type SlackDeps } from './context.js';
import { notifyNewOwner } from './notify.js';
import {
  changeDetail,
  changeList,
  changeLoggedMessage,
  confirmationMrkdwn,
  errorMessage,
  escapeAndTruncate,
  helpMessage,
  actionConfirmation,
} from './views/index.js';

export interface RunningSlackApp {
  app: BoltApp;
  port: number;
  stop(): Promise<void>;
}

/** Bolt's App with every request supervised: shape checked, ack timed from arrival, never left unanswered. */
class SupervisedApp extends App {
  supervisor?: SupervisorDeps;

  override async processEvent(event: ReceiverEvent): Promise<void> {
    const supervisor = this.supervisor;
    if (!supervisor) return super.processEvent(event);
    return superviseEvent(event, (e) => super.processEvent(e), supervisor);
  }
}

export function slackClientOptions(config: ServeConfig) {
  const slackApiUrl = config.slackApiUrl
    ? config.slackApiUrl.endsWith('/')
      ? config.slackApiUrl
      : `${config.slackApiUrl}/`
    : undefined;
  // Fail fast on Slack errors instead of retrying for minutes behind a user's back; 429s still wait.
  return { slackApiUrl, retryConfig: { retries: 2, factor: 1.5, minTimeout: 200, maxTimeout: 2000 } };
}

export type { SlackContext, SlackDeps };

export function createSlackApp(deps: SlackDeps): BoltApp {
  const { config } = deps;
  const clientOptions = slackClientOptions(config);
  const botToken = config.slack.botToken;
  const { botUserId, botId } = deps.identity;
  // Bolt with token verification off calls auth.test on every request; the identity was resolved at start-up.
  const authorize = async () => ({ botToken, botUserId, botId });
  const common = {
    authorize,
    logger: boltLogger(deps.logger),
    logLevel: LogLevel.INFO,
    clientOptions,
    // Bolt's in-memory conversation store costs a lookup per request and we keep no conversation state.
    convoStore: false as const,
  };
  const app =
    config.slack.mode === 'socket'
      ? new SupervisedApp({
          ...common,
          socketMode: true,
          appToken: config.slack.appToken,
          customRoutes: deps.customRoutes ?? [],
          // The socket client makes its own WebClient: it must honour SLACK_API_URL too.
          installerOptions: { port: config.port, clientOptions },
        })
      : new SupervisedApp({
          ...common,
          receiver: new SlackHttpReceiver({
            signingSecret: config.slack.signingSecret,
            logger: deps.logger,
            routes: deps.customRoutes ?? [],
            onRejected: (reason) => deps.metrics.refusals.inc({ code: `http_${reason}` }),
          }),
        });

  const ctx = createSlackContext(deps);
  app.supervisor = {
    logger: deps.logger,
    metrics: deps.metrics,
    ackDeadlineMs: deps.ackDeadlineMs,
    unhandled: (body: Record<string, unknown>, kind: RequestKind) => respondUnhandled(ctx, app.client, body, kind),
  };

  // Slack retries an event it thinks we missed; each event_id is handled once.
  app.use(async ({ body, next }) => {
    const eventId = (body as { type?: string; event_id?: string }).type === 'event_callback' ? (body as { event_id?: string }).event_id : undefined;
    if (eventId && !(await deps.ledger.claimRequestSoon(`event:${eventId}`, deps.now()))) {
      deps.logger.debug({ eventId }, 'duplicate Slack event ignored');
      return;
    }
    await next();
  });

  // Any command name: the workspace may have renamed /fix.
  app.command(/.*/, async ({ command, ack, client, context }) => {
    const reply = await handleFixCommand(ctx, command, client);
    // Acknowledged only now: whatever the reply says has been committed.
    if (ackStateOf(context)?.acked && reply.ack) {
      // The deadline already answered "taking longer than usual": the real answer follows by response_url.
      try {
        await responderFor(command.response_url)(reply.ack);
      } catch (err) {
        ctx.deliveryFailed('late_reply', err, { user: command.user_id });
      }
    } else {
      await ack(reply.ack);
    }
    await reply.after?.();
  });

  registerLogChangeModal(app, ctx);
  registerChangeActions(app, ctx);
  registerHome(app, ctx);

  app.error(async (error) => {
    deps.logger.error({ err: error }, 'unhandled Slack error');
  });
  return app;
}

export async function startSlackApp(app: BoltApp, port: number, deps: Pick<SlackDeps, 'logger' | 'onConnection'>): Promise<RunningSlackApp> {
  const receiver = (app as unknown as { receiver: unknown }).receiver;
  if (receiver instanceof SlackHttpReceiver) {
    const server = await receiver.start(port);
    deps.onConnection?.('connected');
    return {
      app,
      port: (server.address() as AddressInfo).port,
      stop: () => receiver.stop(),
    };
  }
  const socket = (receiver as SocketModeReceiver).client;
  socket.on('connected', () => deps.onConnection?.('connected'));
  socket.on('disconnected', () => deps.onConnection?.('disconnected'));
  socket.on('reconnecting', () => deps.onConnection?.('disconnected'));
  // The client reconnects only after a delay; the socket is down from the moment it closes.
  socket.on('close', () => deps.onConnection?.('disconnected'));
  let server: Server | undefined;
  try {
    server = (await app.start(port)) as unknown as Server | undefined;
  } catch (err) {
    // A socket that never connected must not leave the health server answering 200 forever.
    await app.stop().catch(() => undefined);
    throw err;
  }
  const address = server?.address?.() as AddressInfo | null | undefined;
  return {
    app,
    port: address?.port ?? port,
    stop: async () => {
      await app.stop();
    },
  };
}

interface CommandReply {
  /** The acknowledgement body: the person's answer, sent only after the ledger committed. */
  ack?: { response_type: 'ephemeral' | 'in_channel'; text: string; blocks?: unknown[] };
  /** Slow follow-up work after the ack (DMs, opening a modal). */
  after?: () => Promise<void>;
}

function reply(message: { text: string; blocks?: unknown[] }, inChannel = false): CommandReply['ack'] {
  return { response_type: inChannel ? 'in_channel' : 'ephemeral', text: message.text, blocks: message.blocks };
}

function busyOrFailed(ctx: SlackContext, err: unknown, command: SlashCommand): CommandReply {
  if (isStopgapError(err) && err.code === 'ledger_busy') {
    ctx.metrics.refusals.inc({ code: 'ledger_busy' });
    ctx.logger.warn({ user: command.user_id }, 'ledger busy: change not saved');
    return {
      ack: reply(
        errorMessage(
          `The ledger is busy (another process is holding the database) and your change was *not saved*. Try again in a moment. Your text was: “${escapeAndTruncate(redactSecrets(command.text), 500)}”`,
          `${command.command} ${redactSecrets(command.text).slice(0, 200)}`,
        ),
      ),
    };
  }
  ctx.logger.error({ err, command: command.command, user: command.user_id }, 'fix command failed');
  return {
    ack: reply(
      errorMessage(
        `Something went wrong on our side and nothing was recorded. Your text was: “${escapeAndTruncate(redactSecrets(command.text), 500)}”`,
        `${command.command} ${redactSecrets(command.text).slice(0, 200)}`,
      ),
    ),
  };
}

async function handleFixCommand(ctx: SlackContext, command: SlashCommand, client: WebClient): Promise<CommandReply> {
  const now = ctx.now();
  const text = command.text ?? '';
  const parsed: FixCommand = parseFixCommand(
    text,
    ctx.parseContext({ now, channelName: command.channel_name, commandName: command.command }),
  );
  ctx.metrics.commands.inc({ subcommand: parsed.type });
  const user = command.user_id;
  const actionCtx = { by: user, now, isAdmin: ctx.isAdmin(user) };
  const requestKeys = command.trigger_id ? [`trigger:${command.trigger_id}`] : [];

  switch (parsed.type) {
    case 'open_modal':
      return {
        after: () =>
          openLogChangeModal(ctx, client, {
            triggerId: command.trigger_id,
            channelId: command.channel_id,
            channelName: command.channel_name,
            commandName: command.command,
            source: 'modal',
            prefill: {},
          }),
      };
    case 'log': {
      let result;
      try {
        result = await ctx.ledger.createSoon(
          {
            ...parsed.draft,
            actor: user,
            channelId: command.channel_id,
            channelName: command.channel_name,
            source: 'command',
          },
          { now, defaultDueDays: ctx.config.file.defaultDueDays, requestKeys },
        );
      } catch (err) {
        return busyOrFailed(ctx, err, { ...command, text });
      }
      const { change, created } = result;
      if (!created) {
        ctx.logger.info({ change: change.key }, 'duplicate /fix request ignored');
        return { ack: reply(confirmationMrkdwn(`${change.key} was already logged from this request.`)) };
      }
      ctx.metrics.changesCreated.inc({ source: 'command' });
      ctx.logger.info({ change: change.key, user, channel: command.channel_id }, 'change logged');
      return {
        ack: reply(changeLoggedMessage(change, { now, commandName: command.command, withActions: true }), true),
        after: () => notifyNewOwner(ctx, client, change.owner, user, change.key, change.description),
      };
    }
    case 'list': {
      const { changes, total } = ctx.ledger.list({ scope: parsed.scope, user, now });
      return { ack: reply(changeList(changes, { scope: parsed.scope, now, total })) };
    }
    case 'show': {
      const change = ctx.ledger.get(parsed.id);
      return {
        ack: reply(
          change ? changeDetail(change, now) : errorMessage(`There is no change SG-${parsed.id}.`, `${command.command} list all`),
        ),
      };
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
      let result;
      try {
        result = await ctx.ledger.actSoon(parsed.id, action, actionCtx, { requestKeys });
      } catch (err) {
        return busyOrFailed(ctx, err, { ...command, text });
      }
      if (!result.ok) {
        ctx.metrics.refusals.inc({ code: result.code });
        return { ack: reply(errorMessage(result.message, exampleFor(parsed.type, command.command, parsed.id))) };
      }
      if (result.duplicate) {
        ctx.logger.info({ change: result.change.key, user, action: action.type }, 'duplicate request ignored');
        return { ack: reply(confirmationMrkdwn(actionConfirmation(result.change.key, action))) };
      }
      ctx.logger.info({ change: result.change.key, user, action: action.type }, 'change updated');
      const changed = result.change;
      return {
        ack: reply(confirmationMrkdwn(actionConfirmation(changed.key, action))),
        after:
          parsed.type === 'assign'
            ? () => notifyNewOwner(ctx, client, parsed.userId, user, changed.key, changed.description)
            : undefined,
      };
    }
    case 'claim':
      return {
        ack: reply(
          errorMessage(
            'Claiming a drift finding is not available yet. Log the change you made instead, and it will be tracked from now on.',
            `${command.command} scaled deploy/payments-api -n shop to 12 for INC-4821`,
          ),
        ),
      };
    case 'help':
      return { ack: reply(helpMessage(command.command)) };
    case 'error':
      ctx.metrics.refusals.inc({ code: 'bad_input' });
      return { ack: reply(errorMessage(parsed.message, parsed.example)) };
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
