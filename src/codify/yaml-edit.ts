/**
 * One drifted field written into the text of the manifest document that declares it: the field is
 * found by walking the parsed document (list items by merge key, as a finding's path names them), and
 * the change is one splice of the source text at the node's range. Nothing else of the text moves:
 * comments, key order, quoting, anchors and indentation stay as the person wrote them.
 */
import { isAlias, isMap, isScalar, isSeq, visit } from 'yaml';
import type { Document, Node, Pair, YAMLMap, YAMLSeq } from 'yaml';
import { manifestNodeValue } from '../drift/manifest-parser.js';
import { listKeyFor } from '../drift/merge-keys.js';
import { setOwn } from '../drift/normalize.js';
import { resolvePointer } from '../drift/pointer.js';
import { isRecord } from '../json.js';
import type { DifferenceKind } from '../drift/types.js';
import { afterKey, blockAt, blockItem, blockPair, flowText, inlineScalar, jsonText, keyText, needsBlock, type Layout, type ScalarStyle } from './render.js';
import { spellLike } from './quantity-style.js';

/** Replace `remove` characters at `at` with `insert`. */
export interface Splice {
  at: number;
  remove: number;
  insert: string;
}

/** The document being edited: its text (one `---` chunk of the file), parsed, and the object's node in it. */
export interface EditTarget {
  text: string;
  doc: Document.Parsed;
  /** The object's mapping: the document itself, or an item of a `kind: List`. */
  root: YAMLMap;
  layout: Layout;
}

export interface FieldEdit {
  /** The path's raw segments (list items by merge key, index or `key=value`). */
  segments: string[];
  kind: DifferenceKind;
  /** What to write for `changed` and `extra`. */
  value: unknown;
  /** The field is a resource quantity: spell the value like the file's quantities. */
  quantity: boolean;
}

export type EditPlan =
  /** `value`: what was written (the quantity as spelled); `line` offset: where in the text the edit is. */
  | { splice: Splice; value: unknown; at: number }
  | { refused: string };

type Owner =
  | { type: 'pair'; map: YAMLMap; pair: Pair }
  | { type: 'item'; seq: YAMLSeq; index: number }
  | { type: 'root' };

interface Level {
  node: Node;
  owner: Owner;
}

type Walk =
  | { found: true; node: Node | null; owner: Owner; chain: Level[] }
  /**
   * Absent from `depth` on: `container` is the node at depth-1 (a mapping, a sequence, or a null
   * value). `merged`: the mapping has the key only through a YAML merge key (`<<`).
   */
  | { found: false; depth: number; container: Node | null; owner: Owner; chain: Level[]; merged?: boolean }
  | { refused: string };

const MERGED = 'it comes from a YAML merge key (<<): Stopgap does not edit merged mappings';

/** `{ [key]: value }`, also for the key `__proto__`. */
function entry(key: string, value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  setOwn(out, key, value);
  return out;
}

/** The index of the item a path segment names in a list held by `field`, as the drift engine names items; -1 for none. */
export function itemIndex(list: readonly unknown[], field: string, segment: string): number {
  const trace = { indexes: [] as number[], items: [] as unknown[] };
  resolvePointer(entry(field, list), [field, segment], trace);
  return trace.indexes[1] ?? -1;
}

const rangeOf = (node: Node): [number, number, number] => node.range as [number, number, number];

function isFlow(node: Node | null | undefined): boolean {
  return (isMap(node) || isSeq(node)) && node.flow === true;
}

function isNullScalar(node: Node | null | undefined): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

function keyString(pair: Pair): string | undefined {
  const key = pair.key as Node | null;
  if (!isScalar(key)) return undefined;
  if (typeof key.value === 'symbol') return undefined; // `<<`
  return key.value === null ? '' : String(key.value);
}

function isMergePair(pair: Pair): boolean {
  const key = pair.key as Node | null;
  return isScalar(key) && (typeof key.value === 'symbol' || key.source === '<<');
}

