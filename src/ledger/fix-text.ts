/**
 * How the `/fix` grammar reads its text. The text comes in a chat's markup, which the grammar does not
 * know: a `TextCodec` it is handed (for Slack, `src/slack/text-codec.ts`) turns it into marked text and
 * back into plain text. Then the words, for the subcommands, the change draft, durations and suggestions
 * alike: the punctuation and mrkdwn around a word, autocorrected dashes, user mentions, and echoing what
 * a person typed inside a message. Pure.
 */

/** What a link stands for in marked text: its label (in prose) or its URL (an argument that is a URL). */
export type LinkMode = 'label' | 'url';

/**
 * Marked text: the only markup left is `<@U123>` (a user mention) and `<#C123>` (a channel reference);
 * every other `<`, `>` and `&` is an entity (`&lt;`, `&gt;`, `&amp;`), so the grammar can tell a mention
 * from the same characters typed. `channels` are the names of the channels referenced, for incidents.
 */
export interface MarkedText {
  text: string;
  channels: string[];
}

/**
 * The chat's text format, as the grammar needs it. Plain text, what the grammar hands back, keeps
 * mentions as `<@U123>` and channel references as `<#C123>` and nothing that could notify anyone.
 */
export interface TextCodec {
  /** Masks credentials in text as it arrives, without breaking its markup. */
  redact(raw: string): string;
  /** Text as it arrives (or any part of it) as marked text. */
  mark(raw: string, links: LinkMode): MarkedText;
  /** Marked text as the plain text handed back. */
  plain(marked: string): string;
  /** Marked text with its entities decoded and nothing else: what a URL is made of. */
  decode(marked: string): string;
  /** Whether a word, as it arrives, mentions many people at once (a broadcast or a user group). */
  isGroupMention(raw: string): boolean;
}

/** The words of marked text, markup resolved. */
export function argTokens(codec: TextCodec, rest: string, mode: LinkMode): string[] {
  return codec.mark(rest, mode).text.split(/\s+/).filter((t) => t !== '');
}

/** A user mention as the grammar reads it (`<@U123>`), or undefined. */
export function mentionId(token: string): string | undefined {
  const m = /^<@([UW][A-Z0-9]{2,})>$/.exec(token);
  return m?.[1];
}

export function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

const LEADING_WRAP = /^[([{"'`*_~“‘]+/;
const TRAILING_WRAP = /[)\]}"'`*_~,.;:!?”’]+$/;

/** Drops the punctuation and mrkdwn around a word: `(deploy/x),` → `deploy/x`. */
export function stripWrap(s: string): string {
  return s.replace(LEADING_WRAP, '').replace(TRAILING_WRAP, '');
}

/**
 * Like `stripWrap`, but a `)` or `]` closing a `(` or `[` inside the URL belongs to it (`Fix_(db)`, an
 * IPv6 host, a masked `?sig=[redacted]`).
 */
export function stripUrlWrap(s: string): string {
  const out = s.replace(LEADING_WRAP, '');
  const unclosed: Record<string, number> = { ')': 0, ']': 0 };
  for (const c of out) {
    if (c === ')' || c === ']') unclosed[c] = (unclosed[c] ?? 0) + 1;
    else if (c === '(') unclosed[')'] = (unclosed[')'] ?? 0) - 1;
    else if (c === '[') unclosed[']'] = (unclosed[']'] ?? 0) - 1;
  }
  let end = out.length;
  while (end > 0) {
    const c = out[end - 1] ?? '';
    if ('}"\'`*_~,.;:!?”’'.includes(c)) end--;
    else if ((c === ')' || c === ']') && (unclosed[c] ?? 0) > 0) {
      end--;
      unclosed[c] = (unclosed[c] ?? 0) - 1;
    } else break;
  }
  return out.slice(0, end);
}

export function stripTrailing(s: string): string {
  return s.replace(TRAILING_WRAP, '');
}

/** macOS and phones turn `--cluster` into `—cluster`; treat those as the flag that was meant. */
export function fixDashes(token: string): string {
  return token.replace(/^[—–]/, '--');
}

/** Echoes marked text inside a message, decoded like everything else handed back. */
export function echo(codec: TextCodec, s: string): string {
  return code(codec.plain(s));
}

/** Echoes plain user input inside a message: short, in code style, unable to break out of it. */
export function code(s: string): string {
  return `\`${clip(s).replace(/`/g, "'")}\``;
}

export function quoteName(s: string): string {
  return `'${clip(s).replace(/'/g, '’')}'`;
}

function clip(s: string): string {
  const chars = [...s];
  return chars.length > 60 ? `${chars.slice(0, 60).join('')}…` : s;
}
