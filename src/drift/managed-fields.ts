/**
 * `metadata.managedFields`: who wrote which field, how and when. The fieldsV1 sets of all managers
 * are merged into one ownership tree whose nodes mirror the object: `f:<field>` for a field,
 * `k:{...}` for a list item named by its keys, `v:<json>` for a set item, `i:<n>` for an item by index.
 * A node is owned by a manager when its fieldsV1 holds the node as a leaf (`{}`, the whole value) or
 * holds `.` under it (the map or item itself exists because of that manager).
 */
import { isRecord } from '../json.js';
import type { Attribution, KubeObject, ManagerClass } from './types.js';

export interface ManagedFieldsEntry {
  manager: string;
  operation: string;
  subresource?: string;
  time?: string;
  fieldsV1?: Record<string, unknown>;
}

export interface Owner {
  entry: ManagedFieldsEntry;
  /** True when the manager owns the whole value (a `{}` leaf), false when only its existence (`.`). */
  leaf: boolean;
  managerClass: ManagerClass;
  trusted: boolean;
}

export interface ItemNode {
  kind: 'k' | 'v' | 'i';
  key?: Record<string, unknown>;
  value?: unknown;
  index?: number;
  node: FieldNode;
}

export interface FieldNode {
  fields?: Map<string, FieldNode>;
  /** List items, by their raw fieldsV1 key (`k:{"name":"web"}`). */
  items?: Map<string, ItemNode>;
  owners?: Owner[];
  /** A manual, untrusted manager owns this node or something below it. */
  manualBelow: boolean;
}

export interface OwnershipIndex {
  root: FieldNode;
  entries: ManagedFieldsEntry[];
}

/** One step of a path: a field name, or a list item (the item itself and its index in the list). */
export type PathStep = string | { item: unknown; index: number };

type Obj = Record<string, unknown>;

