import { z } from 'zod';
import { redactSecrets } from '../redact.js';
import { parseIsoTimestamp } from './dates.js';
import { hiddenCharacterIn, hiddenCharacterMessage, stripHiddenCharacters, withinLimit, type InputField } from './input-limits.js';

export const ChangeStatus = z.enum(['open', 'in_review', 'codified', 'reverted', 'dismissed']);
export type ChangeStatus = z.infer<typeof ChangeStatus>;

/** A Kubernetes object a change touched: `deploy/payments-api -n shop`, `node/ip-10-0-1-7`. */
export const ResourceRef = z.object({
  /** Canonical lower-case kind, e.g. `deployment`, `statefulset`, `node`, `configmap`. */
  kind: z.string().min(1),
  /** API group when it was given explicitly (`deployment.apps/x` → `apps`). */
  group: z.string().optional(),
  name: z.string().min(1),
  namespace: z.string().optional(),
});
export type ResourceRef = z.infer<typeof ResourceRef>;

export const ChangeSource = z.enum(['command', 'modal', 'shortcut', 'api']);
export type ChangeSource = z.infer<typeof ChangeSource>;

/**
 * A name a person typed (cluster, incident): within its limit, refused with a hidden character (see
 * `input-limits.ts`), credentials masked. The parser and the modal refuse these first, with their own
 * messages; this is the ledger's own guard, whatever the source.
 */
function typedName(field: InputField, what: string) {
  return z
    .string()
    .min(1)
    .superRefine(withinLimit(field))
    .superRefine((value, ctx) => {
      const codePoint = hiddenCharacterIn(value);
      if (codePoint !== undefined) ctx.addIssue({ code: 'custom', message: hiddenCharacterMessage(what, codePoint) });
    })
    .transform((value) => redactSecrets(stripHiddenCharacters(value)));
}

/** What a person gives us to log a change; everything else is derived. */
export const ChangeDraft = z.object({
  // Hidden characters are stripped, and a pasted credential ("set DB_PASSWORD=… on deploy/api") never
  // reaches the ledger or Slack.
  description: z
    .string()
    .transform(stripHiddenCharacters)
    .pipe(z.string().trim().min(1, 'Describe what you changed').superRefine(withinLimit('description')))
    .transform(redactSecrets),
  actor: z.string().min(1),
  owner: z.string().min(1).superRefine(withinLimit('owner')).optional(),
  cluster: typedName('cluster', 'The cluster name').optional(),
  resources: z
    .array(ResourceRef)
    .default([])
    .transform((refs) =>
      refs.map((r) => ({
        ...r,
        name: redactSecrets(r.name),
        ...(r.namespace !== undefined ? { namespace: redactSecrets(r.namespace) } : {}),
      })),
    ),
  incident: typedName('incident', 'The incident').optional(),
  channelId: z.string().optional(),
  channelName: z.string().optional(),
  source: ChangeSource.default('command'),
  /** An ISO date-time with a zone; an impossible one (`2027-02-30T…`) is refused, not rolled over. */
  dueAt: z
    .string()
    .refine((d) => parseIsoTimestamp(d) !== undefined, 'The due date is not a real date-time.')
    .optional(),
  /** Original message permalink when logged from a message shortcut. */
  messageLink: z.string().optional(),
});
export type ChangeDraft = z.input<typeof ChangeDraft>;

export const Change = z.object({
  id: z.number().int().positive(),
  key: z.string(), // `SG-<id>`
  description: z.string(),
  actor: z.string(),
  owner: z.string(),
  cluster: z.string().nullable(),
  resources: z.array(ResourceRef),
  incident: z.string().nullable(),
  channelId: z.string().nullable(),
  source: ChangeSource,
  status: ChangeStatus,
  verified: z.boolean(),
  prUrl: z.string().nullable(),
  reason: z.string().nullable(),
  messageLink: z.string().nullable(),
  createdAt: z.string(),
  dueAt: z.string(),
  snoozedUntil: z.string().nullable(),
  closedAt: z.string().nullable(),
  updatedAt: z.string(),
});
export type Change = z.infer<typeof Change>;

export function changeKey(id: number): string {
  return `SG-${id}`;
}

/** `SG-12`, `sg-12`, `#12` or `12` → 12. */
export function parseChangeKey(text: string): number | undefined {
  const m = /^(?:sg-|#)?(\d{1,9})$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return n > 0 ? n : undefined;
}

export function formatResource(ref: ResourceRef): string {
  const kind = ref.group ? `${ref.kind}.${ref.group}` : ref.kind;
  return ref.namespace ? `${kind}/${ref.name} -n ${ref.namespace}` : `${kind}/${ref.name}`;
}

/** Which changes `/fix list` shows: the person's own open ones, everyone's, or the overdue ones. */
export type ListScope = 'mine' | 'all' | 'overdue';
export const LIST_SCOPES: readonly ListScope[] = ['mine', 'all', 'overdue'];
