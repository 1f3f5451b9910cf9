/**
 * How the `/fix` grammar reads the words of its text, for the subcommands, the change draft, durations
 * and suggestions alike: the punctuation and mrkdwn around a word, autocorrected dashes, user mentions,
 * and echoing what a person typed inside a message. Pure.
 */

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
