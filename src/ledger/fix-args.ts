/**
 * What every `/fix` subcommand reads its arguments with: the refusal a subcommand hands back, change
 * IDs, hidden characters in names, and the hints that say how to log text that starts with a keyword.
 * Pure.
 */
import { echo, stripWrap, type TextCodec } from './fix-text.js';
import { hiddenCharacterIn, hiddenCharacterMessage, stripHiddenCharacters } from './input-limits.js';
import { parseChangeKey } from './model.js';

/** A subcommand that cannot be carried out as typed: what was wrong, and an example that works. */
export interface ArgError {
  type: 'error';
  /** Plain text; user input in it is echoed inside backticks. */
  message: string;
  example: string;
}

/** What the subcommands read with: the command as installed (for examples) and the text codec. */
export interface Reader {
  cmd: string;
  codec: TextCodec;
}

export function error(message: string, example: string): ArgError {
  return { type: 'error', message, example };
}

/**
 * A subcommand's arguments are names (IDs, URLs, mentions, durations): one with a hidden character is
 * refused, not guessed at. Returns the refusal, or undefined when every argument is clean.
 */
export function refuseHidden(args: string, example: string, codec: TextCodec): ArgError | undefined {
  for (const token of args.split(/\s+/)) {
    const codePoint = hiddenCharacterIn(token);
    if (codePoint !== undefined) return error(hiddenCharacterMessage(echo(codec, stripHiddenCharacters(token)), codePoint), example);
  }
  return undefined;
}

/** Parses a change ID argument, or returns the error that says what is wrong with it. */
export function changeId(raw: string | undefined, missing: string, example: string, r: Reader, sub: string): number | ArgError {
  if (raw === undefined || raw === '') return error(missing, example);
  const id = parseChangeKey(stripWrap(raw));
  if (id !== undefined) return id;
  return error(`${echo(r.codec, raw)} is not a change ID; IDs look like SG-12. ${logHint(r.cmd, sub)}`, example);
}

export function extraArgs(r: Reader, sub: string, takes: string, extra: string[]): string {
  return `${r.cmd} ${sub} takes ${takes}; remove ${echo(r.codec, extra.join(' '))}.`;
}

export function logHint(cmd: string, sub: string): string {
  return `To log a change that starts with “${sub}”, write ${cmd} log ${sub} …`;
}
