/**
 * The "Log a change" modal (opened by `/fix` with no text and by the "Log as temporary fix" message
 * shortcut) and the validation of what comes back in `view.state.values`.
 */
import type { InputBlock, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { z } from 'zod';
import { isIsoDay } from '../../ledger/dates.js';
import {
  INPUT_LIMITS,
  hiddenCharacterIn,
  hiddenCharacterMessage,
  stripHiddenCharacters,
  withinLimit,
  type InputField,
} from '../../ledger/input-limits.js';
import { LIMITS, commandLabel, truncate } from './mrkdwn.js';

export const LOG_CHANGE_CALLBACK_ID = 'log_change';

/** Block ids of the modal's inputs; field-level errors are keyed by these. */
export const LOG_CHANGE_BLOCK_IDS = {
  description: 'description',
  resources: 'resources',
  namespace: 'namespace',
  cluster: 'cluster',
  owner: 'owner',
  incident: 'incident',
  dueDate: 'due_date',
} as const;
export type LogChangeBlockId = (typeof LOG_CHANGE_BLOCK_IDS)[keyof typeof LOG_CHANGE_BLOCK_IDS];

/** Every input uses the same action id, so a value is at `state.values[blockId].value`. */
export const LOG_CHANGE_ACTION_ID = 'value';

export const RESOURCES_HINT = 'deploy/payments-api, node/ip-10-0-1-7';

// The same limits as `/fix` text and the ledger (`ledger/input-limits.ts`), also set as each input's
// `max_length` so that Slack stops the typing there.
export const DESCRIPTION_MAX = INPUT_LIMITS.description;
export const INCIDENT_MAX = INPUT_LIMITS.incident;
export const RESOURCES_MAX = INPUT_LIMITS.resources;

export type LogChangePrefill = {
  description?: string;
  /** Resource refs as typed: `deploy/payments-api, node/ip-10-0-1-7`. */
  resources?: string;
  cluster?: string;
  namespace?: string;
  /** Slack user id. */
  owner?: string;
  incident?: string;
  /** `YYYY-MM-DD`. */
  dueDate?: string;
};

export type LogChangeModalInput = {
  prefill?: LogChangePrefill;
  /** Configured cluster (context) names: a select when there are any, free text otherwise. */
  clusters: string[];
  /** Round-tripped by Slack; at most 3000 characters. */
  privateMetadata: string;
  commandName: string;
};

function plain(text: string): { type: 'plain_text'; text: string; emoji: true } {
  return { type: 'plain_text', text, emoji: true };
}

function textInput(
  blockId: LogChangeBlockId,
  label: string,
  opts: { optional: boolean; multiline?: boolean; initial?: string; placeholder?: string; hint?: string; maxLength?: number },
): InputBlock {
  const element: InputBlock['element'] = {
    type: 'plain_text_input',
    action_id: LOG_CHANGE_ACTION_ID,
    ...(opts.multiline ? { multiline: true } : {}),
    ...(opts.maxLength ? { max_length: opts.maxLength } : {}),
    ...(opts.initial ? { initial_value: truncate(opts.initial, opts.maxLength ?? LIMITS.inputValue) } : {}),
    ...(opts.placeholder ? { placeholder: plain(truncate(opts.placeholder, LIMITS.placeholder)) } : {}),
  };
  return {
    type: 'input',
    block_id: blockId,
    optional: opts.optional,
    label: plain(label),
    element,
    ...(opts.hint ? { hint: plain(opts.hint) } : {}),
  };
}

function clusterOption(name: string): PlainTextOption {
  return { text: plain(truncate(name, LIMITS.optionText)), value: name };
}

function clusterInput(clusters: string[], initial: string | undefined): InputBlock {
  const names = [...new Set(clusters)].filter((c) => c.length > 0 && c.length <= LIMITS.optionValue);
  if (names.length === 0) {
    return textInput(LOG_CHANGE_BLOCK_IDS.cluster, 'Cluster', {
      optional: true,
      initial,
      maxLength: INPUT_LIMITS.cluster,
      placeholder: 'prod-eu',
      hint: 'The kubeconfig context the change was made in.',
    });
  }
  // A prefilled cluster that is not configured is still offered: initial_option must be one of the options.
  if (initial && !names.includes(initial) && initial.length <= LIMITS.optionValue) names.unshift(initial);
  const options = names.slice(0, LIMITS.selectOptions).map(clusterOption);
  const selected = initial ? options.find((o) => o.value === initial) : undefined;
  return {
    type: 'input',
    block_id: LOG_CHANGE_BLOCK_IDS.cluster,
    optional: true,
    label: plain('Cluster'),
    element: {
      type: 'static_select',
      action_id: LOG_CHANGE_ACTION_ID,
      placeholder: plain('Choose a cluster'),
      options,
      ...(selected ? { initial_option: selected } : {}),
    },
  };
}

/** The modal view for views.open / views.push. */
export function logChangeModal(input: LogChangeModalInput): ModalView {
  if (input.privateMetadata.length > LIMITS.privateMetadata) {
    // Truncating would corrupt whatever the caller encoded in it; this is a programming error.
    throw new RangeError(`private_metadata is ${input.privateMetadata.length} characters; Slack allows ${LIMITS.privateMetadata}`);
  }
  const p = input.prefill ?? {};
  const cmd = commandLabel(input.commandName);
  const blocks: KnownBlock[] = [
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Record a manual fix so it gets codified or reverted. Faster next time: \`${cmd} scaled deploy/payments-api -n shop to 6\``,
        },
      ],
    },
    textInput(LOG_CHANGE_BLOCK_IDS.description, 'What did you change?', {
      optional: false,
      multiline: true,
      initial: p.description,
      maxLength: DESCRIPTION_MAX,
      placeholder: 'Raised the memory limit of payments-api to 2Gi to stop the OOM kills',
    }),
    textInput(LOG_CHANGE_BLOCK_IDS.resources, 'Resources', {
      optional: true,
      initial: p.resources,
      maxLength: RESOURCES_MAX,
      placeholder: RESOURCES_HINT,
      hint: `Kubernetes objects you touched, separated by commas: ${RESOURCES_HINT}`,
    }),
    textInput(LOG_CHANGE_BLOCK_IDS.namespace, 'Namespace', {
      optional: true,
      initial: p.namespace,
      maxLength: INPUT_LIMITS.namespace,
      placeholder: 'shop',
      hint: 'Applies to the resources above that have no namespace of their own.',
    }),
    clusterInput(input.clusters, p.cluster),
    {
      type: 'input',
      block_id: LOG_CHANGE_BLOCK_IDS.owner,
      optional: true,
      label: plain('Owner'),
      hint: plain('Who will codify or revert it. Defaults to you.'),
      element: {
        type: 'users_select',
        action_id: LOG_CHANGE_ACTION_ID,
        placeholder: plain('Choose a person'),
        ...(p.owner ? { initial_user: p.owner } : {}),
      },
    },
    textInput(LOG_CHANGE_BLOCK_IDS.incident, 'Incident', {
      optional: true,
      initial: p.incident,
      maxLength: INCIDENT_MAX,
      placeholder: 'INC-4821',
    }),
    {
      type: 'input',
      block_id: LOG_CHANGE_BLOCK_IDS.dueDate,
      optional: true,
      label: plain('Due date'),
      hint: plain('When it must be codified or reverted. Leave empty for the default.'),
      element: {
        type: 'datepicker',
        action_id: LOG_CHANGE_ACTION_ID,
        placeholder: plain('Choose a date'),
        // Slack refuses the whole view over an impossible initial_date; leave the picker empty instead.
        ...(p.dueDate && isIsoDay(p.dueDate) ? { initial_date: p.dueDate } : {}),
      },
    },
  ];
  return {
    type: 'modal',
    callback_id: LOG_CHANGE_CALLBACK_ID,
    title: plain('Log a change'),
    submit: plain('Log change'),
    close: plain('Cancel'),
    private_metadata: input.privateMetadata,
    blocks,
  };
}

