/**
 * The `/fix` subcommand grammar: which subcommand the first word names and what its arguments say, as a
 * `FixCommand`. Pure: no Slack SDK, no I/O, no clock (`now` comes in the context). Text to log is read
 * by `change-draft.ts`, snooze durations by `dates.ts`, and a verb that looks like a subcommand gets a
 * suggestion from `near-miss.ts`.
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
import { commandName, readDraft, type DraftContext, type FixDraft } from './change-draft.js';
import { DAY_MS, addDays, isoDayOf, resolveDuration, type PersonalDays } from './dates.js';
import { claimCommand, driftCommand, unclaimCommand, type DriftSubcommand } from './drift-subcommands.js';
import { changeId, error, extraArgs, logHint, refuseHidden, type ArgError, type Reader } from './fix-args.js';
import { INPUT_LIMITS, checkLength, stripHiddenCharacters } from './input-limits.js';
import { argTokens, code, collapse, echo, mentionId, stripUrlWrap, stripWrap, type TextCodec } from './fix-text.js';
import { LIST_SCOPES, type ListScope } from './model.js';
import { suggestSubcommand } from './near-miss.js';

export interface ParseContext extends DraftContext {
  /** When the command was typed: snoozes count from it. */
  now: Date;
  /** The person's calendar and working day: `snooze monday` is the start of their Monday. Default UTC. */
  days?: PersonalDays;
}


export type FixCommand =
  | { type: 'log'; draft: FixDraft }
  | { type: 'open_modal' }
  | { type: 'list'; scope: ListScope }
  | { type: 'show'; id: number }
  /** A patch for the manifests in git that makes them say what the change's drift made live. */
  | { type: 'codify'; id: number }
  | { type: 'codified'; id: number; url: string }
  | { type: 'reverted'; id: number }
  /** `reason` is plain text, like a description. */
  | { type: 'dismiss'; id: number; reason: string }
  | { type: 'snooze'; id: number; until: string }
  | { type: 'assign'; id: number; userId: string }
  | DriftSubcommand
  | { type: 'help'; topic?: string }
  | ArgError;

export const MAX_DESCRIPTION_LENGTH = INPUT_LIMITS.description;
export const MAX_SNOOZE_DAYS = 90;

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
    case 'codify':
      return codifyCommand(rest, r);
    case 'codified':
      return codifiedCommand(rest, r);
    case 'reverted':
      return revertedCommand(rest, r);
    case 'dismiss':
      return dismissCommand(rest, r);
    case 'snooze':
      return snoozeCommand(rest, r, ctx.now, ctx.days);
    case 'assign':
      return assignCommand(rest, r);
    case 'claim':
      return claimCommand(rest, ctx, r);
    case 'unclaim':
      return unclaimCommand(rest, ctx, r);
    case 'drift':
      return driftCommand(rest, ctx, r);
    case 'help':
      return helpCommand(stripHiddenCharacters(rest), codec);
    default: {
      const next = argTokens(codec, stripHiddenCharacters(rest), 'label')[0];
      const meant = suggestSubcommand(stripHiddenCharacters(m?.[1] ?? ''), next, cmd);
      return meant ? error(meant.message, meant.example) : logCommand(input, ctx, cmd);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Subcommands

function logCommand(text: string, ctx: ParseContext, cmd: string): FixCommand {
  const { problems, ...draft } = readDraft(text, ctx, cmd);
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

function codifyCommand(rest: string, r: Reader): FixCommand {
  const { cmd, codec } = r;
  const example = `${cmd} codify SG-12`;
  const hidden = refuseHidden(rest, example, codec);
  if (hidden) return hidden;
  const args = argTokens(codec, stripHiddenCharacters(rest), 'url');
  const id = changeId(args[0], 'Which change should become a patch? Give its ID.', example, r, 'codify');
  if (typeof id !== 'number') return id;
  const extra = args.slice(1);
  if (extra.length > 0) {
    // `codify SG-12 <PR>` is `codified` with one letter short: the person has the PR already.
    if (extra.some((a) => /^<?https?:\/\//i.test(codec.decode(a)))) {
      return error(
        `${cmd} codify SG-${id} makes a patch from SG-${id}'s drift. To say it is codified by a PR, use ${cmd} codified SG-${id} <PR URL>.`,
        `${cmd} codified SG-${id} https://github.com/acme/infra/pull/881`,
      );
    }
    return error(extraArgs(r, 'codify', 'a change ID', extra), example);
  }
  return { type: 'codify', id };
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

function snoozeCommand(rest: string, r: Reader, now: Date, days: PersonalDays | undefined): FixCommand {
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
  const result = resolveDuration(when, now, days);
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

function helpCommand(rest: string, codec: TextCodec): FixCommand {
  const first = argTokens(codec, rest, 'label')[0];
  const topic = first === undefined ? '' : stripWrap(codec.plain(first)).toLowerCase();
  return topic === '' ? { type: 'help' } : { type: 'help', topic };
}

/** The second word of text as it arrives (`@bob` in `SG-12 @bob`), if there is one. */
function secondWord(text: string): string {
  return text.trim().split(/\s+/)[1] ?? '';
}

