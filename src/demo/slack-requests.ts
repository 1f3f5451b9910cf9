/**
 * Sends correctly (or deliberately incorrectly) signed Slack requests over real HTTP, and builds
 * payloads shaped like Slack's own (slash commands, block actions, view submissions, shortcuts, App
 * Home events): what the demo sends as Slack would, and what the tests send.
 */
import { createHmac } from 'node:crypto';
import { LOG_CHANGE_ACTION_ID, LOG_CHANGE_BLOCK_IDS, type LogChangeValues } from '../slack/views/log-change-modal.js';

export type SignedHeaders = {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
};

/** `v0=hex(HMAC-SHA256(secret, "v0:{ts}:{body}"))`, as Slack documents it. */
export function signSlackRequest(secret: string, body: string, ts: number = nowSeconds()): SignedHeaders {
  const digest = createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': String(ts) };
}

export type SendOptions = {
  /** `true` signs with a wrong secret; a string is sent verbatim as `x-slack-signature`. */
  forgeSignature?: boolean | string;
  /** Signs (correctly) with a timestamp 10 minutes old; Bolt rejects anything older than 5. */
  staleTimestamp?: boolean;
  /** Signs with this timestamp (seconds). */
  timestamp?: number;
  /** Extra headers, e.g. `{ 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' }`. */
  headers?: Record<string, string>;
  /** Defaults to `/slack/events`. */
  path?: string;
};

export type SlackHttpResponse = {
  status: number;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
  headers: Headers;
};

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
export const JSON_CONTENT_TYPE = 'application/json';

/** POSTs `body` signed with `secret`. The body is a string so fetch adds no `; charset=` (Bolt 5.1 rejects it). */
export async function sendSigned(
  baseUrl: string,
  secret: string,
  body: string,
  contentType: string,
  opts: SendOptions = {},
): Promise<SlackHttpResponse> {
  const ts = opts.timestamp ?? (opts.staleTimestamp ? nowSeconds() - 600 : nowSeconds());
  const signed = signSlackRequest(secret, body, ts);
  if (opts.forgeSignature === true) {
    signed['x-slack-signature'] = signSlackRequest(`${secret}-forged`, body, ts)['x-slack-signature'];
  } else if (typeof opts.forgeSignature === 'string') {
    signed['x-slack-signature'] = opts.forgeSignature;
  }
  const url = `${baseUrl.replace(/\/$/, '')}${opts.path ?? '/slack/events'}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, ...signed, ...opts.headers },
    body,
  });
  const text = await res.text();
  const out: SlackHttpResponse = { status: res.status, body: text, headers: res.headers };
  if (text !== '') {
    try {
      out.json = JSON.parse(text) as unknown;
    } catch {
      // Not JSON (Bolt acks with an empty or plain body); `body` has it.
    }
  }
  return out;
}

/** A slash command: the fields themselves, form-encoded. */
export function sendSlashCommand(
  baseUrl: string,
  secret: string,
  fields: Record<string, string>,
  opts?: SendOptions,
): Promise<SlackHttpResponse> {
  return sendSigned(baseUrl, secret, new URLSearchParams(fields).toString(), FORM_CONTENT_TYPE, opts);
}

/** Interactivity (block_actions, view_submission, message_action, shortcut): `payload=<JSON>`, form-encoded. */
export function sendInteraction(
  baseUrl: string,
  secret: string,
  payload: object,
  opts?: SendOptions,
): Promise<SlackHttpResponse> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return sendSigned(baseUrl, secret, body, FORM_CONTENT_TYPE, opts);
}

/** Events API envelope (`event_callback`, `url_verification`): raw JSON. */
export function sendEvent(
  baseUrl: string,
  secret: string,
  envelope: object,
  opts?: SendOptions,
): Promise<SlackHttpResponse> {
  return sendSigned(baseUrl, secret, JSON.stringify(envelope), JSON_CONTENT_TYPE, opts);
}

// ---------------------------------------------------------------------------------------------
// Own payloads, shaped like the real ones above. Each call gets fresh Slack identifiers (trigger_id,
// action_ts) so two builds are two distinct requests; pass the same ones to simulate a retry.

export const OWN_TEAM = { id: 'T0STOPGAP', domain: 'stopgap-test' } as const;
export const OWN_APP_ID = 'A0STOPGAP';
export const OWN_USER = { id: 'U0ALICE', name: 'alice' } as const;
export const OWN_CHANNEL = { id: 'C0INC4821', name: 'inc-4821-payments' } as const;

let ownCounter = 0;
function fresh(): number {
  ownCounter += 1;
  return ownCounter;
}

function triggerId(): string {
  return `${1_000_000 + fresh()}.${2_000_000}.${'a1b2c3d4e5f6'.repeat(2)}`;
}

function slackTs(): string {
  return `${nowSeconds()}.${String(fresh()).padStart(6, '0')}`;
}

type User = { id: string; name?: string };
type Channel = { id: string; name?: string };

/** Fields of a `/fix` slash command (like `slash_command.*.form-urlencoded.txt`). */
export function ownSlashCommandFields(overrides: Partial<Record<string, string>> = {}): Record<string, string> {
  const fields: Record<string, string> = {
    token: 'verification-token-unused',
    team_id: OWN_TEAM.id,
    team_domain: OWN_TEAM.domain,
    channel_id: OWN_CHANNEL.id,
    channel_name: OWN_CHANNEL.name,
    user_id: OWN_USER.id,
    user_name: OWN_USER.name,
    command: '/fix',
    text: '',
    api_app_id: OWN_APP_ID,
    is_enterprise_install: 'false',
    response_url: `https://hooks.slack.com/commands/${OWN_TEAM.id}/${fresh()}/own`,
    trigger_id: triggerId(),
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) fields[key] = value;
  }
  return fields;
}