// ---------------------------------------------------------------------------------------------
// view.state.values → plain values

/** Empty or whitespace-only input is "not given". */
function blank(value: string | null | undefined): string | undefined {
  const t = value?.trim();
  return t ? t : undefined;
}

const PlainTextState = z.object({ type: z.literal('plain_text_input').optional(), value: z.string().nullish() });
const StaticSelectState = z.object({
  type: z.literal('static_select'),
  selected_option: z.object({ value: z.string() }).nullish(),
});
const UsersSelectState = z.object({ type: z.literal('users_select').optional(), selected_user: z.string().nullish() });
const DatepickerState = z.object({ type: z.literal('datepicker').optional(), selected_date: z.string().nullish() });

function block<T extends z.ZodType>(element: T) {
  return z.object({ [LOG_CHANGE_ACTION_ID]: element });
}

/**
 * A name typed into a text input (resources, namespace, cluster, incident): refused when a word of it
 * carries a hidden character (see `ledger/input-limits.ts`), then stripped of plain direction marks,
 * trimmed, absent when empty, and held to its limit.
 */
function typedName(value: string | null | undefined, field: InputField, what: string, ctx: z.RefinementCtx): string | undefined {
  for (const word of (value ?? '').split(/[\s,]+/)) {
    const codePoint = hiddenCharacterIn(word);
    if (codePoint !== undefined) {
      ctx.addIssue({ code: 'custom', message: hiddenCharacterMessage(what, codePoint) });
      return undefined;
    }
  }
  const text = blank(stripHiddenCharacters(value ?? ''));
  if (text !== undefined) withinLimit(field)(text, ctx);
  return text;
}

const optionalName = (field: InputField, what: string) =>
  block(PlainTextState)
    .optional()
    .transform((b, ctx) => typedName(b?.value?.value, field, what, ctx));

const DESCRIBE = 'Describe what you changed, e.g. "scaled deploy/payments-api to 6 replicas".';

