/**
 * The demo's Slack, in a terminal: every Web API call the bot makes that a person would see (channel
 * posts, DMs, edits, ephemeral replies, modals, App Home) rendered as text, with people and channels by
 * name, in colour on a TTY and plain otherwise. Pure rendering; the demo decides where it goes.
 */
import type { RecordedCall } from './fake-slack.js';
import type { Finding } from '../drift/findings.js';
import { messageAsText, mrkdwnAsText, type TextStyle } from '../slack/views/plain-text.js';

export interface ConsoleStyle extends TextStyle {
  /** Who is talking, or where (a line's lead). */
  lead(text: string): string;
  /** The narrator. */
  narrate(text: string): string;
}

const ansi = (code: string) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;

export const COLOUR: ConsoleStyle = { header: ansi('1'), context: ansi('2'), button: ansi('36'), lead: ansi('1;35'), narrate: ansi('1;33') };
export const PLAIN: ConsoleStyle = { header: (t) => t, context: (t) => t, button: (t) => t, lead: (t) => t, narrate: (t) => t };

/** Slack IDs to the names a person would read. */
export interface Names {
  users: Readonly<Record<string, string>>;
  channels: Readonly<Record<string, string>>;
}

/** `@U123` and `#C123` as the names people know. */
export function named(text: string, names: Names): string {
  return text.replace(/@(U[A-Z0-9]+)/g, (m, id: string) => (names.users[id] ? `@${names.users[id]}` : m)).replace(/#(C[A-Z0-9]+)/g, (m, id: string) => (names.channels[id] ? `#${names.channels[id]}` : m));
}

function where(channel: string | undefined, names: Names): string {
  if (!channel) return 'Slack';
  if (channel.startsWith('U')) return `DM to @${names.users[channel] ?? channel}`;
  // A DM's conversation: the fake names it after its person.
  if (channel.startsWith('D')) return `DM to @${names.users[channel.slice(1)] ?? names.users[channel] ?? channel}`;
  return `#${names.channels[channel] ?? channel}`;
}

function body(blocks: unknown, text: string | undefined, style: ConsoleStyle): string {
  const shown = Array.isArray(blocks) && blocks.length > 0 ? messageAsText({ blocks: blocks as never }, style) : mrkdwnAsText(text ?? '');
  return shown;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/** What a person would see of one call, or undefined for calls nobody sees (users.info, auth.test…). */
export function renderCall(call: RecordedCall, names: Names, style: ConsoleStyle = PLAIN): string | undefined {
  if (!call.ok && call.method !== 'response_url') return undefined;
  const f = call.fields;
  const json = (call.json ?? {}) as { text?: string; blocks?: unknown; replace_original?: boolean; response_type?: string };
  let lead: string;
  let content: string;
  switch (call.method) {
    case 'chat.postMessage':
      lead = `${where(f.channel, names)}${f.thread_ts ? ' (in thread)' : ''}, Stopgap:`;
      content = body(call.blocks, f.text, style);
      break;
    case 'chat.update':
      lead = `${where(f.channel, names)}, Stopgap edits its message:`;
      content = body(call.blocks, f.text, style);
      break;
    case 'chat.postEphemeral':
      lead = `#${names.channels[f.channel ?? ''] ?? f.channel}, only @${names.users[f.user ?? ''] ?? f.user} sees, Stopgap:`;
      content = body(call.blocks, f.text, style);
      break;
    case 'response_url':
      lead = json.replace_original ? 'Stopgap redraws the message:' : `Stopgap replies${json.response_type === 'in_channel' ? ' in the channel' : ' (only you see this)'}:`;
      content = body(json.blocks, json.text, style);
      break;
    case 'views.open': {
      const view = (call.view ?? {}) as { title?: { text?: string }; blocks?: unknown };
      lead = `A form opens: ${view.title?.text ?? ''}`;
      content = body(view.blocks, '', style);
      break;
    }
    case 'views.publish': {
      const view = (call.view ?? {}) as { blocks?: unknown };
      lead = `App Home of @${names.users[f.user_id ?? ''] ?? f.user_id}:`;
      content = body(view.blocks, '', style);
      break;
    }
    case 'files.completeUploadExternal': {
      const shared = call.shared ?? [];
      if (shared.length === 0) return undefined;
      lead = `${where(shared[0]?.channel, names)}, Stopgap shares ${shared.map((s) => s.filename).join(', ')}:`;
      content = [mrkdwnAsText(shared[0]?.initialComment ?? ''), ...shared.map((s) => s.content.trimEnd())].filter(Boolean).join('\n');
      break;
    }
    default:
      return undefined;
  }
  return `${style.lead(lead)}\n${indent(named(content, names))}`;
}

/** Slack's answer to a slash command (its HTTP body), as the person who typed it sees it. */
export function renderSlashReply(answer: unknown, names: Names, style: ConsoleStyle = PLAIN): string | undefined {
  const a = (answer ?? {}) as { text?: string; blocks?: unknown };
  const shown = body(a.blocks, a.text, style);
  return shown ? `${style.lead('Stopgap replies (only you see this):')}\n${indent(named(shown, names))}` : undefined;
}

/** One drifted field as the watch sees it: object, field, desired → live, and who wrote it. */
export function describeFinding(f: Finding): string {
  const object = `${f.ref.namespace ? `${f.ref.namespace}/` : ''}${f.ref.name}`;
  return `${f.ref.kind} ${object} ${f.path}: ${JSON.stringify(f.desired) ?? '(absent)'} → ${JSON.stringify(f.live) ?? '(absent)'}  (written by ${f.attribution?.manager ?? 'an unknown manager'})`;
}