export type OwnBlockActionsInput = {
  actionId: string;
  value?: string;
  blockId?: string;
  user?: User;
  channel?: Channel;
  /** Message container (default) or a view (App Home / modal, which has no response_url). */
  container?: 'message' | 'view';
  messageTs?: string;
  viewId?: string;
  responseUrl?: string;
  triggerId?: string;
  /** Replaces the button's fields: a menu choice (`{ type: 'static_select', selected_option }`), a picked user. */
  element?: Record<string, unknown>;
  /** The message the action was on, as the bot posted it (default: one actions block). */
  messageBlocks?: unknown[];
};

/** A `block_actions` payload for a button click (like `block_actions.button-in-message.bolt-python.json`). */
export function ownBlockActions(input: OwnBlockActionsInput): Record<string, unknown> {
  const user = input.user ?? OWN_USER;
  const channel = input.channel ?? OWN_CHANNEL;
  const messageTs = input.messageTs ?? slackTs();
  const blockId = input.blockId ?? 'actions';
  const action = {
    type: 'button',
    block_id: blockId,
    action_id: input.actionId,
    text: { type: 'plain_text', text: 'Button', emoji: true },
    value: input.value ?? '',
    action_ts: slackTs(),
    ...input.element,
  };
  const common = {
    type: 'block_actions',
    user: { id: user.id, username: user.name ?? user.id.toLowerCase(), name: user.name ?? user.id.toLowerCase(), team_id: OWN_TEAM.id },
    api_app_id: OWN_APP_ID,
    token: 'verification-token-unused',
    trigger_id: input.triggerId ?? triggerId(),
    team: OWN_TEAM,
    enterprise: null,
    is_enterprise_install: false,
    actions: [action],
  };
  if (input.container === 'view') {
    const viewId = input.viewId ?? `V0OWN${fresh()}`;
    return {
      ...common,
      container: { type: 'view', view_id: viewId },
      view: {
        id: viewId,
        team_id: OWN_TEAM.id,
        type: 'home',
        blocks: [],
        private_metadata: '',
        callback_id: '',
        state: { values: {} },
        hash: `${nowSeconds()}.own`,
        app_id: OWN_APP_ID,
        bot_id: 'B0STOPGAP',
      },
    };
  }
  return {
    ...common,
    container: { type: 'message', message_ts: messageTs, channel_id: channel.id, is_ephemeral: false },
    channel: { id: channel.id, name: channel.name ?? channel.id.toLowerCase() },
    message: {
      type: 'message',
      subtype: 'bot_message',
      text: 'Stopgap message',
      ts: messageTs,
      bot_id: 'B0STOPGAP',
      blocks: input.messageBlocks ?? [{ type: 'actions', block_id: blockId, elements: [] }],
    },
    state: { values: {} },
    response_url: input.responseUrl ?? `https://hooks.slack.com/actions/${OWN_TEAM.id}/${fresh()}/own`,
  };
}

export type OwnViewSubmissionInput = {
  callbackId: string;
  /** `view.state.values`: `{ [block_id]: { [action_id]: { type, value | selected_* } } }`. */
  stateValues: Record<string, Record<string, Record<string, unknown>>>;
  privateMetadata?: string;
  user?: User;
  viewId?: string;
  blocks?: unknown[];
  triggerId?: string;
  /** Filled when an input has `response_url_enabled`; empty otherwise. */
  responseUrls?: { block_id: string; action_id: string; channel_id: string; response_url: string }[];
};

