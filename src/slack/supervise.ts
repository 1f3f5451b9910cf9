import type { ReceiverEvent } from '@slack/bolt';
import { z } from 'zod';
import { isRecord } from '../json.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../http/metrics.js';

/**
 * Every Slack request, whatever the receiver (HTTP or Socket Mode), passes through here before Bolt:
 * its shape is checked, its acknowledgement is timed from arrival, and it is acknowledged within
 * Slack's three seconds even when no listener matched, a listener threw, or a listener is stuck.
 */

/** Slack gives up at 3 s; leave room for the network. */
export const ACK_DEADLINE_MS = 2_500;

export type RequestKind =
  | 'command'
  | 'block_actions'
  | 'view_submission'
  | 'view_closed'
  | 'shortcut'
  | 'message_action'
  | 'block_suggestion'
  | 'event'
  | 'other';

const Id = z.string().min(1).max(255);
const User = z.object({ id: Id }).loose();
const MaybeObject = z.looseObject({}).nullish();

const Command = z
  .object({
    command: z.string().regex(/^\/\S{1,64}$/),
    user_id: Id,
    text: z.string().max(40_000).optional(),
    trigger_id: z.string().max(255).optional(),
    response_url: z.string().max(2_000).optional(),
    channel_id: z.string().max(255).optional(),
    channel_name: z.string().max(255).optional(),
  })
  .loose();

const BlockActions = z
  .object({
    type: z.literal('block_actions'),
    user: User,
    actions: z.array(z.object({ action_id: z.string().max(255), type: z.string().optional() }).loose()).min(1).max(50),
    trigger_id: z.string().max(255).optional(),
    response_url: z.string().max(2_000).optional(),
    container: MaybeObject,
    channel: MaybeObject,
    message: MaybeObject,
    view: MaybeObject,
  })
  .loose();

const View = z
  .object({
    id: Id,
    callback_id: z.string().max(255),
    private_metadata: z.string().max(3_000).optional(),
    // A submission without state is answered by the listener, not refused here.
    state: z.object({ values: z.record(z.string(), z.unknown()) }).loose().nullish(),
  })
  .loose();

const ViewSubmission = z.object({ type: z.literal('view_submission'), user: User, view: View }).loose();
const ViewClosed = z.object({ type: z.literal('view_closed'), user: User, view: View }).loose();
const Shortcut = z
  .object({
    type: z.enum(['shortcut', 'message_action']),
    user: User,
    callback_id: z.string().max(255),
    trigger_id: z.string().max(255),
    channel: MaybeObject,
    message: MaybeObject,
    team: MaybeObject,
  })
  .loose();
const BlockSuggestion = z.object({ type: z.literal('block_suggestion'), user: User, action_id: z.string().max(255) }).loose();
const EventCallback = z
  .object({
    type: z.literal('event_callback'),
    event_id: z.string().max(255).optional(),
    event: z.object({ type: z.string().min(1).max(255) }).loose(),
  })
  .loose();

export function requestKind(body: Record<string, unknown>): RequestKind {
  if (typeof body.command === 'string') return 'command';
  switch (body.type) {
    case 'block_actions':
    case 'view_submission':
    case 'view_closed':
    case 'shortcut':
    case 'message_action':
    case 'block_suggestion':
      return body.type;
    case 'event_callback':
      return 'event';
    default:
      return 'other';
  }
}

const SCHEMAS: Record<RequestKind, z.ZodType | undefined> = {
  command: Command,
  block_actions: BlockActions,
  view_submission: ViewSubmission,
  view_closed: ViewClosed,
  shortcut: Shortcut,
  message_action: Shortcut,
  block_suggestion: BlockSuggestion,
  event: EventCallback,
  other: undefined,
};

/** Why a Slack body cannot be handled (Slack itself never sends one like it), or undefined when it can. */
export function slackBodyProblem(body: Record<string, unknown>): string | undefined {
  const kind = requestKind(body);
  if (kind === 'other' && typeof body.type !== 'string') return 'neither a command nor a typed payload';
  const schema = SCHEMAS[kind];
  if (!schema) return undefined;
  const parsed = schema.safeParse(body);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  return `${kind}: ${issue?.path.join('.') || '(body)'} ${issue?.message ?? 'is malformed'}`;
}