function dueDateField(earliest: string | undefined) {
  return block(DatepickerState)
    .optional()
    .transform((b) => blank(b?.value?.selected_date))
    .pipe(
      z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/, 'Pick a date.')
        // `Date.parse` would take 2027-02-30 as 2 March.
        .refine(isIsoDay, 'That day does not exist: pick a date from the calendar.')
        .refine((d) => earliest === undefined || d >= earliest, 'Pick a due date that is not in the past.')
        .optional(),
    );
}

/**
 * The schema of `view.state.values`. With `now`, a due date before today (in any time zone) is refused:
 * UTC-12 is the last zone to reach a date, so anything on or after its "today" is not in the past.
 */
function logChangeViewState(now?: Date) {
  const earliest = now ? new Date(now.getTime() - 12 * 3600_000).toISOString().slice(0, 10) : undefined;
  return z
    .object({
      // Prose: hidden characters are stripped (newlines and tabs kept), then it must still say something.
      [LOG_CHANGE_BLOCK_IDS.description]: block(PlainTextState)
        .optional()
        .transform((b, ctx) => {
          const typed = b?.value?.value ?? '';
          const text = stripHiddenCharacters(typed).trim();
          if (text === '') {
            ctx.addIssue({
              code: 'custom',
              message: typed.trim() === '' ? DESCRIBE : `${DESCRIBE} Once invisible and control characters are taken out, nothing is left.`,
            });
          } else {
            withinLimit('description')(text, ctx);
          }
          return text;
        }),
      [LOG_CHANGE_BLOCK_IDS.resources]: optionalName('resources', 'The resource list'),
      [LOG_CHANGE_BLOCK_IDS.namespace]: optionalName('namespace', 'The namespace').pipe(
        z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'Use a Kubernetes namespace name: lower-case letters, digits and dashes, e.g. shop.')
          .optional(),
      ),
      [LOG_CHANGE_BLOCK_IDS.cluster]: block(z.union([StaticSelectState, PlainTextState]))
        .optional()
        .transform((b, ctx) => {
          const el = b?.value;
          if (!el) return undefined;
          return typedName(el.type === 'static_select' ? el.selected_option?.value : el.value, 'cluster', 'The cluster name', ctx);
        }),
      [LOG_CHANGE_BLOCK_IDS.owner]: block(UsersSelectState)
        .optional()
        .transform((b) => blank(b?.value?.selected_user))
        .pipe(
          z
            .string()
            .superRefine(withinLimit('owner'))
            .regex(/^[UW][A-Z0-9]+$/, 'Choose a person from the list.')
            .optional(),
        ),
      [LOG_CHANGE_BLOCK_IDS.incident]: optionalName('incident', 'The incident'),
      [LOG_CHANGE_BLOCK_IDS.dueDate]: dueDateField(earliest),
    })
    .transform((s) => ({
      description: s.description,
      resources: s.resources,
      namespace: s.namespace,
      cluster: s.cluster,
      owner: s.owner,
      incident: s.incident,
      dueDate: s.due_date,
    }));
}

/**
 * `view.state.values` of the "Log a change" modal (without the due-date-in-the-past check, which needs
 * `now`: use {@link readLogChangeState}). Parsing yields plain values; every issue's path starts with
 * the block id the error belongs to.
 */
export const LogChangeViewState = logChangeViewState();
/** The raw `view.state.values` shape. */
export type LogChangeViewState = z.input<typeof LogChangeViewState>;
/** What the modal yields: trimmed strings, absent when not given. */
export type LogChangeValues = z.output<typeof LogChangeViewState>;

export type LogChangeStateResult =
  | { ok: true; values: LogChangeValues }
  | { ok: false; issues: z.core.$ZodIssue[]; errors: Partial<Record<LogChangeBlockId, string>> };

/**
 * Validates `view.state.values`. With `now`, a due date before today (in any time zone) is refused.
 * On failure, `errors` is ready for {@link modalErrors}.
 */
export function readLogChangeState(stateValues: unknown, opts: { now?: Date } = {}): LogChangeStateResult {
  const schema = opts.now ? logChangeViewState(opts.now) : LogChangeViewState;
  const parsed = schema.safeParse(stateValues);
  if (parsed.success) return { ok: true, values: parsed.data };
  const errors: Partial<Record<LogChangeBlockId, string>> = {};
  const blockIds = Object.values(LOG_CHANGE_BLOCK_IDS) as string[];
  for (const issue of parsed.error.issues) {
    const first = issue.path[0];
    // A malformed payload (not an object at all) is pinned on the description, the one required input.
    const id = (typeof first === 'string' && blockIds.includes(first) ? first : LOG_CHANGE_BLOCK_IDS.description) as LogChangeBlockId;
    errors[id] ??= issue.message;
  }
  return { ok: false, issues: parsed.error.issues, errors };
}

export type ModalErrorsResponse = { response_action: 'errors'; errors: Record<string, string> };

/** The `ack()` body that shows field-level errors in the open modal. Keys are block ids. */
export function modalErrors(fieldProblems: Partial<Record<string, string>>): ModalErrorsResponse {
  const errors: Record<string, string> = {};
  for (const [blockId, message] of Object.entries(fieldProblems)) {
    if (message !== undefined) errors[blockId] = truncate(message, 500);
  }
  return { response_action: 'errors', errors };
}
