/**
 * Near-miss suggestions ("did you mean"): a verb and a change ID (`close SG-12`, `undo SG-7`,
 * `reverted-SG-12`) that almost certainly meant a `/fix` subcommand rather than a new change to log,
 * and which subcommand to suggest instead. Pure.
 */
import { code, stripWrap } from './fix-text.js';
import { parseChangeKey } from './model.js';

// Words that, followed by a change ID, mean an action on that change rather than a new change to log.
type NearMissAction = 'close' | 'reverted' | 'codify' | 'codified' | 'dismiss' | 'snooze' | 'show' | 'assign';

const NEAR_MISS_VERBS: Record<string, NearMissAction> = {
  close: 'close', closed: 'close', done: 'close', resolve: 'close', resolved: 'close', fixed: 'close',
  revert: 'reverted', undo: 'reverted',
  delete: 'dismiss', remove: 'dismiss', cancel: 'dismiss',
  ack: 'snooze',
};

/** Subcommands that take a change ID, for `reverted-SG-12` typed as one word. */
const ID_SUBCOMMANDS: Record<string, NearMissAction> = {
  reverted: 'reverted', codify: 'codify', codified: 'codified', dismiss: 'dismiss', snooze: 'snooze', show: 'show',
  assign: 'assign',
};

/** A change ID as people write it when they mean one: `SG-12`, `sg-12`, `#12` (not a bare number). */
const NEAR_MISS_ID = /^(?:sg-|#)\d{1,9}$/i;
const GLUED_ID = /^([a-z]+)[-_:]?((?:sg-|#)\d{1,9})$/i;

/** What to say instead of logging: the message, and an example of the subcommand most likely meant. */
export interface Suggestion {
  message: string;
  example: string;
}

/**
 * `/fix close SG-12`, `/fix revert SG-12`, `/fix reverted-SG-12`: almost certainly not a new change to
 * log, so this says which subcommand was meant instead (`/fix log close SG-12 …` still logs it). `first`
 * is the first word as typed, `next` the word after it with its markup resolved, `cmd` the command as
 * installed. Undefined when the words do not look like a subcommand and a change ID.
 */
export function suggestSubcommand(first: string, next: string | undefined, cmd: string): Suggestion | undefined {
  const word = stripWrap(first);
  const glued = GLUED_ID.exec(word);
  let action: NearMissAction | undefined;
  let idText: string | undefined;
  let shown: string;
  if (glued?.[1] !== undefined && glued[2] !== undefined) {
    const head = glued[1].toLowerCase();
    action = NEAR_MISS_VERBS[head] ?? ID_SUBCOMMANDS[head];
    idText = glued[2];
    shown = word;
  } else {
    action = NEAR_MISS_VERBS[word.toLowerCase()];
    idText = next === undefined ? undefined : stripWrap(next);
    shown = `${word} ${idText ?? ''}`;
  }
  if (action === undefined || idText === undefined || !NEAR_MISS_ID.test(idText)) return undefined;
  const id = parseChangeKey(idText);
  if (id === undefined) return undefined;
  const key = `SG-${id}`;
  const pr = 'https://github.com/acme/infra/pull/881';
  const suggestions: Record<NearMissAction, { meant: string[]; example: string }> = {
    close: {
      meant: [`${cmd} reverted ${key}`, `${cmd} codified ${key} <PR>`],
      example: `${cmd} codified ${key} ${pr}`,
    },
    reverted: { meant: [`${cmd} reverted ${key}`], example: `${cmd} reverted ${key}` },
    codify: { meant: [`${cmd} codify ${key}`], example: `${cmd} codify ${key}` },
    codified: { meant: [`${cmd} codified ${key} <PR>`], example: `${cmd} codified ${key} ${pr}` },
    dismiss: {
      meant: [`${cmd} dismiss ${key} <reason>`, `${cmd} reverted ${key}`],
      example: `${cmd} dismiss ${key} node pool was replaced, nothing to codify`,
    },
    snooze: {
      meant: [`${cmd} snooze ${key} 3d`, `${cmd} assign ${key} @you`],
      example: `${cmd} snooze ${key} 3d`,
    },
    show: { meant: [`${cmd} show ${key}`], example: `${cmd} show ${key}` },
    assign: { meant: [`${cmd} assign ${key} @owner`], example: `${cmd} assign ${key} @alice` },
  };
  const { meant, example } = suggestions[action];
  const head = glued ? word : word.toLowerCase();
  return {
    message:
      `${code(head)} is not a ${cmd} subcommand. Did you mean ${meant.map((s) => `\`${s}\``).join(' or ')}? ` +
      `To log text that starts like this, use \`${cmd} log ${shown} …\``,
    example,
  };
}