/** Anchors some alias in the document uses: editing a node so anchored would change every use. */
export function aliasedAnchors(doc: Document): Set<string> {
  const out = new Set<string>();
  visit(doc, {
    Alias(_k, node) {
      out.add(node.source);
    },
  });
  return out;
}

class Editor {
  private readonly text: string;
  private readonly shared: Set<string>;

  constructor(private readonly target: EditTarget) {
    this.text = target.text;
    this.shared = aliasedAnchors(target.doc);
  }

  // --- positions ---------------------------------------------------------------------------

  private lineStart(p: number): number {
    return this.text.lastIndexOf('\n', p - 1) + 1;
  }

  /** Where the line holding `p` ends: at its `\n` (or `\r\n`), or the end of the text. */
  private lineEnd(p: number): number {
    const i = this.text.indexOf('\n', p);
    if (i < 0) return this.text.length;
    return i > p && this.text[i - 1] === '\r' ? i - 1 : i;
  }

  /** Past the newline ending the line holding `p`. */
  private nextLine(p: number): number {
    const i = this.text.indexOf('\n', p);
    return i < 0 ? this.text.length : i + 1;
  }

  private col(p: number): number {
    return p - this.lineStart(p);
  }

  private onlySpacesBefore(p: number): boolean {
    return this.text.slice(this.lineStart(p), p).trim() === '';
  }

  /** Just past the last character that belongs to a node (not the comments and blank lines after it). */
  private contentEnd(node: Node | null, fallback: number): number {
    if (node === null || node === undefined) return fallback;
    if (isMap(node) && !node.flow) {
      const last = node.items[node.items.length - 1];
      return last ? this.pairEnd(last) : rangeOf(node)[1];
    }
    if (isSeq(node) && !node.flow) {
      const last = node.items[node.items.length - 1] as Node | null | undefined;
      return last ? this.contentEnd(last, rangeOf(node)[0] + 1) : rangeOf(node)[1];
    }
    const [start, end] = rangeOf(node);
    if (isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED')) {
      let e = end;
      while (e > start && /\s/.test(this.text[e - 1] as string)) e--;
      return e;
    }
    return end;
  }

  private pairEnd(pair: Pair): number {
    const colon = this.colonEnd(pair) ?? rangeOf(pair.key as Node)[1];
    const value = pair.value as Node | null;
    if (value === null || (isNullScalar(value) && rangeOf(value)[0] === rangeOf(value)[1])) return colon;
    return Math.max(colon, this.contentEnd(value, colon));
  }

  /** Just past the `:` that follows a pair's key. */
  private colonEnd(pair: Pair): number | undefined {
    const key = pair.key as Node | null;
    if (!key?.range) return undefined;
    let i = rangeOf(key)[1];
    while (i < this.text.length && (this.text[i] === ' ' || this.text[i] === '\t')) i++;
    // A quoted JSON key ends at its quote; a plain key's range may already stop at the colon.
    return this.text[i] === ':' ? i + 1 : undefined;
  }

  /** The `-` of a block sequence item. */
  private dashOf(seq: YAMLSeq, index: number): number | undefined {
    const item = seq.items[index] as Node | null;
    let i = item?.range ? rangeOf(item)[0] - 1 : -1;
    if (!item?.range) return undefined;
    while (i >= 0 && (this.text[i] === ' ' || this.text[i] === '\t' || this.text[i] === '\n')) {
      if (this.text[i] === '\n') return undefined;
      i--;
    }
    // An item with an anchor or tag: `- &a value` — step back over the properties.
    while (i >= 0 && this.text[i] !== '-' && this.text[i] !== '\n') i--;
    return this.text[i] === '-' ? i : undefined;
  }

  /** Whether the text is JSON or the node sits inside a flow collection. */
  private flowAt(chain: readonly Level[], container: Node | null): boolean {
    if (this.target.layout.json) return true;
    if (isFlow(container)) return true;
    return chain.some((l) => isFlow(l.node));
  }

  // --- walking -----------------------------------------------------------------------------

