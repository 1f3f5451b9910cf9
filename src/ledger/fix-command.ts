import { DAY_MS, addDays, isoDayOf, resolveDuration } from './dates.js';
import {
  INPUT_LIMITS,
  checkLength,
  hiddenCharacterIn,
  hiddenCharacterMessage,
  stripHiddenCharacters,
} from './input-limits.js';
import {
  argTokens,
  code,
  collapse,
  echo,
  fixDashes,
  mentionId,
  quoteName,
  stripTrailing,
  stripUrlWrap,
  stripWrap,
  type TextCodec,
} from './fix-text.js';
import { formatResource, parseChangeKey } from './model.js';
import type { ResourceRef } from './model.js';
import { suggestSubcommand } from './near-miss.js';
import { dedupeRefs, isDnsLabel, isNamespaced, refsInWord, withNamespace } from './resource-refs.js';

/**
 * The `/fix` text parser. Pure: no Slack SDK, no I/O, no clock (`now` comes in the context).
 *
 * Text arrives in the chat's markup (for Slack: entities, mentions and links, as its slash commands send
 * them) and is read through the context's `codec` (`fix-text.ts`; Slack's is `src/slack/text-codec.ts`).
 *
 * Everything handed back is PLAIN text, not mrkdwn: descriptions, reasons, claim targets, help topics,
 * cluster names and the user input echoed in error messages are decoded by the codec. The ledger stores
 * that text and the Block Kit views escape it when they render it (`escapeKeepingMentions`,
 * `escapeAndTruncate` in `src/slack/views/mrkdwn.ts`), keeping only user mentions (`<@U123>`) and channel
 * references (`<#C123>`); links are their label, and nothing in it pings anyone.
 *
 * Before any of that, credentials are masked (the codec's `redact`): nothing this returns, echoes
 * included, carries a pasted token. Hidden characters (controls, text-direction overrides:
 * `input-limits.ts`) are stripped from prose and refused in names, and every field is held to
 * `INPUT_LIMITS`.
 */

export interface ParseContext {
  now: Date;
  /** Configured cluster/context names: `@prod-eu` only means a cluster when it is one of these. */
  clusters: string[];
  /** The channel the command was typed in, without `#`, e.g. `inc-4821-payments`. */
  channelName?: string;
  /** Which channel names are incident channels; default `/^(inc|incident)[-_]/i`. */
  incidentChannelPattern?: RegExp;
  /** The slash command as installed, used in examples; default `/fix`. */
  commandName?: string;
  /** The format the text arrives in: Slack's is `slackTextCodec` (`src/slack/text-codec.ts`). */
  codec: TextCodec;
}

export interface FixDraft {
  /** Plain text (see the top of this file): escape it when rendering it as mrkdwn. */
  description: string;
  resources: ResourceRef[];
  cluster?: string;
  owner?: string;
  incident?: string;
}

export type ListScope = 'mine' | 'all' | 'overdue';

export type FixCommand =
  | { type: 'log'; draft: FixDraft }
  | { type: 'open_modal' }
  | { type: 'list'; scope: ListScope }
  | { type: 'show'; id: number }
  | { type: 'codified'; id: number; url: string }
  | { type: 'reverted'; id: number }
  /** `reason` is plain text, like a description. */
  | { type: 'dismiss'; id: number; reason: string }
  | { type: 'snooze'; id: number; until: string }
  | { type: 'assign'; id: number; userId: string }
  /** `target` is plain text, like a description. */
  | { type: 'claim'; target: string }
  | { type: 'help'; topic?: string }
  /** `message` and `example` are plain text too; user input in `message` is echoed inside backticks. */
  | { type: 'error'; message: string; example: string };

export type ChangeDraftExtract = FixDraft & { problems: string[] };

export const MAX_DESCRIPTION_LENGTH = INPUT_LIMITS.description;
export const MAX_SNOOZE_DAYS = 90;
export const LIST_SCOPES: readonly ListScope[] = ['mine', 'all', 'overdue'];

const DEFAULT_INCIDENT_CHANNEL = /^(inc|incident)[-_]/i;

// ---------------------------------------------------------------------------------------------------
// Entry point