/**
 * Put in the listener's context: whether the request was already acknowledged (by the deadline). A
 * listener whose answer comes too late for the ack sends it by response_url instead of losing it.
 */
export interface AckState {
  acked: boolean;
}

export function ackStateOf(context: unknown): AckState | undefined {
  const state = (context as { stopgapAck?: unknown } | undefined)?.stopgapAck;
  return typeof state === 'object' && state !== null && 'acked' in state ? (state as AckState) : undefined;
}

/** How the supervisor answers for a listener: the ack body, and what to tell the person afterwards. */
export interface Answer {
  ack?: unknown;
  followUp?: () => Promise<void>;
}

export type AnswerReason = 'unhandled' | 'failed' | 'late';

export interface SupervisorDeps {
  logger: Logger;
  metrics: Metrics;
  ackDeadlineMs?: number;
  /**
   * Answers for a listener: a request none took (an unknown action, callback or shortcut), one whose
   * listener failed before acknowledging, or one whose listener is still working at the deadline.
   */
  answer(body: Record<string, unknown>, kind: RequestKind, reason: AnswerReason): Answer;
}

/** Runs Bolt's processing of one event under supervision; never throws. */
export async function superviseEvent(
  event: ReceiverEvent,
  run: (event: ReceiverEvent) => Promise<void>,
  deps: SupervisorDeps,
): Promise<void> {
  const arrivedAt = typeof event.customProperties?.arrivedAt === 'bigint' ? event.customProperties.arrivedAt : process.hrtime.bigint();
  const raw: unknown = event.body;
  if (!isRecord(raw)) {
    deps.logger.warn('Slack delivered something that is not a payload; acknowledged and ignored');
    deps.metrics.refusals.inc({ code: 'malformed_payload' });
    await Promise.resolve(event.ack()).catch(() => undefined);
    return;
  }
  const body = raw;
  const kind = requestKind(body);
  const state: AckState = { acked: false };
  let deadline: NodeJS.Timeout | undefined = undefined;
  const ack = async (response?: unknown): Promise<void> => {
    if (state.acked) return;
    state.acked = true;
    clearTimeout(deadline);
    deps.metrics.ackSeconds.observe({ kind }, Number(process.hrtime.bigint() - arrivedAt) / 1e9);
    await event.ack(response);
  };
  const answerFor = async (reason: AnswerReason): Promise<void> => {
    const answer = deps.answer(body, kind, reason);
    await ack(answer.ack).catch(() => undefined);
    await answer.followUp?.().catch((err: unknown) => deps.logger.warn({ err, kind, reason }, 'could not tell the person what happened'));
  };
  // Slack's three seconds run from the request's arrival, not from when the body finished arriving.
  const elapsedMs = Number(process.hrtime.bigint() - arrivedAt) / 1e6;
  deadline = setTimeout(
    () => {
      if (state.acked) return;
      deps.logger.warn({ kind }, 'no acknowledgement within the deadline; acknowledging for the listener');
      deps.metrics.refusals.inc({ code: 'ack_deadline' });
      void answerFor('late');
    },
    Math.max(0, (deps.ackDeadlineMs ?? ACK_DEADLINE_MS) - elapsedMs),
  );

  // The HTTP receiver refuses a malformed body with 400 before it gets here; Socket Mode's are checked now.
  const problem = event.customProperties?.shapeChecked === true ? undefined : slackBodyProblem(body);
  if (problem) {
    deps.logger.warn({ kind, problem }, 'malformed Slack payload ignored');
    deps.metrics.refusals.inc({ code: 'malformed_payload' });
    await ack().catch(() => undefined);
    return;
  }
  try {
    await run({ ...event, ack, customProperties: { ...event.customProperties, stopgapAck: state } });
  } catch (err) {
    deps.logger.error({ err, kind }, 'Slack listener failed');
    deps.metrics.refusals.inc({ code: 'listener_failed' });
    if (!state.acked) await answerFor('failed');
    return;
  }
  if (!state.acked) await answerFor('unhandled');
}
