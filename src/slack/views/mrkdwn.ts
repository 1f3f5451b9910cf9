/**
 * Text helpers for Block Kit: escaping user text for mrkdwn, truncating to Slack's limits without
 * breaking an escape sequence, a mention or a surrogate pair, and Slack's date formatting.
 */
import type { ChangeStatus } from '../../ledger/model.js';

/** Slack's documented limits for the fields we fill. */
export const LIMITS = {
  sectionText: 3000,
  sectionField: 2000,
  contextText: 2000,
  headerText: 150,
  fallbackText: 3000,
  buttonText: 75,
  optionText: 75,
  optionValue: 150,
  selectOptions: 100,
  placeholder: 150,
  modalTitle: 24,
  privateMetadata: 3000,
  inputValue: 3000,
  blocksPerMessage: 50,
} as const;

const ELLIPSIS = '…';

/**
 * Slack-built entities that survive escaping: user mentions (`<@U123>`) and channel links without a
 * label (`<#C123>`: Slack shows the channel's real name). Broadcasts such as `<!channel>`, links and
 * labelled channel links (`<#C0GEN|click me>`: the label is whatever was typed) are escaped, so user text
 * can neither ping a channel nor disguise a link. The `/fix` parser stores real channel references
 * without their label, so only typed ones carry one.
 */
const KEPT_ENTITY = /<@[UW][A-Z0-9]{2,}>|<#[CG][A-Z0-9]{2,}>/y;

/** Splits text into atoms: kept entities whole, every other code point alone, each already escaped. */
function escapedAtoms(text: string, keepMentions: boolean): string[] {
  const atoms: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (keepMentions && text[i] === '<') {
      KEPT_ENTITY.lastIndex = i;
      const m = KEPT_ENTITY.exec(text);
      if (m) {
        atoms.push(m[0]);
        i += m[0].length;
        continue;
      }
    }
    const cp = text.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    atoms.push(ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch);
    i += ch.length;
  }
  return atoms;
}

/** Escapes `&`, `<`, `>` (Slack's three control characters) in user text. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Like {@link escapeMrkdwn} but keeps user mentions and channel links Slack put in the text. */
export function escapeKeepingMentions(text: string): string {
  return escapedAtoms(text, true).join('');
}

/**
 * Escapes user text and truncates the escaped result to `max` characters, cutting only between atoms
 * (never inside `&amp;`, a mention or a surrogate pair) and marking the cut with `…`.
 */
export function escapeAndTruncate(text: string, max: number, keepMentions = true): string {
  const atoms = escapedAtoms(text, keepMentions);
  let total = 0;
  for (const a of atoms) total += a.length;
  if (total <= max) return atoms.join('');
  let out = '';
  for (const a of atoms) {
    if (out.length + a.length + ELLIPSIS.length > max) break;
    out += a;
  }
  return out.trimEnd() + ELLIPSIS;
}

/**
 * What a cut must not split in text that is already mrkdwn: a Slack entity (`<@U123>`, `<#C1>`,
 * `<!date^…|…>`, `<!here>`, `<https://…|label>`) or an HTML escape (`&amp;`, `&#39;`).
 */
const WHOLE = /<(?:[@#!]|[a-z][a-z0-9+.-]*:)[^<>\n]*>|&(?:[a-z]{2,8}|#\d{1,7}|#x[0-9a-f]{1,6});/iy;

/**
 * Truncates text that needs no further escaping (mrkdwn we built, plain_text fields) to `max`
 * characters, marking the cut with `…`. The cut falls between code points and never inside a Slack
 * entity or an HTML escape: such a unit is kept whole or left out whole.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    let unit: string | undefined;
    const c = text[i];
    if (c === '<' || c === '&') {
      WHOLE.lastIndex = i;
      unit = WHOLE.exec(text)?.[0];
    }
    unit ??= String.fromCodePoint(text.codePointAt(i) ?? 0);
    if (out.length + unit.length + ELLIPSIS.length > max) break;
    out += unit;
    i += unit.length;
  }
  return out.trimEnd() + ELLIPSIS;
}

/** First line of the text, for one-line summaries. */
export function firstLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return line.length < text.trimEnd().length ? `${line} ${ELLIPSIS}` : line;
}

export function mention(userId: string): string {
  return /^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

/** `2024-05-01` in UTC, used as the fallback of Slack date tokens and in plain-text fallbacks. */
export function isoDay(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().slice(0, 10);
}

/**
 * `<!date^unix^{date_short}|fallback>`: each reader sees the date in their own time zone.
 * An unparseable timestamp is shown as escaped text rather than a broken token.
 */
export function slackDate(iso: string, format = '{date_short}'): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  return `<!date^${Math.floor(ms / 1000)}^${format}|${isoDay(iso)}>`;
}

const STATUS_LABEL: Record<ChangeStatus, string> = {
  open: 'Open',
  in_review: 'In review',
  codified: 'Codified',
  reverted: 'Reverted',
  dismissed: 'Dismissed',
};

export function statusLabel(status: ChangeStatus): string {
  return STATUS_LABEL[status];
}

/** A URL safe to put in `<url>` link syntax, or undefined. */
export function safeUrl(url: string): string | undefined {
  return /^https?:\/\/[^\s<>|]+$/.test(url) ? url : undefined;
}

/** `<url>` when the URL is safe to link, else the escaped text. */
export function linkOrText(url: string): string {
  const safe = safeUrl(url);
  return safe ? `<${safe}>` : escapeMrkdwn(url);
}

/** The slash command as typed (`/fix`), whatever the app's command is named; never trusted blindly. */
export function commandLabel(commandName: string): string {
  const name = commandName.startsWith('/') ? commandName : `/${commandName}`;
  return /^\/[\w.-]{1,31}$/.test(name) ? name : '/fix';
}
