/**
 * Masks credentials people paste into free text ("set DB_PASSWORD=hunter2 on deploy/api") and that
 * tokens carry in error messages, before the text is logged, stored or posted. Pure, apart from the
 * process-wide set of the app's own secrets (see {@link registerKnownSecrets}).
 *
 * Every pattern here runs in time linear in the input: none of them can start a match inside a run of
 * the characters it then scans greedily (they start at the beginning of a run, by lookbehind, or at a
 * literal prefix), so no position is rescanned once per possible start. Text is bounded too: see
 * {@link MAX_REDACT_INPUT}.
 */

/**
 * Longest text scanned. Descriptions and reasons are capped far below this (3,000 characters); what
 * is longer is a log field (an error body, a dump) where the tail is worth less than a bounded cost.
 * Beyond it the text is cut at the last whitespace before the limit (so a secret straddling the cut is
 * dropped whole, never half-shown) and a note says how much was left out. A single "word" longer than
 * the limit is a blob (base64, a key) and is dropped entirely.
 */
export const MAX_REDACT_INPUT = 64 * 1024;

const REDACTED = '[redacted]';

/** Secrets shorter than this would mask ordinary words; they are ignored. */
export const MIN_KNOWN_SECRET_LENGTH = 8;

const CREDENTIAL_KEY =
  /(password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|signature|(^|[_.-])(pass|pwd)$)/i;

/** True when a field or key name names a credential (`DB_PASSWORD`, `apiKey`, `token`). */
export function isCredentialKey(name: string): boolean {
  return CREDENTIAL_KEY.test(name);
}

/**
 * True when text ends with a credential's name and its separator (`password=`, `api_key: `), so that
 * whatever follows, such as a Slack link, is the credential itself.
 */
export function endsWithCredentialKey(text: string): boolean {
  const m = /([A-Za-z0-9_.-]+)\s*[=:]\s*["']?$/.exec(text.slice(-200));
  return m !== null && isCredentialKey(m[1] ?? '');
}

const PATTERNS: [RegExp, (m: string, ...groups: string[]) => string][] = [
  // Slack bot, user, app-level and refresh tokens.
  [/\b(xox[abposr]|xapp|xoxe(?:\.xox[bp])?)-[A-Za-z0-9-]{4,}/g, (_m, prefix) => `${prefix}-${REDACTED}`],
  // GitHub personal, OAuth, app and fine-grained tokens.
  [/\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/g, (_m, prefix) => `${prefix}_${REDACTED}`],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}/g, () => `github_pat_${REDACTED}`],
  // AWS access key IDs.
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, (_m, prefix) => `${prefix}${REDACTED}`],
  // PEM private keys; one without its END line is masked to the end of the text.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, () => '[redacted private key]'],
  // Bearer tokens in pasted headers.
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{12,}/gi, (_m, prefix) => `${prefix}${REDACTED}`],
  // Credentials in URLs: scheme://user:password@host. The scheme starts where a run of scheme
  // characters starts (`\b` would also try every `.`/`-` inside `a.b.c…`, each rescanning the rest).
  [/(?<![A-Za-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, (_m, prefix) => `${prefix}${REDACTED}@`],
];

/** `key=value`, `key: value`: a key starts where a run of key characters starts, for the same reason. */
const KEY_AND_SEPARATOR = /(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]+)(\s*[=:]\s*)/g;
// A quote nobody closed still starts a value: `password="hunter2` is as secret as `password=hunter2`.
const VALUE = /"[^"]*"|'[^']*'|["']?[^\s,;"'&]+/y;

/**
 * Masks the value of every pair whose key names a credential (kubectl --from-literal, env dumps, query
 * strings). The value of a harmless key is scanned as text, because it may itself be a pair:
 * `--from-literal=password=x`. One left-to-right pass: nothing is scanned twice.
 */