  private shareProblem(node: Node | null): string | undefined {
    if (node === null || node === undefined) return undefined;
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor && this.shared.has(anchor)) return `it is shared through the YAML anchor &${anchor} (used again as *${anchor}): changing it there would change every use`;
    return undefined;
  }

  walk(segments: readonly string[]): Walk {
    const chain: Level[] = [];
    let node: Node | null = this.target.root;
    let owner: Owner = { type: 'root' };
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i] as string;
      const share = this.shareProblem(node);
      if (share) return { refused: share };
      if (isAlias(node)) return { refused: `it comes through the YAML alias *${node.source}: Stopgap does not edit shared anchors` };
      chain.push({ node: node as Node, owner });
      if (isMap(node)) {
        const map: YAMLMap = node;
        const pair = map.items.find((p) => !isMergePair(p) && keyString(p) === seg);
        if (!pair) {
          const value = map.items.some(isMergePair) ? manifestNodeValue(map, this.target.doc) : undefined;
          const merged = isRecord(value) && Object.prototype.hasOwnProperty.call(value, seg);
          // A key of its own overrides a merged one; anything deeper would change the mapping merged in.
          if (merged && i < segments.length - 1) return { refused: MERGED };
          return { found: false, depth: i, container: map, owner, chain, merged };
        }
        owner = { type: 'pair', map, pair };
        node = pair.value as Node | null;
      } else if (isSeq(node)) {
        const seq: YAMLSeq = node;
        const field = segments[i - 1] ?? '';
        const list = manifestNodeValue(seq, this.target.doc);
        const index = Array.isArray(list) ? itemIndex(list, field, seg) : -1;
        if (index < 0 || index >= seq.items.length) return { found: false, depth: i, container: seq, owner, chain };
        owner = { type: 'item', seq, index };
        node = seq.items[index] as Node | null;
      } else if (isNullScalar(node)) {
        chain.pop();
        return { found: false, depth: i, container: null, owner, chain };
      } else {
        return { refused: `the manifest holds a single value where the path expects a mapping or list` };
      }
    }
    const share = this.shareProblem(node);
    if (share) return { refused: share };
    return { found: true, node, owner, chain };
  }

  // --- planning ----------------------------------------------------------------------------

  plan(edit: FieldEdit): EditPlan {
    const walk = this.walk(edit.segments);
    if ('refused' in walk) return walk;
    if (walk.found) {
      if (edit.kind === 'missing') return this.remove(walk.owner, walk.chain);
      const value = edit.quantity && isScalar(walk.node) ? spellLike(edit.value, walk.node.value) : edit.value;
      return this.replace(walk.owner, walk.node, value, walk.chain);
    }
    if (edit.kind === 'missing') return { refused: walk.merged ? MERGED : 'the manifest no longer declares it: nothing to remove' };
    let value = edit.value;
    if (edit.quantity) value = spellLike(value, this.quantityNeighbour(walk.chain, edit.segments));
    const rest = edit.segments.slice(walk.depth);
    const nested = this.nested(rest, edit.segments[walk.depth - 1] ?? '', value, walk.container);
    if ('refused' in nested) return nested;
    if (walk.container === null) {
      // `key:` with nothing after it: the value becomes a collection holding the field.
      const holder = walk.owner.type === 'pair' ? (walk.owner.pair.value as Node | null) : walk.owner.type === 'item' ? (walk.owner.seq.items[walk.owner.index] as Node | null) : null;
      const plan = this.replace(walk.owner, holder, nested.asContainer, walk.chain);
      return 'refused' in plan ? plan : { ...plan, value };
    }
    if (isMap(walk.container)) return this.insertPair(walk.container, rest[0] as string, nested.value, walk.chain, value);
    if (isSeq(walk.container)) return this.appendItem(walk.container, nested.value, walk.chain, value);
    return { refused: 'the manifest holds a single value where the path expects a mapping or list' };
  }

  /**
   * The value to add at the first absent segment: the field itself, or mappings (and a one-item list
   * for a merge-keyed item) around it. `asContainer`: the same, as the collection holding it.
   */
  private nested(rest: readonly string[], parentField: string, value: unknown, container: Node | null): { value: unknown; asContainer: unknown } | { refused: string } {
    let v = value;
    for (let j = rest.length - 1; j >= 1; j--) {
      const seg = rest[j] as string;
      const field = rest[j - 1] as string;
      if (this.namesItem(field, seg, j === rest.length - 1 ? value : undefined)) {
        if (j !== rest.length - 1) return { refused: `the list item ${seg} is not in the manifest; add it by hand` };
        v = [v];
      } else v = entry(seg, v);
    }
    const first = rest[0] as string;
    const firstIsItem = container === null ? this.namesItem(parentField, first, rest.length === 1 ? value : undefined) : isSeq(container);
    if (firstIsItem && rest.length > 1) return { refused: `the list item ${first} is not in the manifest; add it by hand` };
    return { value: v, asContainer: firstIsItem ? [v] : entry(first, v) };
  }

  /** Whether a segment names an item of the list held by `field` (a merge key `name=x`, or an index). */
  private namesItem(field: string, seg: string, sample: unknown): boolean {
    if (/^\d+$/.test(seg)) return listKeyFor(field, sample) !== undefined || ['args', 'command', 'finalizers'].includes(field);
    if (!seg.includes('=')) return false;
    const key = listKeyFor(field, sample);
    return key !== undefined && (sample === undefined || key.segmentOf(sample) === seg);
  }

  /** A quantity to spell an added one like: the same resource in the other of limits and requests (cpu and memory are spelled apart). */
  private quantityNeighbour(chain: readonly Level[], segments: readonly string[]): unknown {
    const n = segments.length;
    const name = segments[n - 1];
    const group = segments[n - 2];
    if (name === undefined || (group !== 'limits' && group !== 'requests')) return undefined;
    // chain[k] holds the node the first k segments lead to: `resources` is n - 2 deep.
    const resources = chain[n - 2]?.node;
    if (!isMap(resources)) return undefined;
    const other = resources.get(group === 'limits' ? 'requests' : 'limits', true);
    const same = isMap(other) ? other.get(name, true) : undefined;
    return isScalar(same) ? same.value : undefined;
  }

  // --- edits -------------------------------------------------------------------------------

  private splice(at: number, end: number, insert: string, value: unknown): EditPlan {
    return { splice: { at, remove: end - at, insert }, value, at };
  }

  private ownerCol(owner: Owner): number | undefined {
    if (owner.type === 'pair') return this.col(rangeOf(owner.pair.key as Node)[0]);
    if (owner.type === 'item') {
      const dash = this.dashOf(owner.seq, owner.index);
      return dash === undefined ? undefined : this.col(dash);
    }
    return 0;
  }

  private jsonStep(container: Node | null | undefined): number {
    // The indentation a pretty JSON file uses: its first nested line's column past its opener's line.
    if (!container?.range) return 0;
    const [start] = rangeOf(container);
    const nl = this.text.indexOf('\n', start);
    if (nl < 0 || nl > rangeOf(container)[1]) return 0;
    let i = nl + 1;
    while (this.text[i] === ' ') i++;
    return Math.max(0, this.col(i) - this.col(this.firstOnLine(start)));
  }

  private firstOnLine(p: number): number {
    let i = this.lineStart(p);
    while (this.text[i] === ' ' || this.text[i] === '\t') i++;
    return i;
  }

  /** A value in flow context (a flow collection, or a JSON file) written at `at`. */
  private flowValue(value: unknown, at: number, like: ScalarStyle | undefined, container: Node | null | undefined): string {
    if (this.target.layout.json) {
      const step = this.jsonStep(container);
      return jsonText(value, this.col(this.firstOnLine(at)), step);
    }
    if (value === null || typeof value !== 'object') return inlineScalar(value, { flow: true, json: false, like });
    return flowText(value);
  }

  private replace(owner: Owner, node: Node | null, value: unknown, chain: readonly Level[]): EditPlan {
    if (owner.type === 'root') return { refused: 'replacing a whole object is not a field edit' };
    const like = isScalar(node) ? (node.type as ScalarStyle | undefined) : undefined;
    const container = owner.type === 'pair' ? owner.map : owner.seq;
    const hasText = node !== null && node.range !== undefined && rangeOf(node)[0] < rangeOf(node)[1];
    if (this.flowAt(chain, container)) {
      if (!hasText || !node) {
        const colon = owner.type === 'pair' ? this.colonEnd(owner.pair) : undefined;
        if (colon === undefined) return { refused: 'cannot find where the value goes' };
        return this.splice(colon, colon, ` ${this.flowValue(value, colon, like, container)}`, value);
      }
      const [start, end] = rangeOf(node);
      return this.splice(start, end, this.flowValue(value, start, like, container), value);
    }
    const ownerCol = this.ownerCol(owner);
    if (ownerCol === undefined) return { refused: 'cannot find the list item in the text' };
    if (owner.type === 'item') return this.replaceItem(node, value, like, ownerCol);
    const colon = this.colonEnd(owner.pair);
    if (colon === undefined) return { refused: 'cannot find the `:` after the key' };
    // A flow collection stays flow.
    if (hasText && node && isFlow(node) && value !== null && typeof value === 'object') return this.splice(rangeOf(node)[0], rangeOf(node)[1], flowText(value), value);
    const oldIsBlock = (isMap(node) || isSeq(node)) && !node.flow;
    const oldIsBlockScalar = isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED');
    // A collection replaced by one of the same kind keeps its column; a literal block keeps its indentation.
    let col: number | undefined;
    if (oldIsBlock && node && ((isSeq(node) && Array.isArray(value)) || (isMap(node) && isRecord(value)))) col = this.col(rangeOf(node)[0]);
    if (oldIsBlockScalar && node) col = this.blockScalarIndent(node);
    const r = afterKey(value, ownerCol, this.target.layout, { ...(like ? { like } : {}), ...(col !== undefined ? { col } : {}) });
    const end = hasText && node ? this.contentEnd(node, colon) : colon;
    if ('inline' in r) {
      if (!hasText || !node) return this.splice(colon, colon, ` ${r.inline}`, value);
      if (oldIsBlock) return this.splice(colon, end, ` ${r.inline}`, value);
      return this.splice(rangeOf(node)[0], end, r.inline, value);
    }
    const body = r.body.replace(/\n$/, '');
    if (oldIsBlock && node && r.header === '' && this.onlySpacesBefore(rangeOf(node)[0])) {
      return this.splice(this.lineStart(rangeOf(node)[0]), end, body, value);
    }
    if (oldIsBlock || oldIsBlockScalar) return this.splice(colon, end, `${r.header}\n${body}`, value);
    // An inline value (or none) becomes lines below the key: an anchor before it and a comment after it
    // stay on the key's line.
    const lineEnd = this.lineEnd(end);
    const props = hasText && node ? this.text.slice(colon, rangeOf(node)[0]).trimEnd() : '';
    const rest = this.text.slice(end, lineEnd);
    return this.splice(colon, lineEnd, `${props}${r.header}${rest}\n${body}`, value);
  }

  /** The column of a block scalar's content lines. */
  private blockScalarIndent(node: Node): number | undefined {
    const [start, end] = rangeOf(node);
    let i = this.nextLine(start);
    while (i < end) {
      const line = this.text.slice(i, this.lineEnd(i));
      if (line.trim() !== '') return line.length - line.trimStart().length;
      i = this.nextLine(i);
    }
    return undefined;
  }

  private replaceItem(node: Node | null, value: unknown, like: ScalarStyle | undefined, dashCol: number): EditPlan {
    if (!node?.range) return { refused: 'cannot find the list item in the text' };
    const [start] = rangeOf(node);
    const end = this.contentEnd(node, start);
    const col = this.col(start);
    if (typeof value === 'string' && value.includes('\n')) {
      const item = blockItem(value, dashCol, this.target.layout);
      return this.splice(start, end, item.slice(dashCol + 2).replace(/\n$/, ''), value);
    }
    if (!needsBlock(value)) {
      const text = value !== null && typeof value === 'object' ? flowText(value) : inlineScalar(value, { flow: false, json: false, like });
      return this.splice(start, end, text, value);
    }
    return this.splice(start, end, blockAt(value, col, this.target.layout), value);
  }

  private insertPair(map: YAMLMap, key: string, value: unknown, chain: readonly Level[], written: unknown): EditPlan {
    if (this.flowAt(chain, map)) {
      const json = this.target.layout.json;
      const [open] = rangeOf(map);
      const last = map.items[map.items.length - 1];
      if (!last) {
        const text = `${keyText(key, true, json)}: ${this.flowValue(value, open, undefined, map)}`;
        return this.splice(open + 1, open + 1, text, written);
      }
      const first = map.items[0] as Pair;
      const firstKey = rangeOf(first.key as Node)[0];
      const end = this.pairEnd(last);
      const multiLine = this.text.slice(open, firstKey).includes('\n');
      const at = multiLine ? firstKey : end;
      const entry = `${keyText(key, true, json)}: ${this.flowValue(value, at, undefined, map)}`;
      const text = multiLine ? `,\n${' '.repeat(this.col(firstKey))}${entry}` : `, ${entry}`;
      return this.splice(end, end, text, written);
    }
    const first = map.items[0];
    if (!first) return { refused: 'cannot find where the mapping is in the text' };
    const keyCol = this.col(rangeOf(first.key as Node)[0]);
    const last = map.items[map.items.length - 1] as Pair;
    const end = this.pairEnd(last);
    const lines = blockPair(key, value, keyCol, this.target.layout);
    const at = this.nextLine(end);
    if (at === this.text.length && !this.text.endsWith('\n')) return this.splice(at, at, `\n${lines.replace(/\n$/, '')}`, written);
    return this.splice(at, at, lines, written);
  }

  private appendItem(seq: YAMLSeq, value: unknown, chain: readonly Level[], written: unknown): EditPlan {
    if (this.flowAt(chain, seq)) {
      const [open] = rangeOf(seq);
      const last = seq.items[seq.items.length - 1] as Node | null | undefined;
      if (!last) return this.splice(open + 1, open + 1, this.flowValue(value, open, undefined, seq), written);
      const firstStart = rangeOf(seq.items[0] as Node)[0];
      const end = this.contentEnd(last, firstStart);
      const multiLine = this.text.slice(open, firstStart).includes('\n');
      const text = this.flowValue(value, multiLine ? firstStart : end, undefined, seq);
      return this.splice(end, end, multiLine ? `,\n${' '.repeat(this.col(firstStart))}${text}` : `, ${text}`, written);
    }
    const dash = this.dashOf(seq, 0);
    if (dash === undefined || !this.onlySpacesBefore(dash)) return { refused: 'cannot find the list in the text' };
    const last = seq.items[seq.items.length - 1] as Node | null;
    const end = this.contentEnd(last, dash + 1);
    // A new item is written like the first one: `- name` or `-   name`.
    const first = seq.items[0] as Node | null;
    const gap = first?.range && this.lineStart(rangeOf(first)[0]) === this.lineStart(dash) ? rangeOf(first)[0] - dash : 2;
    const lines = blockItem(value, this.col(dash), this.target.layout, gap);
    const at = this.nextLine(end);
    if (at === this.text.length && !this.text.endsWith('\n')) return this.splice(at, at, `\n${lines.replace(/\n$/, '')}`, written);
    return this.splice(at, at, lines, written);
  }

  private remove(owner: Owner, chain: readonly Level[]): EditPlan {
    if (owner.type === 'root') return { refused: 'removing a whole object is not a field edit' };
    const parent = chain[chain.length - 1];
    if (owner.type === 'pair') {
      const { map, pair } = owner;
      const index = map.items.indexOf(pair);
      if (this.flowAt(chain, map)) return this.removeFlow(map.items.map((p) => [rangeOf(p.key as Node)[0], this.pairEnd(p)] as const), index, map);
      if (map.items.length === 1 && parent) return this.emptied(parent, chain, {});
      const start = rangeOf(pair.key as Node)[0];
      const end = this.pairEnd(pair);
      if (this.onlySpacesBefore(start)) return this.splice(this.lineStart(start), this.nextLine(end), '', undefined);
      // The first key of a list item, on the `- ` line: the next key moves up to take its place.
      const next = map.items[index + 1];
      if (index === 0 && next) return this.splice(start, rangeOf(next.key as Node)[0], '', undefined);
      return { refused: 'cannot remove this key cleanly from the text' };
    }
    const { seq, index } = owner;
    if (this.flowAt(chain, seq)) {
      return this.removeFlow(
        seq.items.map((item) => {
          const node = item as Node;
          return [rangeOf(node)[0], this.contentEnd(node, rangeOf(node)[0])] as const;
        }),
        index,
        seq,
      );
    }
    if (seq.items.length === 1 && parent) return this.emptied(parent, chain, []);
    const dash = this.dashOf(seq, index);
    if (dash === undefined || !this.onlySpacesBefore(dash)) return { refused: 'cannot remove this list item cleanly from the text' };
    const item = seq.items[index] as Node;
    return this.splice(this.lineStart(dash), this.nextLine(this.contentEnd(item, dash + 1)), '', undefined);
  }

  /** The last key or item removed: the collection is written empty (`{}` or `[]`). */
  private emptied(parent: Level, chain: readonly Level[], empty: unknown): EditPlan {
    const plan = this.replace(parent.owner, parent.node, empty, chain.slice(0, -1));
    return 'refused' in plan ? plan : { ...plan, value: undefined };
  }

  private removeFlow(items: readonly (readonly [number, number])[], index: number, container: Node): EditPlan {
    const item = items[index];
    if (!item) return { refused: 'cannot find the item in the text' };
    const next = items[index + 1];
    const prev = items[index - 1];
    if (next) return this.splice(item[0], next[0], '', undefined);
    if (prev) return this.splice(prev[1], item[1], '', undefined);
    const [open, close] = rangeOf(container);
    // The only entry: the collection is left empty, `{}` or `[]`.
    return this.splice(open + 1, close - 1, '', undefined);
  }
}

