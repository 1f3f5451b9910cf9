/**
 * The drift engine: desired object vs live object, both raw JSON, to field-level differences.
 *
 * One walk over the desired object (plus, three-way, the last-applied one), with the live object
 * alongside. Nothing is cloned except Secret and Endpoints (rewritten by normalize.ts). Paths are
 * kept as a segment stack and turned into strings only for a difference; managedFields are indexed
 * only when a difference needs an owner or when a manual manager may have added fields by hand.
 */
import { compile, ownershipIndexFor, type CompiledOptions } from './diff-options.js';
import {
  matchItem,
  ownersAtSteps,
  parseManagedFields,
  pickOwner,
  toAttribution,
  type FieldNode,
  type ManagedFieldsEntry,
  type OwnershipIndex,
} from './managed-fields.js';
import { allScalars, firstObject, keysOf, listKeyFor, sameScalars, type ListKey } from './merge-keys.js';
import {
  groupOf,
  hasContent,
  IGNORED_ANNOTATIONS,
  isEmptyValue,
  isFreeFormMap,
  isQuantityPath,
  isSecretKind,
  isServerDefault,
  isZeroScalar,
  lastAppliedOf,
  normalizeForKind,
  own,
  SERVER_METADATA,
} from './normalize.js';
import { patternBelow, patternCovers, toPointer } from './pointer.js';
import { isRecord } from '../json.js';
import { quantitiesEqual } from './quantity.js';
import { holdsSecretValue, listHoldsSecret, redactValue } from './secret-values.js';
import type { Attribution, DiffOptions, DiffResult, Difference, DifferenceKind, KubeObject } from './types.js';

type Obj = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Walk state

interface Ctx {
  opts: CompiledOptions;
  kind: unknown;
  /** Either side is a Secret: its values (and anything holding them) are sensitive. */
  secret: boolean;
  /** Either side is a List holding a Secret: every item's values are sensitive. */
  secretItems: boolean;
  skipRules: boolean;
  out: Difference[];
  /** Path segments: field names, or list item segments (`name=web`, `3`). */
  segs: string[];
  /** Per segment: the index of the list item it names, or -1 for a field. */
  idx: number[];
  /** Per list item segment: the item (live if present, else desired), to find its managedFields node. */
  items: unknown[];
  entries: ManagedFieldsEntry[];
  index: OwnershipIndex | undefined;
}

