/**
 * Secret values in a diff: which paths of a Secret (or of a List holding one) hold them, and how a
 * reported value is hidden: a keyed fingerprint, or `[redacted]` when there is no key.
 */
import { isRecord } from '../json.js';
import { isSecretKind, LAST_APPLIED_ANNOTATION, SECRET_VALUE_FIELDS, setOwn } from './normalize.js';

export const REDACTED = '[redacted]';

/** The value with every scalar in it replaced by its fingerprint (or REDACTED), shape kept. */
export function redactValue(value: unknown, fingerprint: ((value: string) => string) | undefined): unknown {
  if (value === undefined || value === null) return value;
  if (typeof value === 'string') return fingerprint ? fingerprint(value) : REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, fingerprint));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) setOwn(out, k, redactValue(value[k], fingerprint));
    return out;
  }
  return fingerprint ? fingerprint(JSON.stringify(value)) : REDACTED;
}

/**
 * Whether the value at segs[0..d) (d > at) of a Secret whose fields start at segs[at] holds or contains
 * a secret value: `data`, `stringData`, `binaryData`, or the last-applied annotation (a copy of them),
 * including the `metadata` and `annotations` maps around it.
 */
export function holdsSecretValue(segs: readonly string[], at: number, d: number): boolean {
  const field = segs[at] as string;
  if (SECRET_VALUE_FIELDS.has(field)) return true;
  if (field !== 'metadata') return false;
  if (d === at + 1) return true;
  if (segs[at + 1] !== 'annotations') return false;
  return d === at + 2 || segs[at + 2] === LAST_APPLIED_ANNOTATION;
}

/** A `List` or `<Kind>List` (as `kubectl get -o yaml` prints) of Secrets or holding one. */
export function listHoldsSecret(object: Record<string, unknown>): boolean {
  const kind = object['kind'];
  if (typeof kind !== 'string' || !kind.toLowerCase().endsWith('list')) return false;
  if (isSecretKind(kind.slice(0, -4))) return true;
  const items = object['items'];
  if (!Array.isArray(items)) return false;
  for (const item of items) if (isRecord(item) && isSecretKind(item['kind'])) return true;
  return false;
}
