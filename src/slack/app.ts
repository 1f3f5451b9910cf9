import type { AddressInfo } from 'node:net';
import { App, LogLevel, type ReceiverEvent, type SocketModeReceiver } from '@slack/bolt';
import type { App as BoltApp } from '@slack/bolt';
import { closeServer, listenRoutes } from '../http/server.js';
import { boltLogger } from './bolt-logger.js';
import { createSlackContext, slackClientOptions, type SlackContext, type SlackDeps } from './context.js';
import { SlackHttpReceiver } from './http-receiver.js';
import { registerListeners } from './listeners/index.js';
import { answerForListener } from './answers.js';
import { superviseEvent, type AnswerReason, type RequestKind, type SupervisorDeps } from './supervise.js';

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

export type { SlackContext, SlackDeps };

export function createSlackApp(deps: SlackDeps): BoltApp {
  const { config } = deps;
  const clientOptions = slackClientOptions(config, deps.metrics);
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
          // The socket client makes its own WebClient: it must honour SLACK_API_URL too. Health routes
          // are served by our own server (startSlackApp), which answers malformed requests with 400.
          installerOptions: { clientOptions },
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
    answer: (body: Record<string, unknown>, kind: RequestKind, reason: AnswerReason) => answerForListener(ctx, body, kind, reason),
  };

  registerListeners(app, ctx);
  // Bolt hands a listener's error to this handler and then reports the request as processed; thrown
  // on, it reaches the supervisor, which answers the person instead of leaving them with nothing.
  app.error(async (error) => {
    throw error;
  });
  return app;
}

export async function startSlackApp(
  app: BoltApp,
  port: number,
  deps: Pick<SlackDeps, 'logger' | 'onConnection' | 'customRoutes'>,
): Promise<RunningSlackApp> {
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
  const health = await listenRoutes(deps.customRoutes ?? [], port, deps.logger);
  try {
    await app.start();
  } catch (err) {
    // A socket that never connected must not leave the health server answering 200 forever.
    await app.stop().catch(() => undefined);
    await closeServer(health);
    throw err;
  }
  return {
    app,
    port: (health.address() as AddressInfo).port,
    stop: async () => {
      await app.stop();
      await closeServer(health);
    },
  };
}