const hasOwn = (o: Obj, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function ensureIndex(ctx: Ctx): OwnershipIndex {
  ctx.index ??= ownershipIndexFor(ctx.entries, ctx.opts);
  return ctx.index;
}

function skipKey(ctx: Ctx, key: string, d: number): boolean {
  if (d === 0) return key === 'status' || key === 'apiVersion' || (key === 'rules' && ctx.skipRules);
  const parent = ctx.segs[d - 1];
  if (parent === 'metadata') return SERVER_METADATA.has(key);
  if (parent === 'annotations') return IGNORED_ANNOTATIONS.has(key);
  return key === 'status' && ctx.segs[d - 2] === 'volumeClaimTemplates';
}

function isSensitive(ctx: Ctx, d: number): boolean {
  if (ctx.secret && holdsSecretValue(ctx.segs, 0, d)) return true;
  // A List holding a Secret: `/items`, `/items/<i>` and each item's secret fields.
  if (ctx.secretItems && ctx.segs[0] === 'items' && (d <= 2 || holdsSecretValue(ctx.segs, 2, d))) return true;
  for (const p of ctx.opts.sensitive) {
    if (patternCovers(p, ctx.segs, ctx.idx, d) || patternBelow(p, ctx.segs, ctx.idx, d)) return true;
  }
  return false;
}

/** Records a difference at segs[0..d), unless ignored or owned by a trusted manager. */
function report(ctx: Ctx, d: number, kind: DifferenceKind, desired: unknown, live: unknown): void {
  for (const p of ctx.opts.ignore) if (patternCovers(p, ctx.segs, ctx.idx, d)) return;
  let attribution: Attribution | undefined;
  if (ctx.entries.length) {
    // A missing field has no live owner; only an atomic ancestor's owner wrote its absence.
    const owners = ownersAtSteps(ensureIndex(ctx), ctx.segs, ctx.items, ctx.idx, d, kind !== 'missing');
    if (owners) {
      for (const o of owners) if (o.trusted) return;
      const owner = pickOwner(owners, kind === 'extra');
      if (owner) attribution = toAttribution(owner);
    }
  }
  const sensitive = isSensitive(ctx, d);
  const difference: Difference = {
    path: toPointer(ctx.segs, d),
    kind,
    desired: sensitive ? redactValue(desired, ctx.opts.fingerprint) : desired,
    live: sensitive ? redactValue(live, ctx.opts.fingerprint) : live,
    sensitive,
  };
  if (attribution) difference.attribution = attribution;
  ctx.out.push(difference);
}

/** Whether the value at segs[0..d) is a key of a free-form map (where omitempty and field defaults do not apply). */
function inFreeFormMap(ctx: Ctx, d: number): boolean {
  return d >= 2 && ctx.idx[d - 1] === -1 && isFreeFormMap(ctx.segs, d - 1, ctx.kind);
}

/**
 * Whether a desired value at segs[0..d) declares anything: like hasContent, except that a key of a
 * free-form map declares itself whatever its value (`data: {a: ""}` declares key `a`).
 */
function declares(ctx: Ctx, value: unknown, d: number): boolean {
  if (!isRecord(value)) return hasContent(value);
  const free = isFreeFormMap(ctx.segs, d, ctx.kind) && (d === 0 || ctx.idx[d - 1] === -1);
  for (const k in value) {
    if (skipKey(ctx, k, d)) continue;
    const v = own(value, k);
    if (free) {
      if (v !== null && v !== undefined) return true;
      continue;
    }
    ctx.segs[d] = k;
    ctx.idx[d] = -1;
    if (declares(ctx, v, d + 1)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// The walk

function diffMap(ctx: Ctx, D: Obj, L: Obj | undefined, A: Obj | undefined, d: number, O: FieldNode | undefined): void {
  const segs = ctx.segs;
  const idx = ctx.idx;
  for (const k in D) {
    if (skipKey(ctx, k, d)) continue;
    segs[d] = k;
    idx[d] = -1;
    diffValue(
      ctx,
      D[k],
      L === undefined ? undefined : own(L, k),
      A === undefined ? undefined : own(A, k),
      d + 1,
      O === undefined ? undefined : O.fields?.get(k),
      L,
    );
  }
  if (A !== undefined && L !== undefined) {
    for (const k in A) {
      if (hasOwn(D, k) || skipKey(ctx, k, d)) continue;
      const lv = own(L, k);
      if (isEmptyValue(lv)) continue;
      segs[d] = k;
      idx[d] = -1;
      removedValue(ctx, A[k], lv, d + 1, L);
    }
  }
  if (O !== undefined && O.manualBelow && L !== undefined && O.fields) {
    for (const k in L) {
      if (hasOwn(D, k) || (A !== undefined && hasOwn(A, k)) || skipKey(ctx, k, d)) continue;
      const child = O.fields.get(k);
      if (!child || !child.manualBelow) continue;
      segs[d] = k;
      idx[d] = -1;
      scanLiveOnly(ctx, L[k], d + 1, child, L);
    }
  }
}

function diffValue(
  ctx: Ctx,
  dv: unknown,
  lv: unknown,
  av: unknown,
  d: number,
  O: FieldNode | undefined,
  parentL: Obj | undefined,
): void {
  if (dv === lv) return;
  if (isEmptyValue(dv)) {
    // Declaring nothing is not declaring "empty": what is live is a default, unless three-way
    // says it was declared before, or a person put it there.
    if (isEmptyValue(lv)) return;
    if (!isEmptyValue(av)) removedValue(ctx, av, lv, d, parentL);
    else if (O !== undefined && O.manualBelow) scanLiveOnly(ctx, lv, d, O, parentL);
    return;
  }
  if (typeof dv !== 'object') {
    if (lv === undefined || lv === null) {
      // omitempty: a typed field holding "", false or 0 is absent from live. A free-form map's key
      // is not a field: absent is missing (null is how a client wrote "", so it is not).
      if (!isZeroScalar(dv) || (lv === undefined && inFreeFormMap(ctx, d))) report(ctx, d, 'missing', dv, undefined);
      return;
    }
    if (typeof lv !== 'object' && isQuantityPath(ctx.segs, d, ctx.kind) && quantitiesEqual(dv, lv)) return;
    report(ctx, d, 'changed', dv, lv);
    return;
  }
  if (Array.isArray(dv)) {
    if (Array.isArray(lv)) diffList(ctx, dv, lv, Array.isArray(av) ? av : undefined, d, O);
    else if (lv === undefined || lv === null) report(ctx, d, 'missing', dv, undefined);
    else report(ctx, d, 'changed', dv, lv);
    return;
  }
  if (isRecord(lv)) {
    diffMap(ctx, dv as Obj, lv, isRecord(av) ? av : undefined, d, O);
    return;
  }
  if (lv === undefined || lv === null) {
    if (declares(ctx, dv, d)) report(ctx, d, 'missing', dv, undefined);
    return;
  }
  report(ctx, d, 'changed', dv, lv);
}

const INDEX_STRINGS: string[] = Array.from({ length: 64 }, (_, i) => String(i));
const indexString = (i: number): string => INDEX_STRINGS[i] ?? String(i);

function diffList(
  ctx: Ctx,
  D: readonly unknown[],
  L: readonly unknown[],
  A: readonly unknown[] | undefined,
  d: number,
  O: FieldNode | undefined,
): void {
  const field = ctx.segs[d - 1] ?? '';
  if (allScalars(D) && allScalars(L)) {
    if (!sameScalars(field, D, L)) report(ctx, d, 'changed', D, L);
    return;
  }
  const key = listKeyFor(field, firstObject(D, L));
  if (key) {
    const dKeys = keysOf(key, D);
    const lKeys = dKeys && keysOf(key, L);
    if (dKeys && lKeys) {
      diffKeyed(ctx, key, D, L, A, dKeys, lKeys, d, O);
      return;
    }
  }
  diffAtomic(ctx, D, L, d);
}

function diffKeyed(
  ctx: Ctx,
  key: ListKey,
  D: readonly unknown[],
  L: readonly unknown[],
  A: readonly unknown[] | undefined,
  dKeys: string[],
  lKeys: string[],
  d: number,
  O: FieldNode | undefined,
): void {
  const { segs, idx, items } = ctx;
  const aKeys = A ? keysOf(key, A) : undefined;
  for (let i = 0; i < D.length; i++) {
    const k = dKeys[i] as string;
    const j = lKeys.indexOf(k);
    segs[d] = k;
    if (j < 0) {
      idx[d] = i;
      items[d] = D[i];
      if (declares(ctx, D[i], d + 1)) report(ctx, d + 1, 'missing', D[i], undefined);
      continue;
    }
    idx[d] = j;
    items[d] = L[j];
    const av = aKeys && A ? A[aKeys.indexOf(k)] : undefined;
    diffValue(ctx, D[i], L[j], av, d + 1, O === undefined ? undefined : matchItem(O, L[j], j), undefined);
  }
  if (aKeys && A) {
    // Three-way: items declared at the last apply, since removed from desired, still live.
    for (const k of aKeys) {
      if (dKeys.includes(k)) continue;
      const j = lKeys.indexOf(k);
      if (j < 0) continue;
      segs[d] = k;
      idx[d] = j;
      items[d] = L[j];
      report(ctx, d + 1, 'extra', undefined, L[j]);
    }
  }
  if (O !== undefined && O.manualBelow) {
    let listOwnedByHand = false;
    if (O.owners) for (const o of O.owners) if (o.leaf && o.managerClass === 'manual' && !o.trusted) listOwnedByHand = true;
    for (let j = 0; j < L.length; j++) {
      const k = lKeys[j] as string;
      if (dKeys.includes(k) || aKeys?.includes(k)) continue;
      segs[d] = k;
      idx[d] = j;
      items[d] = L[j];
      const child = matchItem(O, L[j], j);
      if (child) scanLiveOnly(ctx, L[j], d + 1, child, undefined);
      else if (listOwnedByHand) report(ctx, d + 1, 'extra', undefined, L[j]);
    }
  }
}

function diffAtomic(ctx: Ctx, D: readonly unknown[], L: readonly unknown[], d: number): void {
  const { segs, idx, items } = ctx;
  for (let i = 0; i < D.length; i++) {
    segs[d] = indexString(i);
    idx[d] = i;
    if (i < L.length) {
      items[d] = L[i];
      diffValue(ctx, D[i], L[i], undefined, d + 1, undefined, undefined);
    } else {
      items[d] = D[i];
      if (declares(ctx, D[i], d + 1)) report(ctx, d + 1, 'missing', D[i], undefined);
    }
  }
  for (let i = D.length; i < L.length; i++) {
    if (!hasContent(L[i])) continue;
    segs[d] = indexString(i);
    idx[d] = i;
    items[d] = L[i];
    report(ctx, d + 1, 'extra', undefined, L[i]);
  }
}

/** Three-way: `av` was declared at the last apply and is gone from desired; report what is still live. */
function removedValue(ctx: Ctx, av: unknown, lv: unknown, d: number, parentL: Obj | undefined): void {
  if (isEmptyValue(av) || isEmptyValue(lv)) return;
  const { segs, idx, items } = ctx;
  // The namespace a tool filled in for a namespaced manifest is identity, not configuration.
  if (d === 2 && segs[0] === 'metadata' && segs[1] === 'namespace') return;
  if (isRecord(av) && isRecord(lv)) {
    for (const k in av) {
      if (skipKey(ctx, k, d)) continue;
      const v = own(lv, k);
      if (isEmptyValue(v)) continue;
      segs[d] = k;
      idx[d] = -1;
      removedValue(ctx, av[k], v, d + 1, lv);
    }
    return;
  }
  if (Array.isArray(av) && Array.isArray(lv)) {
    const key = listKeyFor(segs[d - 1] ?? '', firstObject(av, lv));
    const aKeys = key && keysOf(key, av);
    const lKeys = key && aKeys && keysOf(key, lv);
    if (aKeys && lKeys) {
      for (const k of aKeys) {
        const j = lKeys.indexOf(k);
        if (j < 0) continue;
        segs[d] = k;
        idx[d] = j;
        items[d] = lv[j];
        report(ctx, d + 1, 'extra', undefined, lv[j]);
      }
      return;
    }
  }
  if (!inFreeFormMap(ctx, d) && isServerDefault(segs[d - 1], lv, parentL)) return;
  report(ctx, d, 'extra', undefined, lv);
}

/** A live-only value: drift only where a manual, untrusted manager owns it (added by hand). */
function scanLiveOnly(ctx: Ctx, lv: unknown, d: number, node: FieldNode, parentL: Obj | undefined): void {
  if (!node.manualBelow || isEmptyValue(lv)) return;
  const { segs, idx, items } = ctx;
  const isItem = (idx[d - 1] ?? -1) >= 0;
  if (node.owners) {
    let byHand = false;
    let trusted = false;
    for (const o of node.owners) {
      if (!o.leaf && !isItem) continue;
      if (o.trusted) trusted = true;
      else if (o.managerClass === 'manual') byHand = true;
    }
    if (trusted) return;
    if (byHand) {
      // A whole list item added by hand is one difference; a field must not hold its default.
      if (isItem || inFreeFormMap(ctx, d) || !isServerDefault(segs[d - 1], lv, parentL)) report(ctx, d, 'extra', undefined, lv);
      return;
    }
  }
  if (isRecord(lv)) {
    if (!node.fields) return;
    for (const k in lv) {
      const child = node.fields.get(k);
      if (!child || !child.manualBelow || skipKey(ctx, k, d)) continue;
      segs[d] = k;
      idx[d] = -1;
      scanLiveOnly(ctx, lv[k], d + 1, child, lv);
    }
  } else if (Array.isArray(lv)) {
    if (!node.items) return;
    const key = listKeyFor(segs[d - 1] ?? '', firstObject(lv, []));
    for (let j = 0; j < lv.length; j++) {
      const item: unknown = lv[j];
      const child = matchItem(node, item, j);
      if (!child || !child.manualBelow) continue;
      segs[d] = key?.segmentOf(item) ?? indexString(j);
      idx[d] = j;
      items[d] = item;
      scanLiveOnly(ctx, item, d + 1, child, undefined);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points

function asObject(value: unknown): Obj {
  return isRecord(value) ? value : {};
}

/**
 * Field-level drift between a desired and a live object (raw JSON, as the API server or a manifest
 * gave them). See DESIGN.md "Drift: how not to cry wolf" for the rules. Never throws on JSON input.
 * Inputs are not modified; reported values may share structure with them. `options` is compiled
 * once per object (cached), so build it once and do not mutate it afterwards.
 */
export function diffObjects(desired: KubeObject, live: KubeObject, options?: DiffOptions): DiffResult {
  const opts = compile(options);
  const desiredObj = asObject(desired);
  const liveObj = asObject(live);
  const kind = desiredObj['kind'] ?? liveObj['kind'];
  const D = normalizeForKind(desiredObj);
  const L = normalizeForKind(liveObj);
  const A = opts.threeWay ? lastAppliedOf(liveObj) : undefined;
  const entries = parseManagedFields(liveObj);
  const ctx: Ctx = {
    opts,
    kind,
    secret: isSecretKind(desiredObj['kind']) || isSecretKind(liveObj['kind']),
    secretItems: listHoldsSecret(desiredObj) || listHoldsSecret(liveObj),
    skipRules:
      opts.ignoreAggregatedRoles &&
      kind === 'ClusterRole' &&
      (isRecord(liveObj['aggregationRule']) || isRecord(desiredObj['aggregationRule'])),
    out: [],
    segs: [],
    idx: [],
    items: [],
    entries,
    index: undefined,
  };

  // Only walk live-only fields when someone may have added them by hand.
  let manual = false;
  for (const e of entries) {
    if (opts.classify(e.manager) === 'manual' && !opts.trusted.matches(e.manager)) {
      manual = true;
      break;
    }
  }
  const root = manual ? ensureIndex(ctx).root : undefined;

  // The API version is a representation, not configuration: only the group must agree.
  if (hasOwn(D, 'apiVersion') && L['apiVersion'] !== undefined && groupOf(D['apiVersion']) !== groupOf(L['apiVersion'])) {
    ctx.segs[0] = 'apiVersion';
    ctx.idx[0] = -1;
    report(ctx, 1, 'changed', D['apiVersion'], L['apiVersion']);
  }
  diffMap(ctx, D, L, A, 0, root);
  return { inSync: ctx.out.length === 0, differences: ctx.out, threeWay: A !== undefined };
}
