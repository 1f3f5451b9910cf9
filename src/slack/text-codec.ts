/**
 * The Slack text codec: text as Slack sends it in a slash command or a message, read into the marked
 * text the `/fix` grammar parses (`TextCodec` in `src/ledger/fix-text.ts`) and decoded back into plain
 * text. Pure: no Slack SDK, no I/O. It lives here, not in the ledger, because everything in it is Slack's
 * format; the ledger is handed it through the parse context and never imports it.
 *
 * Slack escapes `&`, `<`, `>` as entities and (when the command escapes them) wraps mentions and links as
 * `<@U123|bob>`, `<#C123|name>`, `<https://…|label>`. In the plain text that comes out:
 * - user mentions are kept as `<@U123>` and channel references as `<#C123>`;
 * - links are replaced by their label (or their URL when they have none);
 * - broadcasts (`<!here>`, `<!channel>`, `<!everyone>`) and user groups become plain `@here`, `@sre`, so
 *   echoing a change never pings anyone;
 * - there is never a `<!`: one typed literally (`&lt;!channel&gt;`) is decoded with a word joiner
 *   (U+2060) after the `<`, so it reads the same but is not broadcast markup to anything that renders it.
 * Any other `<` is one the user typed (sent by Slack as `&lt;`). Credentials are masked first, markup by
 * markup, so that masking never breaks a link.
 */
import type { LinkMode, MarkedText, TextCodec } from '../ledger/fix-text.js';
import { endsWithCredentialKey, redactSecrets } from '../redact.js';

/** Slack's text format, as the `/fix` grammar reads it. */
export const slackTextCodec: TextCodec = {
  redact: redactSlackText,
  mark: markSlackText,
  plain: plainText,
  decode: decodeEntities,
  isGroupMention: (word) => word.startsWith('<!'),
};

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

/**
 * Resolves Slack's `<…>` markup into marked text: user mentions become `<@U123>`, channel references
 * `<#C123>`, links their label (`label` mode) or their URL (`url` mode), broadcasts and user groups plain
 * `@here`/`@team`. The result is still entity-escaped (stray `<`, `>` and `&` are escaped too), so a `<`
 * in it is always a mention or channel reference and parsing can tell them from typed text. Text handed
 * back to callers goes through `plainText`, parts of URLs through `decodeEntities`.
 */
function markSlackText(input: string, mode: LinkMode): MarkedText {
  const channels: string[] = [];
  const text = input.replace(/<([^<>]*)>|[<>]|&(?!(?:amp|lt|gt);)/g, (whole, inner: string | undefined) => {
    if (inner === undefined) return escapeChar(whole);
    const bar = inner.indexOf('|');
    const target = bar === -1 ? inner : inner.slice(0, bar);
    const label = bar === -1 ? '' : inner.slice(bar + 1);
    if (target.startsWith('@')) {
      const id = target.slice(1);
      return SLACK_USER_ID.test(id) ? `<@${id}>` : escapeText(label || id);
    }
    if (target.startsWith('#')) {
      const id = target.slice(1);
      if (label !== '') channels.push(label);
      if (SLACK_CHANNEL_ID.test(id)) return `<#${id}>`;
      return escapeText(label !== '' ? `#${label}` : id);
    }
    if (target.startsWith('!')) {
      const special = target.slice(1).split('^')[0] ?? '';
      if (/^(?:here|channel|everyone)$/.test(special)) return `@${special}`;
      if (special === 'subteam') {
        const name = label.replace(/^@/, '');
        return escapeText(`@${name !== '' ? name : 'group'}`);
      }
      return escapeText(label !== '' ? label : special);
    }
    return escapeText(mode === 'url' ? target : label !== '' ? label : target);
  });
  return { text, channels };
}

/**
 * Masks credentials in Slack text, markup by markup: the target and the label of `<url|label>` apart,
 * so that a masked value cannot swallow the `|` and turn the label into part of the link. (What the
 * parse then hands back is masked again where it is stored: the ledger model and lifecycle.)
 */
function redactSlackText(text: string): string {
  let before = '';
  return text.replace(/<([^<>]*)>|[^<]+|</g, (whole, inner: string | undefined) => {
    const preceding = before;
    before = whole;
    if (inner === undefined) return redactSecrets(whole);
    // `password=<https://…>`: Slack turned the credential itself into a link; the whole link is the secret.
    if (endsWithCredentialKey(preceding)) return '[redacted]';
    const bar = inner.indexOf('|');
    if (bar === -1) return `<${redactSecrets(inner)}>`;
    return `<${redactSecrets(inner.slice(0, bar))}|${redactSecrets(inner.slice(bar + 1))}>`;
  });
}

function escapeChar(c: string): string {
  if (c === '<') return '&lt;';
  if (c === '>') return '&gt;';
  return '&amp;';
}

function escapeText(s: string): string {
  return s.replace(/[<>]|&(?!(?:amp|lt|gt);)/g, escapeChar);
}

/** Decodes Slack's three entities in one pass, so `&amp;lt;` is the literal text `&lt;`. */
function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt);/g, (_m, e: string) => (e === 'lt' ? '<' : e === 'gt' ? '>' : '&'));
}

/**
 * Text as handed back to callers, from marked text: entities decoded, and a `<!` (only a
 * decoded `&lt;!` can make one: real broadcasts are already `@here`) broken with a word joiner so that
 * it reads the same but is never broadcast markup.
 */
function plainText(s: string): string {
  return decodeEntities(s).replace(/<!/g, '<\u2060!');
}