export function parseFixCommand(text: string, ctx: ParseContext): FixCommand {
  const codec = ctx.codec;
  const input = typeof text === 'string' ? codec.redact(text).trim() : '';
  if (input === '') return { type: 'open_modal' };
  const cmd = commandName(ctx);
  const r: Reader = { cmd, codec };
  const m = /^(\S+)\s*([\s\S]*)$/.exec(input);
  // The keyword is not a name: stripping a stray mark from it changes nothing.
  const word = stripHiddenCharacters(m?.[1] ?? '').toLowerCase();
  const rest = m?.[2] ?? '';
  switch (word) {
    case 'log':
      return rest.trim() === '' ? { type: 'open_modal' } : logCommand(rest, ctx, cmd);
    case 'list':
      return listCommand(rest, r);
    case 'show':
      return showCommand(rest, r);
    case 'codified':
      return codifiedCommand(rest, r);
    case 'reverted':
      return revertedCommand(rest, r);
    case 'dismiss':
      return dismissCommand(rest, r);
    case 'snooze':
      return snoozeCommand(rest, r, ctx.now);
    case 'assign':
      return assignCommand(rest, r);
    case 'claim':
      return claimCommand(rest, r);
    case 'help':
      return helpCommand(stripHiddenCharacters(rest), codec);
    default: {
      const next = argTokens(codec, stripHiddenCharacters(rest), 'label')[0];
      const meant = suggestSubcommand(stripHiddenCharacters(m?.[1] ?? ''), next, cmd);
      return meant ? error(meant.message, meant.example) : logCommand(input, ctx, cmd);
    }
  }
}

function commandName(ctx: ParseContext): string {
  const name = typeof ctx.commandName === 'string' ? ctx.commandName.trim() : '';
  if (name === '') return '/fix';
  return name.startsWith('/') ? name : `/${name}`;
}

/** What the subcommands read with: the command as installed (for examples) and the text codec. */
interface Reader {
  cmd: string;
  codec: TextCodec;
}

function error(message: string, example: string): FixCommand {
  return { type: 'error', message, example };
}

/**
 * A subcommand's arguments are names (IDs, URLs, mentions, durations): one with a hidden character is
 * refused, not guessed at. Returns the refusal, or undefined when every argument is clean.
 */