function redactCredentialPairs(text: string): string {
  let out = '';
  let copied = 0;
  KEY_AND_SEPARATOR.lastIndex = 0;
  for (let m = KEY_AND_SEPARATOR.exec(text); m !== null; m = KEY_AND_SEPARATOR.exec(text)) {
    const valueStart = m.index + m[0].length;
    if (!CREDENTIAL_KEY.test(m[1] ?? '')) continue;
    VALUE.lastIndex = valueStart;
    const value = VALUE.exec(text);
    if (value === null) continue;
    out += text.slice(copied, valueStart) + REDACTED;
    copied = valueStart + value[0].length;
    KEY_AND_SEPARATOR.lastIndex = copied;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

// ---------------------------------------------------------------------------------------------------
// The app's own secrets

const knownSecrets = new Set<string>();
let knownSecretPattern: RegExp | undefined;

/** What may be slipped between the characters of a pasted secret without changing how it reads. */
const INVISIBLE = '[\\s\\u00AD\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]';
const HAS_INVISIBLE = new RegExp(INVISIBLE);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** `%7A` or `%7a` (percent-encoding is case-insensitive in its hex digits), byte by byte. */
function percentEncoded(ch: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(ch)) {
    const hex = byte.toString(16).padStart(2, '0');
    out += `%${[...hex].map((h) => (/[a-f]/.test(h) ? `[${h}${h.toUpperCase()}]` : h)).join('')}`;
  }
  return out;
}

/**
 * One secret as it may appear: verbatim, with any of its characters percent-encoded (a URL, a form
 * body), in either case when it is hex (hex has no case), and with whitespace or invisible characters
 * between its characters. Each character matches a few alternatives, none of which can match the gap,
 * so a failed attempt costs at most the length of the secret plus the gaps it crossed.
 */
function secretPattern(secret: string): string {
  const hex = /^[0-9a-f]+$/i.test(secret);
  // A secret with whitespace of its own would make the gap ambiguous (and the match slow): verbatim only.
  const gap = HAS_INVISIBLE.test(secret) ? '' : `${INVISIBLE}*`;
  const chars = [...secret].map((ch) => {
    const spellings = hex ? [...new Set([ch.toLowerCase(), ch.toUpperCase()])] : [ch];
    return `(?:${[...spellings.map(escapeRegExp), ...spellings.map(percentEncoded)].join('|')})`;
  });
  return chars.join(gap);
}

/**
 * Registers the app's own credentials (bot token, signing secret, app token) so that
 * {@link redactSecrets} masks them wherever they appear, in any of the forms described at
 * `secretPattern`. Process-wide and additive; values shorter than {@link MIN_KNOWN_SECRET_LENGTH}
 * (after trimming), empty or missing ones are ignored.
 */
export function registerKnownSecrets(values: readonly (string | null | undefined)[]): void {
  for (const value of values) {
    const secret = typeof value === 'string' ? value.trim() : '';
    if (secret.length >= MIN_KNOWN_SECRET_LENGTH) knownSecrets.add(secret);
  }
  if (knownSecrets.size === 0) return;
  // Longest first, so a secret that contains another is masked whole.
  const sorted = [...knownSecrets].sort((a, b) => b.length - a.length);
  knownSecretPattern = new RegExp(sorted.map(secretPattern).join('|'), 'g');
}

function redactKnownSecrets(text: string): string {
  return knownSecretPattern === undefined ? text : text.replace(knownSecretPattern, REDACTED);
}

// ---------------------------------------------------------------------------------------------------

/** Room for the note that says what was cut, so that a cut text is not cut again. */
const NOTE_ROOM = 64;

function bounded(text: string): string {
  if (text.length <= MAX_REDACT_INPUT) return text;
  let cut = MAX_REDACT_INPUT - NOTE_ROOM;
  while (cut > 0 && !/\s/.test(text[cut] ?? '')) cut--;
  const kept = text.slice(0, cut).trimEnd();
  return `${kept}${kept === '' ? '' : ' '}[… ${text.length - kept.length} more characters not shown]`;
}

export function redactSecrets(text: string): string {
  let out = redactKnownSecrets(bounded(text));
  for (const [pattern, replace] of PATTERNS) out = out.replace(pattern, replace as (m: string, ...args: string[]) => string);
  return redactCredentialPairs(out);
}