/** A `view_submission` payload (like `view_submission.bolt-python.json`). */
export function ownViewSubmission(input: OwnViewSubmissionInput): Record<string, unknown> {
  const user = input.user ?? OWN_USER;
  const viewId = input.viewId ?? `V0OWN${fresh()}`;
  return {
    type: 'view_submission',
    team: OWN_TEAM,
    user: { id: user.id, username: user.name ?? user.id.toLowerCase(), name: user.name ?? user.id.toLowerCase(), team_id: OWN_TEAM.id },
    api_app_id: OWN_APP_ID,
    token: 'verification-token-unused',
    trigger_id: input.triggerId ?? triggerId(),
    view: {
      id: viewId,
      team_id: OWN_TEAM.id,
      type: 'modal',
      blocks: input.blocks ?? [],
      private_metadata: input.privateMetadata ?? '',
      callback_id: input.callbackId,
      state: { values: input.stateValues },
      hash: `${nowSeconds()}.own${fresh()}`,
      title: { type: 'plain_text', text: 'Log a change', emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: { type: 'plain_text', text: 'Cancel', emoji: true },
      submit: { type: 'plain_text', text: 'Log change', emoji: true },
      previous_view_id: null,
      root_view_id: viewId,
      app_id: OWN_APP_ID,
      external_id: '',
      app_installed_team_id: OWN_TEAM.id,
      bot_id: 'B0STOPGAP',
    },
    response_urls: input.responseUrls ?? [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

type StateValues = OwnViewSubmissionInput['stateValues'];

/**
 * `view.state.values` of a submitted "Log a change" modal, as Slack sends it: every input present,
 * empty ones as null. Pass `clusterAs: 'text'` when no clusters are configured (free-text input).
 */
export function logChangeStateValues(
  values: Partial<LogChangeValues>,
  opts: { clusterAs?: 'select' | 'text' } = {},
): StateValues {
  const text = (value: string | undefined) => ({ [LOG_CHANGE_ACTION_ID]: { type: 'plain_text_input', value: value ?? null } });
  const ids = LOG_CHANGE_BLOCK_IDS;
  const cluster =
    opts.clusterAs === 'text'
      ? text(values.cluster)
      : {
          [LOG_CHANGE_ACTION_ID]: {
            type: 'static_select',
            selected_option: values.cluster
              ? { text: { type: 'plain_text', text: values.cluster, emoji: true }, value: values.cluster }
              : null,
          },
        };
  return {
    [ids.description]: text(values.description),
    [ids.resources]: text(values.resources),
    [ids.namespace]: text(values.namespace),
    [ids.cluster]: cluster,
    [ids.owner]: { [LOG_CHANGE_ACTION_ID]: { type: 'users_select', selected_user: values.owner ?? null } },
    [ids.incident]: text(values.incident),
    [ids.dueDate]: { [LOG_CHANGE_ACTION_ID]: { type: 'datepicker', selected_date: values.dueDate ?? null } },
  };
}

export type OwnMessageShortcutInput = {
  /** Defaults to `log_temporary_fix`, the manifest's message shortcut. */
  callbackId?: string;
  /** The message's text (mrkdwn as Slack stores it, so `<@U…>` mentions and `&lt;` escapes). */
  text: string;
  user?: User;
  channel?: Channel;
  /** Who wrote the message; defaults to the person running the shortcut. */
  messageUser?: string;
  messageTs?: string;
  responseUrl?: string;
  triggerId?: string;
};

/** A message shortcut (`message_action`, like `message_action.bolt-python.json`). */
export function ownMessageShortcut(input: OwnMessageShortcutInput): Record<string, unknown> {
  const user = input.user ?? OWN_USER;
  const channel = input.channel ?? OWN_CHANNEL;
  const messageTs = input.messageTs ?? slackTs();
  return {
    type: 'message_action',
    token: 'verification-token-unused',
    action_ts: slackTs(),
    team: { id: OWN_TEAM.id, domain: OWN_TEAM.domain },
    user: { id: user.id, name: user.name ?? user.id.toLowerCase() },
    channel: { id: channel.id, name: channel.name ?? channel.id.toLowerCase() },
    is_enterprise_install: false,
    enterprise: null,
    callback_id: input.callbackId ?? 'log_temporary_fix',
    trigger_id: input.triggerId ?? triggerId(),
    message_ts: messageTs,
    message: {
      client_msg_id: `own-${fresh()}`,
      type: 'message',
      text: input.text,
      user: input.messageUser ?? user.id,
      ts: messageTs,
      team: OWN_TEAM.id,
      blocks: [
        {
          type: 'rich_text',
          block_id: `own${fresh()}`,
          elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: input.text }] }],
        },
      ],
    },
    response_url: input.responseUrl ?? `https://hooks.slack.com/app/${OWN_TEAM.id}/${fresh()}/own`,
  };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** An Events API envelope around app_home_opened, shaped like Slack's. */
export function ownHomeOpened(eventId: string, user: string, tab: 'home' | 'messages' = 'home'): Record<string, unknown> {
  return {
    token: 'x',
    team_id: 'T0STOPGAP',
    api_app_id: 'A0STOPGAP',
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user, channel: 'D0HOME', tab },
  };
}
