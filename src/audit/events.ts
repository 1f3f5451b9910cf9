/**
 * Kubernetes audit events as the API server's webhook (or a log shipper) sends them, and which of them
 * Stopgap keeps: completed, successful writes by people to the kinds a cluster watches. Pure.
 *
 * Encodings accepted: an `EventList` (its items usually without kind or apiVersion), a single `Event`,
 * a JSON array of events, or JSON lines (the log backend's format: blank lines skipped, the last line
 * may lack its newline); `audit.k8s.io/v1` and the v1beta1 fields older servers wrote. Unknown fields
 * are ignored; `userAgent` and the timestamps are optional.
 */
import { z } from 'zod';
import { globMatch } from '../config/glob.js';
import { isRecord } from '../json.js';
import { changedFields, type ChangedField } from './changed-fields.js';

const UserInfo = z.looseObject({
  username: z.string().optional(),
  groups: z.array(z.string()).optional(),
});

export const AuditEvent = z.looseObject({
  auditID: z.string().min(1).max(200),
  stage: z.string().max(64),
  verb: z.string().max(64),
  level: z.string().max(64).optional(),
  requestURI: z.string().max(8_192).optional(),
  user: UserInfo.optional(),
  impersonatedUser: UserInfo.nullish(),
  sourceIPs: z.array(z.string().max(100)).max(50).optional(),
  userAgent: z.string().max(1_000).optional(),
  objectRef: z
    .looseObject({
      resource: z.string().max(253).optional(),
      namespace: z.string().max(253).optional(),
      name: z.string().max(253).optional(),
      apiGroup: z.string().max(253).optional(),
      apiVersion: z.string().max(64).optional(),
      subresource: z.string().max(64).optional(),
    })
    .optional(),
  responseStatus: z.looseObject({ code: z.number().int().optional() }).optional(),
  responseObject: z.unknown().optional(),
  requestObject: z.unknown().optional(),
  requestReceivedTimestamp: z.string().max(64).optional(),
  stageTimestamp: z.string().max(64).optional(),
  /** v1beta1 */
  timestamp: z.string().max(64).optional(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

export interface ParsedBatch {
  events: AuditEvent[];
  /** Items that are not audit events (each with its position), skipped; the rest are still read. */
  skipped: { index: number; problem: string }[];
}

/** Undefined when the body is not JSON (or JSON lines) at all: the caller answers 400. */
export function parseAuditBody(text: string): ParsedBatch | undefined {
  let values: unknown[];
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  try {
    const whole: unknown = JSON.parse(trimmed);
    if (Array.isArray(whole)) values = whole;
    else if (isRecord(whole) && Array.isArray(whole.items)) values = whole.items;
    else values = [whole];
  } catch {
    // JSON lines: every non-blank line must be a JSON value.
    values = [];
    for (const line of trimmed.split('\n')) {
      if (line.trim() === '') continue;
      try {
        values.push(JSON.parse(line));
      } catch {
        return undefined;
      }
    }
  }
  const events: AuditEvent[] = [];
  const skipped: ParsedBatch['skipped'] = [];
  values.forEach((value, index) => {
    const parsed = AuditEvent.safeParse(value);
    if (parsed.success) events.push(parsed.data);
    else skipped.push({ index, problem: `${parsed.error.issues[0]?.path.join('.') || '(event)'}: ${parsed.error.issues[0]?.message ?? 'not an audit event'}` });
  });
  return { events, skipped };
}

const MUTATING = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Who is a system component rather than a person. */
function isSystemUser(username: string, automationUsers: readonly string[]): boolean {
  return username.startsWith('system:') || automationUsers.some((glob) => globMatch(glob, username));
}

/** What Stopgap keeps of an audit event: who wrote which object, how and when. Never the bodies. */
export interface AuditRecord {
  auditId: string;
  stage: string;
  verb: string;
  resource: string;
  apiGroup: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  username: string;
  /** With `kubectl --as`: the identity acted as; `username` is who authenticated. */
  impersonatedUser?: string;
  groups: string[];
  userAgent?: string;
  sourceIPs: string[];
  /** The field manager the request named (`?fieldManager=kubectl-edit`), if any. */
  fieldManager?: string;
  /** When the write completed (RFC 3339). */
  at: string;
  code: number;
  /** With a request body (levels Request and RequestResponse): the fields it changed, never the body. */
  changed?: ChangedField[];
}

export interface KeepOptions {
  /** Resources (plural, lower case, with their API group as `group/resource`, core as `resource`) a cluster watches. */
  watched: ReadonlySet<string>;
  automationUsers: readonly string[];
  /** Hides sensitive values among the changed fields; without it, changed fields are not read. */
  fingerprint?: (value: string) => string;
  sensitivePointers?: readonly string[];
}

export type KeepDecision = { keep: true; record: AuditRecord } | { keep: false; reason: string };

function fieldManagerOf(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  const q = uri.indexOf('?');
  if (q === -1) return undefined;
  return new URLSearchParams(uri.slice(q + 1)).get('fieldManager') ?? undefined;
}

/** `apps/deployments`, or `configmaps` for the core group. */
export function watchedKey(apiGroup: string, resource: string): string {
  return apiGroup === '' ? resource : `${apiGroup}/${resource}`;
}

export function keepDecision(event: AuditEvent, opts: KeepOptions): KeepDecision {
  if (event.stage !== 'ResponseComplete') return { keep: false, reason: 'stage' };
  if (!MUTATING.has(event.verb)) return { keep: false, reason: 'verb' };
  const code = event.responseStatus?.code ?? 0;
  if (code < 200 || code > 299) return { keep: false, reason: 'status' };
  const ref = event.objectRef;
  const resource = ref?.resource;
  if (!ref || !resource) return { keep: false, reason: 'object' };
  // Only the scale subresource changes what drift is about; exec, logs, status and the rest do not.
  if (ref.subresource !== undefined && ref.subresource !== 'scale') return { keep: false, reason: 'subresource' };
  const apiGroup = ref.apiGroup ?? '';
  if (!opts.watched.has(watchedKey(apiGroup, resource)) && !opts.watched.has(`*/${resource}`)) return { keep: false, reason: 'kind' };
  const username = event.user?.username;
  if (!username) return { keep: false, reason: 'user' };
  const impersonated = event.impersonatedUser?.username;
  // A system identity acting as a person is the person's change (and the other way round, automation).
  const effective = impersonated ?? username;
  if (isSystemUser(effective, opts.automationUsers)) return { keep: false, reason: 'automation' };
  const at = event.stageTimestamp ?? event.requestReceivedTimestamp ?? event.timestamp;
  if (!at || Number.isNaN(Date.parse(at))) return { keep: false, reason: 'time' };
  const name = ref.name ?? nameOf(event.responseObject);
  const changed = opts.fingerprint ? changedFields(event, { fingerprint: opts.fingerprint, ...(opts.sensitivePointers ? { sensitivePointers: opts.sensitivePointers } : {}) }) : undefined;
  return {
    keep: true,
    record: {
      auditId: event.auditID,
      stage: event.stage,
      verb: event.verb,
      resource,
      apiGroup,
      ...(ref.namespace ? { namespace: ref.namespace } : {}),
      ...(name ? { name } : {}),
      ...(ref.subresource ? { subresource: ref.subresource } : {}),
      username,
      ...(impersonated ? { impersonatedUser: impersonated } : {}),
      groups: event.user?.groups ?? [],
      ...(event.userAgent ? { userAgent: event.userAgent } : {}),
      sourceIPs: event.sourceIPs ?? [],
      ...(fieldManagerOf(event.requestURI) ? { fieldManager: fieldManagerOf(event.requestURI) } : {}),
      at: new Date(Date.parse(at)).toISOString(),
      code,
      ...(changed ? { changed } : {}),
    },
  };
}

/** A created object's name when the request used generateName: only the response has it. */
function nameOf(response: unknown): string | undefined {
  if (!isRecord(response)) return undefined;
  const metadata = response.metadata;
  if (!isRecord(metadata) || typeof metadata.name !== 'string') return undefined;
  // A scale subresource answers with the Scale, named like its object; a Status names nothing useful.
  return response.kind === 'Status' ? undefined : metadata.name;
}
