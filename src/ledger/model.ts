import { z } from 'zod';
import { redactSecrets } from '../redact.js';

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

/** What a person gives us to log a change; everything else is derived. */
export const ChangeDraft = z.object({
  // A pasted credential ("set DB_PASSWORD=… on deploy/api") never reaches the ledger or Slack.
  description: z.string().trim().min(1, 'Describe what you changed').max(3000).transform(redactSecrets),
  actor: z.string().min(1),
  owner: z.string().min(1).optional(),
  cluster: z.string().min(1).optional(),
  resources: z.array(ResourceRef).default([]),
  incident: z.string().min(1).optional(),
  channelId: z.string().optional(),
  channelName: z.string().optional(),
  source: ChangeSource.default('command'),
  dueAt: z.string().optional(),
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
