/**
 * Masks credentials people paste into free text ("set DB_PASSWORD=hunter2 on deploy/api") and that
 * tokens carry in error messages, before the text is logged, stored or posted. Pure.
 */
const CREDENTIAL_KEY =
  /(password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|signature|(^|[_.-])(pass|pwd)$)/i;

const PATTERNS: [RegExp, (m: string, ...groups: string[]) => string][] = [
  // Slack bot, user, app-level and refresh tokens.
  [/\b(xox[abposr]|xapp|xoxe(?:\.xox[bp])?)-[A-Za-z0-9-]{4,}/g, (_m, prefix) => `${prefix}-[redacted]`],
  // GitHub personal, OAuth, app and fine-grained tokens.
  [/\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/g, (_m, prefix) => `${prefix}_[redacted]`],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}/g, () => 'github_pat_[redacted]'],
  // AWS access key IDs.
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, (_m, prefix) => `${prefix}[redacted]`],
  // PEM private keys.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, () => '[redacted private key]'],
  // Bearer tokens in pasted headers.
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{12,}/gi, (_m, prefix) => `${prefix}[redacted]`],
  // Credentials in URLs: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, (_m, prefix) => `${prefix}[redacted]@`],
  // key=value and key: value where the key names a credential (kubectl --from-literal, env dumps, query strings).
  [
    /\b([A-Za-z0-9_.-]+)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;"'&]+)/g,
    // `--from-literal=password=x`: the value of a harmless key may itself be a credential pair.
    (_whole, key, sep, value) => (CREDENTIAL_KEY.test(key) ? `${key}${sep}[redacted]` : `${key}${sep}${redactSecrets(value)}`),
  ],
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replace] of PATTERNS) out = out.replace(pattern, replace as (m: string, ...args: string[]) => string);
  return out;
}