/** Plans one field's edit in a document's text; a refusal says why, for a person. */
export function planEdit(target: EditTarget, edit: FieldEdit): EditPlan {
  return new Editor(target).plan(edit);
}

/**
 * How a document lays out its block collections: the indentation of the first nested mapping and of
 * the first sequence under a key. Defaults: two spaces, sequences indented like mappings.
 */
export function layoutOf(doc: Document.Parsed, text: string, json: boolean): Layout {
  let step: number | undefined;
  let seqIndent: number | undefined;
  const col = (p: number): number => p - (text.lastIndexOf('\n', p - 1) + 1);
  visit(doc, {
    Pair(_k, pair) {
      const key = pair.key as Node | null;
      const value = pair.value as Node | null;
      if (!key?.range || !value?.range) return undefined;
      if (step === undefined && isMap(value) && !value.flow && value.items.length > 0) {
        const first = value.items[0]?.key as Node | null;
        if (first?.range) step = col(rangeOf(first)[0]) - col(rangeOf(key)[0]);
      }
      if (seqIndent === undefined && isSeq(value) && !value.flow && value.items.length > 0) {
        seqIndent = col(rangeOf(value)[0]) - col(rangeOf(key)[0]);
      }
      return step !== undefined && seqIndent !== undefined ? visit.BREAK : undefined;
    },
  });
  const s = step !== undefined && step > 0 ? step : 2;
  return { step: s, seqIndent: seqIndent !== undefined && seqIndent >= 0 ? seqIndent : s, json };
}