/** The entries of `metadata.managedFields`, skipping malformed ones. */
export function parseManagedFields(object: KubeObject): ManagedFieldsEntry[] {
  const metadata = object['metadata'];
  if (!isRecord(metadata)) return [];
  const raw = metadata['managedFields'];
  if (!Array.isArray(raw)) return [];
  const entries: ManagedFieldsEntry[] = [];
  for (const item of raw) {
    if (!isRecord(item) || typeof item['manager'] !== 'string') continue;
    const entry: ManagedFieldsEntry = {
      manager: item['manager'],
      operation: typeof item['operation'] === 'string' ? item['operation'] : 'Update',
    };
    if (typeof item['subresource'] === 'string' && item['subresource'] !== '') entry.subresource = item['subresource'];
    if (typeof item['time'] === 'string' && item['time'] !== '') entry.time = item['time'];
    if (isRecord(item['fieldsV1'])) entry.fieldsV1 = item['fieldsV1'];
    entries.push(entry);
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Manager classes

/** A set of manager names: exact names, `prefix*` and `*suffix` globs. */
export interface ManagerPattern {
  matches(name: string): boolean;
}

export function compileManagerPattern(patterns: readonly string[]): ManagerPattern {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  for (const p of patterns) {
    if (p.length > 1 && p.endsWith('*')) prefixes.push(p.slice(0, -1));
    else if (p.length > 1 && p.startsWith('*')) suffixes.push(p.slice(1));
    else exact.add(p);
  }
  return {
    matches(name) {
      if (exact.has(name)) return true;
      for (const p of prefixes) if (name.startsWith(p)) return true;
      for (const s of suffixes) if (name.endsWith(s)) return true;
      return false;
    },
  };
}

/** Managers known to be controllers, GitOps or IaC tools rather than a person at a terminal. */
export const BUILTIN_AUTOMATION_MANAGERS: readonly string[] = [
  'kube-controller-manager',
  'cloud-controller-manager',
  'kube-scheduler',
  'kube-apiserver',
  'kube-proxy',
  'kubelet',
  'before-first-apply',
  'manager', // controller-runtime's default name
  'helm',
  'k3s',
  'rancher',
  'velero',
  'spinnaker',
  'cainjector',
  'external-dns',
  'argocd*',
  'argo-*',
  'flux*',
  'kustomize-controller',
  'helm-controller',
  'terraform*',
  'pulumi*',
  'crossplane*',
  'cert-manager*',
  'external-secrets*',
  'sealed-secrets*',
  'istio*',
  'linkerd*',
  'karpenter*',
  'cluster-autoscaler*',
  'keda*',
  'kyverno*',
  'gatekeeper*',
  'tekton*',
  '*-controller',
  '*-controller-manager',
  '*-operator',
  '*-manager',
  '*-webhook',
  '*-injector',
  '*-autoscaler',
  '*-scheduler',
];

const BUILTIN_AUTOMATION = compileManagerPattern(BUILTIN_AUTOMATION_MANAGERS);

/** `kubectl` and its per-command managers (`kubectl-edit`, `kubectl-set`, `kubectl-client-side-apply`...). */
export function isKubectlManager(name: string): boolean {
  return name === 'kubectl' || name.startsWith('kubectl-');
}

/**
 * Manual: `kubectl`, `kubectl-*` and any binary we do not recognise (a script, a one-off Go program).
 * Automation: the built-in list, plus `extraAutomation`, which wins over everything else so that a CI
 * job running `kubectl apply` can be declared automation.
 *
 * Deliberately manual, though often written by programs: a client that sets no field manager gets one
 * from its user agent, the part before the first `/`. client-go's default user agent starts with the
 * binary's name, so a Go program built or `go run` as `main` writes as `main`; a Go client that sets no
 * user agent at all sends net/http's `Go-http-client/1.1` and writes as `Go-http-client`. These are
 * "unknown binaries", often one-off scripts run during an incident, so they stay manual; a team whose
 * controller writes under such a name lists it in `automationManagers` (it is not in the built-in list
 * on purpose).
 */
export function classifyManager(name: string, extraAutomation?: ManagerPattern): ManagerClass {
  if (extraAutomation?.matches(name)) return 'automation';
  if (isKubectlManager(name)) return 'manual';
  return BUILTIN_AUTOMATION.matches(name) ? 'automation' : 'manual';
}

// ---------------------------------------------------------------------------------------------
// Ownership tree

const keyCache = new Map<string, unknown>();
const KEY_CACHE_LIMIT = 4096;
const UNPARSABLE = Symbol('unparsable');

function parseKeyJson(text: string): unknown {
  let parsed = keyCache.get(text);
  if (parsed === undefined) {
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      parsed = UNPARSABLE;
    }
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(text, parsed);
  }
  return parsed;
}

function newNode(): FieldNode {
  return { manualBelow: false };
}

function childField(node: FieldNode, name: string): FieldNode {
  if (!node.fields) node.fields = new Map();
  let child = node.fields.get(name);
  if (!child) {
    child = newNode();
    node.fields.set(name, child);
  }
  return child;
}

function childItem(node: FieldNode, raw: string): FieldNode | undefined {
  const existing = node.items?.get(raw);
  if (existing) return existing.node;
  const kind = raw[0] as 'k' | 'v' | 'i';
  const body = raw.slice(2);
  let item: ItemNode;
  if (kind === 'i') {
    if (!/^\d+$/.test(body)) return undefined;
    item = { kind, index: Number(body), node: newNode() };
  } else {
    const parsed = parseKeyJson(body);
    if (parsed === UNPARSABLE) return undefined;
    if (kind === 'k') {
      if (!isRecord(parsed)) return undefined;
      item = { kind, key: parsed, node: newNode() };
    } else {
      item = { kind, value: parsed, node: newNode() };
    }
  }
  if (!node.items) node.items = new Map();
  node.items.set(raw, item);
  return item.node;
}

function addOwner(node: FieldNode, owner: Owner): void {
  if (!node.owners) node.owners = [owner];
  else if (!node.owners.includes(owner)) node.owners.push(owner);
}

function isEmptyObject(value: Obj): boolean {
  for (const _ in value) return false;
  return true;
}

function walk(set: Obj, node: FieldNode, leaf: Owner, dot: Owner): void {
  for (const key in set) {
    const value = set[key];
    if (key === '.') {
      addOwner(node, dot);
      continue;
    }
    let child: FieldNode | undefined;
    if (key.startsWith('f:')) child = childField(node, key.slice(2));
    else if (key.startsWith('k:') || key.startsWith('v:') || key.startsWith('i:')) child = childItem(node, key);
    if (!child) continue;
    if (!isRecord(value) || isEmptyObject(value)) addOwner(child, leaf);
    else walk(value, child, leaf, dot);
  }
}

function markManual(node: FieldNode): boolean {
  let below = false;
  if (node.owners) for (const o of node.owners) if (o.managerClass === 'manual' && !o.trusted) below = true;
  if (node.fields) for (const child of node.fields.values()) if (markManual(child)) below = true;
  if (node.items) for (const item of node.items.values()) if (markManual(item.node)) below = true;
  node.manualBelow = below;
  return below;
}

export interface IndexOptions {
  classify?: (manager: string) => ManagerClass;
  isTrusted?: (manager: string) => boolean;
}

export function buildOwnershipIndex(entries: ManagedFieldsEntry[], options: IndexOptions = {}): OwnershipIndex {
  const classify = options.classify ?? ((name: string) => classifyManager(name));
  const isTrusted = options.isTrusted ?? (() => false);
  const root = newNode();
  for (const entry of entries) {
    if (!entry.fieldsV1) continue;
    const managerClass = classify(entry.manager);
    const trusted = isTrusted(entry.manager);
    walk(
      entry.fieldsV1,
      root,
      { entry, leaf: true, managerClass, trusted },
      { entry, leaf: false, managerClass, trusted },
    );
  }
  markManual(root);
  return { root, entries };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!deepEqual((a as Obj)[k], (b as Obj)[k])) return false;
  return true;
}

