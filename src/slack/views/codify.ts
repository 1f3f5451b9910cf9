/**
 * What `/fix codify SG-n` and the Codify button say: the message that goes with the patch file (how to
 * apply it, what it could not write and why, what else to do), and the answers when there is no patch or
 * it could not be sent. Pure: data in, mrkdwn and blocks out.
 */
import type { KnownBlock } from '@slack/types';
import type { CodifyResult, UnwrittenField } from '../../codify/types.js';
import { objectLabel } from './drift-views.js';
import { LIMITS, commandLabel, escapeAndTruncate, truncate } from './mrkdwn.js';
import type { SlackMessage } from './types.js';

/** Fields not written, and warnings, listed before "and N more": at most this many, in at most so many characters. */
const LISTED = 10;
const UNWRITTEN_BUDGET = 2_000;
const WARNINGS_BUDGET = 800;
/** The message shared with the file: Slack shows about 4,000 characters before "Show more". */
const COMMENT_LIMIT = 3_900;

/** `codify-SG-12.patch`: the file's name, which the instructions name too. */
export function codifyFilename(changeKey: string): string {
  return `codify-${changeKey}.patch`;
}

function code(value: string, max = 200): string {
  return `\`${escapeAndTruncate(value.replace(/\s+/g, ' '), max, false)}\``;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function fieldLabel(f: Pick<UnwrittenField, 'ref' | 'path'>): string {
  return `${escapeAndTruncate(objectLabel(f), 200, false)} ${f.path === '' ? 'whole object' : code(f.path)}`;
}

/**
 * A field Stopgap could not write: why (unless the headline already says it), and where a person might
 * make the change, labelled as a guess.
 */
function unwrittenLine(f: UnwrittenField, said = ''): string {
  const line = said !== '' && said.includes(f.reason) ? `• ${fieldLabel(f)}` : `• ${fieldLabel(f)}: ${escapeAndTruncate(f.reason, 400, false)}`;
  if (!f.suggestion) return line;
  return `${line}\n    _Suggestion (a guess, check it):_ in ${code(f.suggestion.file)} set ${code(f.suggestion.text, 300)}`;
}

/** Lines while they fit `budget` characters (the first always, shortened if need be), then "and N more". */
function listed<T>(items: readonly T[], render: (item: T) => string, budget: number): string {
  const lines: string[] = [];
  let used = 0;
  for (const item of items.slice(0, LISTED)) {
    const line = render(item);
    if (lines.length > 0 && used + line.length + 1 > budget) break;
    lines.push(lines.length === 0 ? truncate(line, budget) : line);
    used += line.length + 1;
  }
  if (items.length > lines.length) lines.push(`…and ${items.length - lines.length} more`);
  return lines.join('\n');
}

function unwrittenSection(result: CodifyResult, heading: string, said?: string): string[] {
  return result.notWritten.length === 0 ? [] : [`*${heading}* (${result.notWritten.length}):\n${listed(result.notWritten, (f) => unwrittenLine(f, said), UNWRITTEN_BUDGET)}`];
}

function warningsSection(result: CodifyResult): string[] {
  return result.warnings.length === 0 ? [] : [`*Also to do* (${result.warnings.length}):\n${listed(result.warnings, (w) => `• :warning: ${escapeAndTruncate(w, 400, false)}`, WARNINGS_BUDGET)}`];
}

/** Where the patch's paths start, and the `git apply` that puts them there. */
export interface ApplyPlace {
  /** The manifests directory the patch's paths are relative to, as Stopgap reads it. */
  root: string;
  /**
   * That directory's path inside its git repository (`''` at the repository's top), when Stopgap found the
   * repository around it; undefined when it did not (a copy, a mounted volume).
   */
  repoDir?: string;
}

/** How to apply the patch: `git apply` from a subdirectory skips files outside it silently, so `--directory` is given. */
function applyText(filename: string, place: ApplyPlace): string {
  if (place.repoDir === '') return `*Apply it* anywhere in your manifests repository:\n\`\`\`git apply ${filename}\`\`\``;
  if (place.repoDir !== undefined) {
    return `*Apply it* anywhere in your manifests repository (its paths start in ${code(place.repoDir)}):\n\`\`\`git apply --directory=${escapeAndTruncate(place.repoDir, 300, false)} ${filename}\`\`\``;
  }
  return (
    `*Apply it* from the top of your manifests repository. Its paths start in the directory Stopgap reads the manifests from (${code(place.root, 300)}): ` +
    `name where that directory is in the repository, or leave \`--directory\` out if it is the top:\n` +
    `\`\`\`git apply --directory=&lt;manifests directory&gt; ${filename}\`\`\``
  );
}

export interface CodifyPatchArgs extends ApplyPlace {
  changeKey: string;
  cluster: string;
  result: CodifyResult;
  /** The command as the workspace names it; defaults to `/fix`. */
  commandName?: string;
}

/** The message shared with the patch file: what it does, how to apply it, and what is left to a person. */
export function codifyPatchComment(args: CodifyPatchArgs): string {
  const { changeKey, result } = args;
  const cmd = commandLabel(args.commandName ?? '/fix');
  const filename = codifyFilename(changeKey);
  const where = result.files.length === 1 ? code(result.files[0] ?? '') : plural(result.files.length, 'file');
  const parts = [
    `:page_facing_up: *Patch for ${changeKey}* on ${code(args.cluster, 60)}: sets ${plural(result.written.length, 'field')} in ${where} to what the cluster runs now.`,
    applyText(filename, args),
    `Then open a pull request with it and tell me: \`${cmd} codified ${changeKey} &lt;PR URL&gt;\`. ${changeKey} goes in review, and closes as codified, verified, once the scanner sees the manifests match the cluster.`,
    ...unwrittenSection(result, 'Not in the patch'),
    ...warningsSection(result),
  ];
  return truncate(parts.join('\n\n'), COMMENT_LIMIT);
}

/** The file's title, as Slack shows it above the snippet. */
export function codifyPatchTitle(changeKey: string, cluster: string): string {
  return truncate(`${changeKey}: patch for the ${cluster} manifests`, 250);
}

function message(mrkdwn: string): SlackMessage {
  const text = truncate(mrkdwn, LIMITS.sectionText);
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  return { text: truncate(mrkdwn, LIMITS.fallbackText), blocks };
}

/** The answer to a codify request while the patch is made: it comes as a DM. */
export function codifyStarted(changeKey: string): SlackMessage {
  return message(`:hammer_and_wrench: Making a patch for the manifests from ${changeKey}'s live drift. It comes to you as a file in your DM with Stopgap.`);
}

/** No active drift is linked to the change. */
export function codifyNothing(changeKey: string, reason: string): SlackMessage {
  return message(`:information_source: *Nothing to codify for ${changeKey}*: ${escapeAndTruncate(reason, 1500, false)}`);
}

/** Drift is linked, but none of it can be written into a manifest: why, field by field. */
export function codifyImpossible(changeKey: string, reason: string, result: CodifyResult, commandName = '/fix'): SlackMessage {
  const cmd = commandLabel(commandName);
  const parts = [
    `:no_entry_sign: *No patch for ${changeKey}*: ${escapeAndTruncate(reason, 1000, false)}`,
    ...unwrittenSection(result, 'Fields', reason),
    ...warningsSection(result),
    `Once the change is in git, tell me: \`${cmd} codified ${changeKey} &lt;PR URL&gt;\`.`,
  ];
  return message(parts.join('\n\n'));
}

/** The patch was made but Slack would not take it: what happened and what to do. Nothing was changed. */
export function codifyNotSent(changeKey: string, why: string): SlackMessage {
  return message(`:warning: The patch for ${changeKey} could not be sent: ${why} Nothing was changed. \`stopgap codify ${changeKey}\` prints the same patch where Stopgap runs.`);
}

/** The patch could not be made (the manifests could not be read): nothing was changed. */
export function codifyFailed(changeKey: string, why: string): SlackMessage {
  return message(`:warning: Stopgap could not make a patch for ${changeKey}: ${escapeAndTruncate(why, 1000, false)} Nothing was changed.`);
}

/** After a click outside the DM: where the patch went. */
export function codifySent(changeKey: string): SlackMessage {
  return message(`:page_facing_up: The patch for ${changeKey} is in your DM with Stopgap.`);
}
