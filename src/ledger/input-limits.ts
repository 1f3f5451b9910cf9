/**
 * What a person may type into Stopgap, in one place for the `/fix` parser, the log-change modal, the
 * ledger model and the lifecycle: how long each field may be, and which characters are taken out
 * (free text) or refused (names). Pure.
 */
import type { z } from 'zod';

/** Longest value, in UTF-16 code units (what Slack's `max_length` and `String#length` count). */
export const INPUT_LIMITS = {
  description: 3000,
  reason: 1000,
  /** A kubeconfig context name; Slack's select option values stop at 150 too. */
  cluster: 150,
  /** A Slack user ID. */
  owner: 64,
  prUrl: 1000,
  /** The resource list: as typed in the modal, or as parsed from `/fix` text (`deploy/a -n x, node/b`). */
  resources: 2000,
  /** A Kubernetes namespace is a DNS label. */
  namespace: 63,
  incident: 200,
} as const;
export type InputField = keyof typeof INPUT_LIMITS;

const FIELD_NAMES: Record<InputField, string> = {
  description: 'description',
  reason: 'reason',
  cluster: 'cluster name',
  owner: 'owner',
  prUrl: 'PR URL',
  resources: 'resource list',
  namespace: 'namespace',
  incident: 'incident',
};

/** `2340` → `2,340`, the same on every machine (no locale data involved). */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "The reason is 2,340 characters; the limit is 1,000. Shorten it." */
export function tooLongMessage(field: InputField, length: number): string {
  return `The ${FIELD_NAMES[field]} is ${formatCount(length)} characters; the limit is ${formatCount(INPUT_LIMITS[field])}. Shorten it.`;
}

/** The message for a value over its field's limit, or undefined when it fits. */
export function checkLength(field: InputField, value: string): string | undefined {
  return value.length > INPUT_LIMITS[field] ? tooLongMessage(field, value.length) : undefined;
}

/** checkLength as a zod refinement: a value over its field's limit is an issue with that message. */
export function withinLimit(field: InputField) {
  return (value: string, ctx: z.RefinementCtx) => {
    const message = checkLength(field, value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  };
}

// Characters nobody means to type: NUL and the other C0 and C1 controls, DEL, and the invisible marks
// that reorder text on screen (LRM, RLM, ALM, the embeddings and overrides U+202A–U+202E, the isolates
// U+2066–U+2069). An override makes `SG-‮21` display as SG-12; in a name that is a spoof, in prose noise.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const HIDDEN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
// In a name: every control (tab and newline too: no name contains them) and every embedding, override
// and isolate. The plain marks (LRM, RLM, ALM) are only stripped: clients paste them next to names
// copied from right-to-left text, and in a left-to-right name they change nothing.
// eslint-disable-next-line no-control-regex -- as above
const REFUSED_IN_NAMES = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

/**
 * Free text (a description, a reason) without hidden characters. Tab and newline stay; a carriage
 * return becomes a newline first, so Windows and old Mac line ends survive as line ends.
 */
export function stripHiddenCharacters(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(HIDDEN, '');
}

/**
 * The first hidden character in a name (cluster, namespace, resource, incident, change ID, URL) that
 * refuses it, as `U+202E`, or undefined. Names are refused rather than stripped: what the person saw
 * on screen is not what the characters say, and guessing which they meant would change the name. A
 * name that passes is used through {@link stripHiddenCharacters}.
 */
export function hiddenCharacterIn(name: string): string | undefined {
  const m = REFUSED_IN_NAMES.exec(name);
  return m ? `U+${(m[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}` : undefined;
}

/** "The cluster name contains an invisible character (U+202E); type it again without it." */
export function hiddenCharacterMessage(what: string, codePoint: string): string {
  return `${what} contains an invisible or control character (${codePoint}) that can make text read differently than it is; type it again without it.`;
}