function refuseHidden(args: string, example: string, codec: TextCodec): FixCommand | undefined {
  for (const token of args.split(/\s+/)) {
    const codePoint = hiddenCharacterIn(token);
    if (codePoint !== undefined) return error(hiddenCharacterMessage(echo(codec, stripHiddenCharacters(token)), codePoint), example);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Subcommands

function logCommand(text: string, ctx: ParseContext, cmd: string): FixCommand {
  const { problems, ...draft } = extract(text, ctx, cmd);
  const first = problems[0];
  if (first) return error(problems.map((p) => p.message).join(' '), first.example);
  return { type: 'log', draft };
}

function listCommand(rest: string, r: Reader): FixCommand {
  const { cmd, codec } = r;
  const example = `${cmd} list overdue`;
  const hidden = refuseHidden(rest, example, codec);
  if (hidden) return hidden;
  const args = argTokens(codec, stripHiddenCharacters(rest), 'label');
  const raw = args[0];
  if (raw === undefined) return { type: 'list', scope: 'mine' };
  const scope = stripWrap(raw).toLowerCase();
  if (!isListScope(scope)) {
    return error(
      `Unknown list ${echo(codec, raw)}: choose mine, all or overdue. ${logHint(cmd, 'list')}`,
      example,
    );
  }
  if (args.length > 1) return error(extraArgs(r, 'list', 'a scope', args.slice(1)), example);
  return { type: 'list', scope };
}

function isListScope(s: string): s is ListScope {
  return (LIST_SCOPES as readonly string[]).includes(s);
}

function showCommand(rest: string, r: Reader): FixCommand {
  const { cmd, codec } = r;
  const example = `${cmd} show SG-12`;
  const hidden = refuseHidden(rest, example, codec);
  if (hidden) return hidden;
  const args = argTokens(codec, stripHiddenCharacters(rest), 'label');
  const id = changeId(args[0], 'Which change? Give its ID.', example, r, 'show');
  if (typeof id !== 'number') return id;
  if (args.length > 1) return error(extraArgs(r, 'show', 'a change ID', args.slice(1)), example);
  return { type: 'show', id };
}

function revertedCommand(rest: string, r: Reader): FixCommand {
  const { cmd, codec } = r;
  const example = `${cmd} reverted SG-12`;
  const hidden = refuseHidden(rest, example, codec);
  if (hidden) return hidden;
  const args = argTokens(codec, stripHiddenCharacters(rest), 'label');
  const id = changeId(args[0], 'Which change was reverted? Give its ID.', example, r, 'reverted');
  if (typeof id !== 'number') return id;
  if (args.length > 1) {
    return error(extraArgs(r, 'reverted', 'a change ID', args.slice(1)), example);
  }
  return { type: 'reverted', id };
}

function codifiedCommand(rest: string, r: Reader): FixCommand {
  const { cmd, codec } = r;
  const example = `${cmd} codified SG-12 https://github.com/acme/infra/pull/881`;
  const hidden = refuseHidden(rest, example, codec);
  if (hidden) return hidden;
  // Links keep their URL (not their label): the URL is the argument.
  const args = argTokens(codec, stripHiddenCharacters(rest), 'url');
  const id = changeId(
    args[0],
    'Which change is codified? Give its ID and the PR or commit URL.',
    example,
    r,
    'codified',
  );
  if (typeof id !== 'number') return id;
  const rawUrl = args[1];
  if (rawUrl === undefined) {
    return error(`Give the URL of the PR or commit that codifies SG-${id}.`, example);
  }
  const typedUrl = stripUrlWrap(codec.decode(rawUrl));
  const typedTooLong = checkLength('prUrl', typedUrl);
  if (typedTooLong) return error(typedTooLong, example);
  const url = parseHttpUrl(typedUrl);
  if (!url.ok) return error(url.message, example);
  // Percent-encoding can make the normalised URL longer than what was typed.
  const tooLong = checkLength('prUrl', url.url);
  if (tooLong) return error(tooLong, example);
  if (args.length > 2) {
    return error(extraArgs(r, 'codified', 'a change ID and one URL', args.slice(2)), example);
  }
  return { type: 'codified', id, url: url.url };
}

type UrlResult = { ok: true; url: string } | { ok: false; message: string };

function parseHttpUrl(raw: string): UrlResult {
  const shown = code(raw);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: `${shown} is not a link: give the full PR or commit URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, message: `${shown} is not an http(s) link: give the full PR or commit URL` };
  }
  if (url.hostname === '') {
    return { ok: false, message: `${shown} has no host: give the full PR or commit URL` };
  }
  if (url.username !== '' || url.password !== '') {
    // A token pasted in a URL would end up in the ledger and in every reminder.
    return { ok: false, message: 'That link contains credentials: give the plain PR or commit URL' };
  }
  return { ok: true, url: url.href };
}

function dismissCommand(rest: string, r: Reader): FixCommand {
  const { cmd, codec } = r;
  const example = `${cmd} dismiss SG-12 node pool was replaced, nothing to codify`;
  const { text } = codec.mark(rest, 'label');
  const m = /^(\S+)\s*([\s\S]*)$/.exec(text.trim());
  // The ID is a name; the reason is prose, stripped below.
  const hidden = refuseHidden(m?.[1] ?? '', example, codec);
  if (hidden) return hidden;
  const id = changeId(
    m?.[1],
    'Which change? Give its ID and why it needs no reconciliation.',
    example,
    r,
    'dismiss',
  );
  if (typeof id !== 'number') return id;
  const reason = codec.plain(collapse(stripHiddenCharacters(m?.[2] ?? '')));
  if (reason === '') return error(`Say why SG-${id} needs no reconciliation.`, example);
  const tooLong = checkLength('reason', reason);
  if (tooLong) return error(tooLong, example);
  return { type: 'dismiss', id, reason };
}

function snoozeCommand(rest: string, r: Reader, now: Date): FixCommand {
  const { cmd, codec } = r;
  const example = `${cmd} snooze SG-12 3d`;
  const hidden = refuseHidden(rest, example, codec);
  if (hidden) return hidden;
  const { text } = codec.mark(stripHiddenCharacters(rest), 'label');
  const m = /^(\S+)\s*([\s\S]*)$/.exec(text.trim());
  const id = changeId(
    m?.[1],
    'Which change? Give its ID and how long to snooze it.',
    example,
    r,
    'snooze',
  );
  if (typeof id !== 'number') return id;
  const when = collapse(m?.[2] ?? '');
  if (when === '') {
    return error(`How long should SG-${id} be snoozed? Give 3d, 1w, 12h or a date.`, example);
  }
  const result = resolveDuration(when, now);
  if (result.kind === 'invalid') {
    return error(
      `${echo(codec, when)} is not a duration: use 3d, 1w, 12h, a weekday or a date like ${isoDayOf(addDays(now, 7))}.`,
      example,
    );
  }
  if (result.kind === 'too_far' || result.date.getTime() - now.getTime() > MAX_SNOOZE_DAYS * DAY_MS) {
    return error(
      `Snooze for at most ${MAX_SNOOZE_DAYS} days; if SG-${id} needs no reconciliation, dismiss it with a reason.`,
      example,
    );
  }
  if (!(result.date.getTime() > now.getTime())) {
    return error(`${echo(codec, when)} is not in the future: snooze until a later time.`, example);
  }
  return { type: 'snooze', id, until: result.date.toISOString() };
}

function assignCommand(rest: string, r: Reader): FixCommand {
  const { cmd, codec } = r;
  const example = `${cmd} assign SG-12 @alice`;
  const hidden = refuseHidden(rest, example, codec);
  if (hidden) return hidden;
  const args = argTokens(codec, stripHiddenCharacters(rest), 'label');
  const id = changeId(
    args[0],
    'Which change? Give its ID and mention the new owner.',
    example,
    r,
    'assign',
  );
  if (typeof id !== 'number') return id;
  const who = args[1];
  if (who === undefined) return error(`Who should own SG-${id}? Mention them.`, example);
  const userId = mentionId(stripWrap(who));
  if (userId === undefined) {
    if (/^@(?:here|channel|everyone)$/i.test(who) || codec.isGroupMention(secondWord(rest))) {
      return error(`Assign SG-${id} to one person, not a group.`, example);
    }
    return error(
      `${echo(codec, who)} is not a Slack mention: type @ and pick the new owner from the list.`,
      example,
    );
  }
  if (args.length > 2) {
    const more = args.slice(2);
    if (more.some((a) => mentionId(stripWrap(a)) !== undefined)) {
      return error(`Assign SG-${id} to one person only.`, example);
    }
    return error(extraArgs(r, 'assign', 'a change ID and one mention', more), example);
  }
  const tooLong = checkLength('owner', userId);
  if (tooLong) return error(tooLong, example);
  return { type: 'assign', id, userId };
}

function claimCommand(rest: string, r: Reader): FixCommand {
  const { cmd, codec } = r;
  const example = `${cmd} claim deploy/payments-api -n shop`;
  // A claim names a finding or a resource.
  const hidden = refuseHidden(rest, example, codec);
  if (hidden) return hidden;
  const target = codec.plain(collapse(codec.mark(stripHiddenCharacters(rest), 'label').text));
  if (target === '') {
    return error('What do you claim? Give the drift finding or the resource.', example);
  }
  if (target.length > MAX_DESCRIPTION_LENGTH) {
    return error(`That is ${target.length} characters; name one drift finding or resource.`, example);
  }
  return { type: 'claim', target };
}

function helpCommand(rest: string, codec: TextCodec): FixCommand {
  const first = argTokens(codec, rest, 'label')[0];
  const topic = first === undefined ? '' : stripWrap(codec.plain(first)).toLowerCase();
  return topic === '' ? { type: 'help' } : { type: 'help', topic };
}

/** Parses a change ID argument, or returns the error that says what is wrong with it. */
function changeId(
  raw: string | undefined,
  missing: string,
  example: string,
  r: Reader,
  sub: string,
): number | FixCommand {
  if (raw === undefined || raw === '') return error(missing, example);
  const id = parseChangeKey(stripWrap(raw));
  if (id !== undefined) return id;
  return error(`${echo(r.codec, raw)} is not a change ID; IDs look like SG-12. ${logHint(r.cmd, sub)}`, example);
}

function extraArgs(r: Reader, sub: string, takes: string, extra: string[]): string {
  return `${r.cmd} ${sub} takes ${takes}; remove ${echo(r.codec, extra.join(' '))}.`;
}

/** The second word of text as it arrives (`@bob` in `SG-12 @bob`), if there is one. */
function secondWord(text: string): string {
  return text.trim().split(/\s+/)[1] ?? '';
}

function logHint(cmd: string, sub: string): string {
  return `To log a change that starts with “${sub}”, write ${cmd} log ${sub} …`;
}

// ---------------------------------------------------------------------------------------------------
// Log text → change draft

interface Problem {
  message: string;
  example: string;
}

/**
 * Pulls resource refs, namespace, cluster, owner and incident out of free text. What it cannot parse
 * stays in the description; what is clearly meant but wrong (an unknown `--cluster`) is a problem.
 */
export function extractChangeDraft(text: string, ctx: ParseContext): ChangeDraftExtract {
  const { problems, ...draft } = extract(typeof text === 'string' ? ctx.codec.redact(text) : '', ctx, commandName(ctx));
  return { ...draft, problems: problems.map((p) => p.message) };
}

function extract(text: string, ctx: ParseContext, cmd: string): FixDraft & { problems: Problem[] } {
  const codec = ctx.codec;
  const raw = typeof text === 'string' ? text : '';
  const configured = Array.isArray(ctx.clusters) ? ctx.clusters.filter((c) => typeof c === 'string') : [];
  const logExample = `${cmd} scaled deploy/payments-api -n shop to 12 replicas for INC-4821`;
  const problems: Problem[] = hiddenInNames(codec.mark(raw, 'label').text, logExample, codec);
  const input = stripHiddenCharacters(raw);
  const { text: normalized, channels } = codec.mark(input, 'label');
  const tokens = normalized.split(/\s+/).filter((t) => t !== '');
  const drop = new Set<number>();
  const nsFlagTokens: number[] = [];
  const namespaces: string[] = [];
  const clusters: string[] = [];
  const refs: ResourceRef[] = [];

  const nsExample = `${cmd} scaled deploy/payments-api -n shop to 12 replicas`;
  const clusterExample = `${cmd} cordoned node/ip-10-0-1-7 --cluster ${configured[0] ?? 'prod-eu'}`;

  const takeNamespace = (raw: string | undefined, flag: string): void => {
    const value = raw === undefined ? '' : stripTrailing(raw);
    if (value === '' || value.startsWith('-')) {
      problems.push({ message: `${flag} needs a namespace, e.g. -n shop.`, example: nsExample });
    } else if (!isDnsLabel(value)) {
      problems.push({
        message: `${echo(codec, value)} is not a namespace name: use lower-case letters, digits and '-'.`,
        example: nsExample,
      });
    } else {
      namespaces.push(value);
    }
  };
  const takeCluster = (raw: string | undefined, flag: string): void => {
    const value = raw === undefined ? '' : codec.plain(raw);
    if (value === '' || value.startsWith('-')) {
      problems.push({ message: `${flag} needs a cluster name.`, example: clusterExample });
      return;
    }
    const known = matchCluster(value, configured) ?? matchCluster(stripTrailing(value), configured);
    if (known !== undefined) clusters.push(known);
    else if (configured.length === 0) {
      const name = stripTrailing(value) || value;
      const tooLong = checkLength('cluster', name);
      if (tooLong) problems.push({ message: tooLong, example: clusterExample });
      else clusters.push(name);
    } else {
      problems.push({
        message: `Unknown cluster ${quoteName(value)}; configured clusters: ${configured.join(', ')}.`,
        example: clusterExample,
      });
    }
  };

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    const flag = fixDashes(token);
    const eq = flag.indexOf('=');
    const flagName = eq === -1 ? flag : flag.slice(0, eq);
    const inlineValue = eq === -1 ? undefined : flag.slice(eq + 1);

    if (flagName === '-n' || flagName === '--namespace') {
      if (inlineValue !== undefined) {
        nsFlagTokens.push(i);
        takeNamespace(inlineValue, flagName);
      } else {
        const next = tokens[i + 1];
        const consumes = next !== undefined && !next.startsWith('-');
        nsFlagTokens.push(i);
        if (consumes) nsFlagTokens.push(i + 1);
        takeNamespace(consumes ? next : undefined, flagName);
        if (consumes) i++;
      }
      continue;
    }
    if (flagName === '--cluster' || flagName === '--context') {
      drop.add(i);
      if (inlineValue !== undefined) {
        takeCluster(inlineValue, flagName);
      } else {
        const next = tokens[i + 1];
        const consumes = next !== undefined && !next.startsWith('-');
        if (consumes) drop.add(i + 1);
        takeCluster(consumes ? next : undefined, flagName);
        if (consumes) i++;
      }
      continue;
    }
    const bare = stripWrap(token);
    const plainBare = stripWrap(codec.plain(token));
    if (plainBare.startsWith('@') && plainBare.length > 1) {
      const known = matchCluster(plainBare.slice(1), configured);
      if (known !== undefined) {
        clusters.push(known);
        drop.add(i);
        continue;
      }
    }
    for (const match of refsInWord(bare)) {
      if ('namespace' in match) namespaces.push(match.namespace);
      else refs.push(match.ref);
    }
  }

  const distinctNs = unique(namespaces);
  const wantsNs = refs.some((r) => isNamespaced(r.kind));
  let namespace: string | undefined;
  if (wantsNs && distinctNs.length > 1) {
    problems.push({
      message: `Several namespaces given (${distinctNs.join(', ')}): log one change per namespace.`,
      example: nsExample,
    });
  } else if (wantsNs && distinctNs.length === 1) {
    namespace = distinctNs[0];
    for (const i of nsFlagTokens) drop.add(i);
  }
  // A namespace no resource took stays in the description rather than being lost.

  const distinctClusters = unique(clusters);
  if (distinctClusters.length > 1) {
    problems.push({
      message: `Several clusters given (${distinctClusters.join(', ')}): log one change per cluster.`,
      example: clusterExample,
    });
  }

  const resources = dedupeRefs(withNamespace(refs, namespace));
  const resourcesTooLong = checkLength('resources', resources.map(formatResource).join(', '));
  if (resourcesTooLong) problems.push({ message: resourcesTooLong, example: logExample });

  // Stored as plain text (Slack's &lt; &gt; &amp; decoded, mentions as <@U…>): views escape on render.
  const description = codec.plain(tokens.filter((_t, i) => !drop.has(i)).join(' '));
  if (description === '') {
    const onlyHidden = raw.trim() !== '' && codec.mark(input, 'label').text.trim() === '';
    problems.push({
      message: onlyHidden
        ? 'Describe what you changed: once invisible and control characters are taken out, nothing is left.'
        : 'Describe what you changed.',
      example: logExample,
    });
  } else {
    const tooLong = checkLength('description', description);
    if (tooLong) problems.push({ message: tooLong, example: logExample });
  }

  const owners = explicitOwners(tokens);
  if (owners.length > 1) {
    problems.push({
      message: `Several owners given (${owners.map((o) => `<@${o}>`).join(', ')}): name one with owner @someone.`,
      example: `${cmd} restarted deploy/payments-api -n shop owner @alice`,
    });
  }
  const owner = owners.length === 1 ? owners[0] : undefined;
  const ownerTooLong = owner === undefined ? undefined : checkLength('owner', owner);
  if (ownerTooLong) problems.push({ message: ownerTooLong, example: logExample });
  const incident = findIncident(normalized, channels, ctx);
  const incidentTooLong = incident === undefined ? undefined : checkLength('incident', incident);
  if (incidentTooLong) problems.push({ message: incidentTooLong, example: logExample });
  const cluster = distinctClusters.length === 1 ? distinctClusters[0] : undefined;
  return {
    description,
    resources,
    ...(cluster !== undefined ? { cluster } : {}),
    ...(owner !== undefined ? { owner } : {}),
    ...(incident !== undefined ? { incident } : {}),
    problems,
  };
}

/**
 * Who owns the change, by explicit words only: `owner @x` (also `owner: @x`, `owner=@x`) or `for @x`.
 * A mention anywhere else (`restarted deploy/api after @bob asked`) is prose, not a hand-over. `owner`
 * wins over `for`; several distinct people under the winning word are returned for the caller to refuse.
 */
function explicitOwners(tokens: string[]): string[] {
  const byOwner: string[] = [];
  const byFor: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const word = stripWrap(tokens[i] ?? '').toLowerCase();
    const glued = /^owner[:=](.+)$/i.exec(tokens[i] ?? '');
    if (glued?.[1] !== undefined) {
      const id = mentionId(stripWrap(glued[1]));
      if (id !== undefined) byOwner.push(id);
      continue;
    }
    if (word !== 'owner' && word !== 'for') continue;
    const id = mentionId(stripWrap(tokens[i + 1] ?? ''));
    if (id === undefined) continue;
    (word === 'owner' ? byOwner : byFor).push(id);
  }
  return unique(byOwner.length > 0 ? byOwner : byFor);
}

/**
 * Problems for names in log text that carry a hidden character (`input-limits.ts`): a resource ref, a
 * flag or its value, an `@cluster` or mention, an incident or change ID, a URL. Prose around them is
 * stripped instead.
 */
function hiddenInNames(normalized: string, example: string, codec: TextCodec): Problem[] {
  const tokens = normalized.split(/\s+/).filter((t) => t !== '');
  const problems: Problem[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    const codePoint = hiddenCharacterIn(token);
    if (codePoint === undefined) continue;
    const clean = stripHiddenCharacters(token);
    const previous = fixDashes(stripHiddenCharacters(tokens[i - 1] ?? ''));
    const bare = stripWrap(codec.plain(clean));
    const isName =
      fixDashes(clean).startsWith('-') ||
      /^(?:-n|--namespace|--cluster|--context)$/.test(previous) ||
      bare.startsWith('@') ||
      /<[@#]/.test(clean) ||
      /(?:^|[^a-z0-9])(?:inc|sg)-\d/i.test(bare) ||
      /^https?:/i.test(bare) ||
      refsInWord(bare).length > 0;
    if (isName) problems.push({ message: hiddenCharacterMessage(echo(codec, clean), codePoint), example });
  }
  return problems;
}


function findIncident(normalized: string, channels: string[], ctx: ParseContext): string | undefined {
  const inc = /(?<![A-Za-z0-9])inc-(\d{1,12})(?![A-Za-z0-9])/i.exec(normalized);
  if (inc?.[1] !== undefined) return `INC-${inc[1]}`;
  const pattern = safePattern(ctx.incidentChannelPattern);
  for (const name of channels) {
    const n = name.replace(/^#/, '');
    if (n !== '' && pattern.test(n)) return `#${n}`;
  }
  return incidentFromChannel(ctx.channelName, pattern);
}

/** An incident channel (`inc-4821-payments`) is itself the incident reference: `#inc-4821-payments`. */
export function incidentFromChannel(channelName: string | undefined, pattern?: RegExp): string | undefined {
  const channel = typeof channelName === 'string' ? channelName.trim().replace(/^#/, '') : '';
  return channel !== '' && safePattern(pattern).test(channel) ? `#${channel}` : undefined;
}

/** A caller's `/…/g` regex would carry `lastIndex` between calls; test with a stateless copy. */
function safePattern(p: RegExp | undefined): RegExp {
  if (!(p instanceof RegExp)) return DEFAULT_INCIDENT_CHANNEL;
  return p.global || p.sticky ? new RegExp(p.source, p.flags.replace(/[gy]/g, '')) : p;
}

function matchCluster(name: string, configured: string[]): string | undefined {
  if (name === '') return undefined;
  return configured.find((c) => c === name) ?? configured.find((c) => c.toLowerCase() === name.toLowerCase());
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

