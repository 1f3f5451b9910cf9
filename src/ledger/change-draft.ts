/**
 * Log text → change draft: what the free text of `/fix` (or a message logged from its shortcut) says
 * about a change: its resources and namespace (read by `resource-refs.ts`), cluster, owner and incident,
 * and the description that is left. Pure: the text is read through the context's codec (`fix-text.ts`).
 */
import { echo, fixDashes, mentionId, quoteName, stripTrailing, stripWrap, type TextCodec } from './fix-text.js';
import { checkLength, hiddenCharacterIn, hiddenCharacterMessage, stripHiddenCharacters } from './input-limits.js';
import { formatResource, type ResourceRef } from './model.js';
import { dedupeRefs, isDnsLabel, isNamespaced, refsInWord, withNamespace } from './resource-refs.js';

/** What reading log text depends on besides the text. */
export interface DraftContext {
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
  /** Plain text (see `fix-command.ts`): escape it when rendering it as mrkdwn. */
  description: string;
  resources: ResourceRef[];
  cluster?: string;
  owner?: string;
  incident?: string;
}

export type ChangeDraftExtract = FixDraft & { problems: string[] };

const DEFAULT_INCIDENT_CHANNEL = /^(inc|incident)[-_]/i;

/** The slash command as installed, with its `/`, for examples: `/fix` unless renamed. */
export function commandName(ctx: DraftContext): string {
  const name = typeof ctx.commandName === 'string' ? ctx.commandName.trim() : '';
  if (name === '') return '/fix';
  return name.startsWith('/') ? name : `/${name}`;
}

/** What is wrong with the text, and an example of text that would have worked. */
export interface Problem {
  message: string;
  example: string;
}

/**
 * Pulls resource refs, namespace, cluster, owner and incident out of free text. What it cannot parse
 * stays in the description; what is clearly meant but wrong (an unknown `--cluster`) is a problem.
 */
export function extractChangeDraft(text: string, ctx: DraftContext): ChangeDraftExtract {
  const { problems, ...draft } = readDraft(typeof text === 'string' ? ctx.codec.redact(text) : '', ctx, commandName(ctx));
  return { ...draft, problems: problems.map((p) => p.message) };
}

/** `extractChangeDraft` for text already masked, with each problem's example; `cmd` as installed. */
export function readDraft(text: string, ctx: DraftContext, cmd: string): FixDraft & { problems: Problem[] } {
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

  // Stored as plain text (entities decoded, mentions as <@U…>): views escape on render.
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

function findIncident(normalized: string, channels: string[], ctx: DraftContext): string | undefined {
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