function keyMatches(key: Obj, item: unknown): boolean {
  if (!isRecord(item)) return false;
  for (const field in key) {
    const want = key[field];
    const have = item[field];
    if (have === want) continue;
    // The API server fills in a default protocol, so a desired item may lack it.
    if (field === 'protocol' && have === undefined && want === 'TCP') continue;
    if (!deepEqual(want, have)) return false;
  }
  return true;
}

/** The ownership node of a list item, matched by key (`k:`), value (`v:`) or index (`i:`). */
export function matchItem(node: FieldNode, item: unknown, index: number): FieldNode | undefined {
  if (!node.items) return undefined;
  for (const candidate of node.items.values()) {
    if (candidate.kind === 'k') {
      if (candidate.key && keyMatches(candidate.key, item)) return candidate.node;
    } else if (candidate.kind === 'v') {
      if (deepEqual(candidate.value, item)) return candidate.node;
    } else if (candidate.index === index) {
      return candidate.node;
    }
  }
  return undefined;
}

/**
 * The owners of a path: those of the node itself when `exact` (the live field exists), otherwise, or
 * when the node has none, those owning the whole value of its deepest owned ancestor (an atomic
 * value such as `f:selector: {}` covers everything inside it).
 *
 * `segments[i]` is a field name when `listIndexes[i] < 0`; otherwise step i is the list item
 * `items[i]` at index `listIndexes[i]`.
 */
export function ownersAtSteps(
  index: OwnershipIndex,
  segments: readonly string[],
  items: readonly unknown[],
  listIndexes: readonly number[],
  length: number,
  exact: boolean,
): Owner[] | undefined {
  let node: FieldNode | undefined = index.root;
  let best: Owner[] | undefined;
  for (let i = 0; i < length; i++) {
    const li = listIndexes[i] ?? -1;
    node = li >= 0 ? matchItem(node, items[i], li) : node.fields?.get(segments[i] ?? '');
    if (!node) return best;
    const owners = node.owners;
    if (!owners) continue;
    if (i === length - 1) {
      // The node's own owners speak only for a field that exists in live.
      if (exact) return owners;
      break;
    }
    let leafOwners: Owner[] | undefined;
    for (const o of owners) if (o.leaf) (leafOwners ??= []).push(o);
    if (leafOwners) best = leafOwners;
  }
  return best;
}

/** Owners of a path given as steps (field names and list items). */
export function findOwners(index: OwnershipIndex, steps: readonly PathStep[], exact = true): Owner[] | undefined {
  const segments: string[] = [];
  const items: unknown[] = [];
  const listIndexes: number[] = [];
  for (const step of steps) {
    if (typeof step === 'string') {
      segments.push(step);
      items.push(undefined);
      listIndexes.push(-1);
    } else {
      segments.push('');
      items.push(step.item);
      listIndexes.push(step.index);
    }
  }
  return ownersAtSteps(index, segments, items, listIndexes, steps.length, exact);
}

/** The owner to name: the most recent writer, among manual ones first when `preferManual`. */
export function pickOwner(owners: readonly Owner[], preferManual = false): Owner | undefined {
  let pool = owners;
  if (preferManual) {
    const manual = owners.filter((o) => o.managerClass === 'manual');
    if (manual.length) pool = manual;
  }
  let best: Owner | undefined;
  for (const o of pool) {
    if (!best || (o.entry.time ?? '') > (best.entry.time ?? '')) best = o;
  }
  return best;
}

export function toAttribution(owner: Owner): Attribution {
  const attribution: Attribution = {
    manager: owner.entry.manager,
    operation: owner.entry.operation,
    managerClass: owner.managerClass,
  };
  if (owner.entry.subresource) attribution.subresource = owner.entry.subresource;
  if (owner.entry.time) attribution.time = owner.entry.time;
  return attribution;
}
