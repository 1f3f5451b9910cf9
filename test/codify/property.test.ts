/**
 * Codify's promise, over generated manifests and generated drift: the patch `git apply`s; read again,
 * the manifest holds the live value of every codified field (and nothing else changed in the object);
 * the other documents of the file are byte-identical; and every line the codified fields do not own
 * (comments included) is still there, in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { codify } from '../../src/codify/codify.js';
import type { FieldToCodify } from '../../src/codify/types.js';
import { diffObjects } from '../../src/drift/diff.js';
import { manifestChunks, manifestNodeValue, parseManifestYaml } from '../../src/drift/manifest-parser.js';
import { listKeyFor } from '../../src/drift/merge-keys.js';
import { quantitiesEqual } from '../../src/drift/quantity.js';
import { escapeSegment, parsePointer, resolvePointer, valueAtPath } from '../../src/drift/pointer.js';
import { parseManifests } from '../../src/drift/sources/manifests.js';
import type { DifferenceKind, KubeObject, ObjectRef } from '../../src/drift/types.js';
import { canonicalJson, isRecord } from '../../src/json.js';
import { gitApply, gitRepo, readText, removeRepo } from './git.js';

type Obj = Record<string, unknown>;


// ---------------------------------------------------------------------------------------------
// Values

const TRICKY = [
  'yes', 'no', 'on', 'off', 'y', 'true', 'False', 'null', '~', '1.10', '0644', '0o17', '1e3', '1_000', '.5', '-1', '',
  ' lead', 'trail ', 'a: b', 'x #y', '#c', '- a', '-Xmx512m', '*star', '&amp', '!bang', '{a}', '[b]', "it's", 'say "hi"',
  'multi\nline\n', 'multi\nline', 'two\n\nblank\n', 'tab\there', 'ünïcödé ✓', '---', '...', '@at', '`tick`', '%pct', 'a,b',
  'http://x:80/y', 'C:\\path', '<<', '\u0007bell', 'line\u2028sep', 'end:', ' ', 'key=value',
];
const text = fc.oneof(fc.constantFrom(...TRICKY), fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/), fc.string({ unit: 'grapheme', maxLength: 8 }));
const MEMORY = ['128Mi', '512Mi', '1Gi', '1024Mi', '2Gi', '1G', '500M', '1536Mi', 268435456];
const CPU = ['100m', '250m', '500m', '1', '2', 0.5, 1, '1500m', '0.25'];
const IMAGES = ['nginx:1.25', 'registry.example.com/shop/api:1.8.0', 'envoyproxy/envoy:v1.29.1', 'busybox', 'ghcr.io/x/y@sha256:abc'];
const ANNOTATION_KEYS = ['team', 'example.com/owner', 'a.b_c-d', 'x', 'prometheus.io/scrape', 'yes'];
const DATA_KEYS = ['config.yaml', 'KEY_1', 'x', 'app.properties', 'true', 'log-level'];
const ENV_NAMES = ['A', 'LOG_LEVEL', 'DEBUG', 'X_Y'];

const orNothing = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const container = fc.record(
  {
    name: fc.constantFrom('api', 'proxy', 'worker', 'db-init'),
    image: fc.constantFrom(...IMAGES),
    args: fc.array(text, { maxLength: 3 }),
    env: fc.uniqueArray(fc.record({ name: fc.constantFrom(...ENV_NAMES), value: text }), { selector: (e) => e.name, maxLength: 3 }),
    ports: fc.uniqueArray(fc.record({ containerPort: fc.constantFrom(80, 8080, 9090), protocol: orNothing(fc.constantFrom('TCP', 'UDP')) }), {
      selector: (p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`,
      maxLength: 2,
    }),
    resources: orNothing(fc.record({ limits: fc.record({ cpu: fc.constantFrom(...CPU), memory: fc.constantFrom(...MEMORY) }) })),
  },
  { requiredKeys: ['name', 'image'] },
);

function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (!isRecord(value)) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0 && k !== 'args')) continue;
    out[k] = clean(v);
  }
  return out;
}

function deployment(name: string, namespace: string | undefined, annotations: Obj | undefined, replicas: number, containers: Obj[]): KubeObject {
  const labels = { app: name };
  return clean({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, ...(namespace ? { namespace } : {}), labels, ...(annotations && Object.keys(annotations).length ? { annotations } : {}) },
    spec: { replicas, selector: { matchLabels: { ...labels } }, template: { metadata: { labels: { ...labels } }, spec: { containers } } },
  }) as KubeObject;
}

const object = (i: number): fc.Arbitrary<KubeObject> =>
  fc.oneof(
    fc
      .tuple(orNothing(fc.constantFrom('shop', 'default')), orNothing(fc.dictionary(fc.constantFrom(...ANNOTATION_KEYS), text, { maxKeys: 2 })), fc.integer({ min: 1, max: 20 }), fc.uniqueArray(container, { selector: (c) => c.name, minLength: 1, maxLength: 3 }))
      .map(([ns, ann, replicas, cs]) => deployment(`web-${i}`, ns, ann, replicas, cs as Obj[])),
    fc.tuple(orNothing(fc.constantFrom('shop')), fc.dictionary(fc.constantFrom(...DATA_KEYS), text, { minKeys: 1, maxKeys: 4 })).map(
      ([ns, data]) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `settings-${i}`, ...(ns ? { namespace: ns } : {}) }, data }) as KubeObject,
    ),
    fc.constantFrom(80, 443).map(
      (port) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: 'shop' }, spec: { selector: { app: `web-${i}` }, ports: [{ port, targetPort: 8080 }] } }) as KubeObject,
    ),
  );

// ---------------------------------------------------------------------------------------------
// A YAML writer of its own (not the one under test), recording which path each line belongs to

interface Style {
  step: number;
  seqIndent: number;
  /** Where an item's content starts past its dash: 2 for `- name`, 4 for `-   name`. */
  gap: number;
  anchors: boolean;
  choices: number[];
}

interface Line {
  text: string;
  /** The pair or item the line belongs to; comment lines: the pair they stand before. */
  path: string;
  comment: boolean;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

const PLAIN_SAFE = /^[A-Za-z_][A-Za-z0-9_./-]*(?::[A-Za-z0-9_./@-]+)*$/;
const YAML11_WORDS = /^(?:y|n|yes|no|on|off|true|false|null)$/i;

function dq(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

class Writer {
  readonly lines: Line[] = [];
  private comments = 0;

  constructor(
    private readonly style: Style,
    private readonly shared: ReadonlyMap<string, { anchor?: string; alias?: string }>,
    private readonly prefix: string,
  ) {}

  choose(path: string, what: string, n: number): number {
    return (this.style.choices[hash(`${this.prefix}${path}${what}`) % this.style.choices.length] ?? 0) % n;
  }

  scalar(v: unknown, path: string, flow: boolean): string {
    if (typeof v !== 'string') return v === null ? 'null' : String(v);
    const q = this.choose(path, 'q', 3);
    if (q === 0 && PLAIN_SAFE.test(v) && !YAML11_WORDS.test(v) && !(flow && v.includes(':'))) return v;
    if (q === 1 && /^[\x20-\x7e]*$/.test(v)) return `'${v.replace(/'/g, "''")}'`;
    return dq(v);
  }

  flow(v: unknown, path: string): string {
    if (Array.isArray(v)) return `[${v.map((x, i) => this.flow(x, `${path}/${i}`)).join(', ')}]`;
    if (isRecord(v)) return `{${Object.keys(v).map((k) => `${PLAIN_SAFE.test(k) && !YAML11_WORDS.test(k) ? k : dq(k)}: ${this.flow(v[k], `${path}/${escapeSegment(k)}`)}`).join(', ')}}`;
    return this.scalar(v, path, true);
  }

  private push(text: string, path: string, comment = false): void {
    this.lines.push({ text, path, comment });
  }

  /** A literal block for a multi-line string, when one holds it exactly. */
  private literal(v: string, col: number): string[] | undefined {
    // eslint-disable-next-line no-control-regex -- characters a literal block cannot hold
    if (!v.includes('\n') || /[\r\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/.test(v)) return undefined;
    const body = v.endsWith('\n') ? v.slice(0, -1) : v;
    if (body.endsWith('\n') || body === '' || body.startsWith(' ') || body.startsWith('\n')) return undefined;
    const lines = body.split('\n');
    if (lines.some((l) => l !== '' && l.trim() === '')) return undefined;
    return [v.endsWith('\n') ? '|' : '|-', ...lines.map((l) => (l === '' ? '' : `${' '.repeat(col)}${l}`))];
  }

  pairs(obj: Obj, col: number, path: string, firstOnDash = false): void {
    Object.keys(obj).forEach((k, index) => {
      const p = `${path}/${escapeSegment(k)}`;
      const v = obj[k];
      const key = PLAIN_SAFE.test(k) && !YAML11_WORDS.test(k) ? k : dq(k);
      const pad = ' '.repeat(col);
      if (!(firstOnDash && index === 0) && this.choose(p, 'c', 4) === 0) this.push(`${pad}# c${++this.comments} about ${k}`, p, true);
      const shared = this.shared.get(p);
      if (shared?.alias) return this.push(`${pad}${key}: *${shared.alias}`, p);
      const anchor = shared?.anchor ? ` &${shared.anchor}` : '';
      const trail = this.choose(p, 't', 4) === 0 ? `  # t${++this.comments}` : '';
      if (typeof v === 'string' && this.choose(p, 'b', 2) === 0) {
        const literal = this.literal(v, col + this.style.step);
        if (literal) {
          this.push(`${pad}${key}:${anchor} ${literal[0]}`, p);
          for (const l of literal.slice(1)) this.push(l, p);
          return;
        }
      }
      if (v === null || typeof v !== 'object') return this.push(`${pad}${key}:${anchor} ${this.scalar(v, p, false)}${trail}`, p);
      const empty = Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
      const holdsShared = [...this.shared.keys()].some((s) => s.startsWith(`${p}/`));
      if (empty || (this.choose(p, 'f', 3) === 0 && !anchor && !holdsShared && (Array.isArray(v) ? v.every((x) => !isRecord(x)) : true))) {
        return this.push(`${pad}${key}:${anchor} ${this.flow(v, p)}${trail}`, p);
      }
      this.push(`${pad}${key}:${anchor}`, p);
      if (Array.isArray(v)) this.items(v, col + this.style.seqIndent, p, k);
      else this.pairs(v as Obj, col + this.style.step, p);
    });
  }

  items(list: readonly unknown[], dashCol: number, path: string, field: string): void {
    const key = listKeyFor(field, list.find(isRecord));
    list.forEach((item, i) => {
      const p = `${path}/${escapeSegment(key?.segmentOf(item) ?? String(i))}`;
      if (!isRecord(item) || Object.keys(item).length === 0) {
        this.push(`${' '.repeat(dashCol)}- ${isRecord(item) ? '{}' : this.scalar(item, p, false)}`, p);
        return;
      }
      const start = this.lines.length;
      const col = dashCol + this.style.gap;
      this.pairs(item, col, p, true);
      const first = this.lines[start] as Line;
      first.text = `${' '.repeat(dashCol)}-${' '.repeat(this.style.gap - 1)}${first.text.slice(col)}`;
    });
  }
}

const SHARED_LABELS = new Map([
  ['/metadata/labels', { anchor: 'labels' }],
  ['/spec/selector/matchLabels', { alias: 'labels' }],
  ['/spec/template/metadata/labels', { alias: 'labels' }],
]);

interface File {
  text: string;
  lines: Line[];
  /** Index of the target document's chunk. */
  target: number;
}

function writeFile(objects: readonly KubeObject[], target: number, style: Style, header: boolean): File {
  const lines: Line[] = [];
  if (header) lines.push({ text: '# generated for a codify property test', path: '', comment: true });
  objects.forEach((o, i) => {
    if (i > 0 || header) lines.push({ text: '---', path: '---', comment: false });
    const shared = style.anchors && o['kind'] === 'Deployment' ? SHARED_LABELS : new Map();
    const w = new Writer(style, shared, `doc${i}`);
    if (w.choose('', 'h', 2) === 0) lines.push({ text: `# document ${i}`, path: i === target ? '' : `other${i}`, comment: true });
    w.pairs(o, 0, '');
    lines.push(...w.lines.map((l) => (i === target ? l : { ...l, path: `other${i}:${l.path}` })));
  });
  return { text: `${lines.map((l) => l.text).join('\n')}\n`, lines, target: header ? target : target };
}

// ---------------------------------------------------------------------------------------------
// Drift

interface Op {
  path: string;
  kind: DifferenceKind;
  live: unknown;
  /** Goes through the shared labels anchor: Stopgap must refuse it. */
  shared: boolean;
}

function setAt(obj: KubeObject, path: string, kind: DifferenceKind, value: unknown): void {
  const segments = parsePointer(path);
  const parentSegments = segments.slice(0, -1);
  const last = segments[segments.length - 1] as string;
  let parent = resolvePointer(obj, parentSegments);
  if (parent === undefined) {
    // A missing map or list around an added field: the parent's parent holds it.
    const holder = resolvePointer(obj, parentSegments.slice(0, -1)) as Obj;
    const field = parentSegments[parentSegments.length - 1] as string;
    holder[field] = listKeyFor(field, value) ? [] : {};
    parent = holder[field];
  }
  if (Array.isArray(parent)) {
    const field = parentSegments[parentSegments.length - 1] as string;
    const trace = { indexes: [] as number[], items: [] as unknown[] };
    resolvePointer({ [field]: parent }, [field, last], trace);
    const i = trace.indexes[1] ?? -1;
    if (kind === 'missing') parent.splice(i, 1);
    else if (i >= 0 && i < parent.length) parent[i] = value;
    else parent.push(value);
  } else if (isRecord(parent)) {
    if (kind === 'missing') delete parent[last];
    else parent[last] = value;
  }
}

interface Values {
  ints: number[];
  texts: string[];
  memory: (string | number)[];
  cpu: (string | number)[];
  picks: number[];
}

function candidates(o: KubeObject, v: Values, anchors: boolean): Op[] {
  const t = (i: number) => v.texts[i % v.texts.length] as string;
  const out: Op[] = [];
  const kind = o['kind'];
  const metadata = o['metadata'] as Obj;
  const annotations = metadata['annotations'] as Obj | undefined;
  for (const [i, k] of Object.keys(annotations ?? {}).entries()) {
    out.push({ path: `/metadata/annotations/${escapeSegment(k)}`, kind: 'changed', live: t(i), shared: false });
    out.push({ path: `/metadata/annotations/${escapeSegment(k)}`, kind: 'missing', live: undefined, shared: false });
  }
  const newAnnotation = ANNOTATION_KEYS.find((k) => !(annotations && k in annotations));
  if (newAnnotation) out.push({ path: `/metadata/annotations/${escapeSegment(newAnnotation)}`, kind: 'extra', live: t(7), shared: false });
  if (kind === 'Deployment') {
    out.push({ path: '/spec/replicas', kind: 'changed', live: v.ints[0], shared: false });
    out.push({ path: '/metadata/labels/app', kind: 'changed', live: 'renamed', shared: anchors });
    const containers = ((o['spec'] as Obj)['template'] as Obj)['spec'] as { containers: Obj[] };
    for (const [ci, c] of containers.containers.entries()) {
      const base = `/spec/template/spec/containers/name=${c['name'] as string}`;
      out.push({ path: `${base}/image`, kind: 'changed', live: IMAGES[(ci + 1) % IMAGES.length], shared: false });
      if (Array.isArray(c['args'])) out.push({ path: `${base}/args`, kind: 'changed', live: [t(ci), t(ci + 3)], shared: false });
      const env = (c['env'] as Obj[] | undefined) ?? [];
      for (const [ei, e] of env.entries()) {
        out.push({ path: `${base}/env/name=${e['name'] as string}/value`, kind: 'changed', live: t(ei + 2), shared: false });
        out.push({ path: `${base}/env/name=${e['name'] as string}`, kind: 'missing', live: undefined, shared: false });
      }
      const newEnv = ENV_NAMES.find((n) => !env.some((e) => e['name'] === n));
      if (newEnv) out.push({ path: `${base}/env/name=${newEnv}`, kind: 'extra', live: { name: newEnv, value: t(ci + 5) }, shared: false });
      const limits = (c['resources'] as { limits?: Obj } | undefined)?.limits;
      if (limits) {
        out.push({ path: `${base}/resources/limits/memory`, kind: 'changed', live: v.memory[ci % v.memory.length], shared: false });
        out.push({ path: `${base}/resources/limits/cpu`, kind: 'changed', live: v.cpu[ci % v.cpu.length], shared: false });
      }
      if (containers.containers.length > 1) out.push({ path: base, kind: 'missing', live: undefined, shared: false });
    }
  } else if (kind === 'ConfigMap') {
    const data = o['data'] as Obj;
    for (const [i, k] of Object.keys(data).entries()) {
      out.push({ path: `/data/${escapeSegment(k)}`, kind: 'changed', live: t(i + 1), shared: false });
      out.push({ path: `/data/${escapeSegment(k)}`, kind: 'missing', live: undefined, shared: false });
    }
    const newKey = DATA_KEYS.find((k) => !(k in data));
    if (newKey) out.push({ path: `/data/${escapeSegment(newKey)}`, kind: 'extra', live: t(9), shared: false });
  } else {
    const port = ((o['spec'] as Obj)['ports'] as Obj[])[0] as Obj;
    out.push({ path: `/spec/ports/port=${port['port'] as number},protocol=TCP/targetPort`, kind: 'changed', live: v.ints[1] === 0 ? 'http' : v.ints[1], shared: false });
  }
  return out;
}

/** The chosen operations, none inside another, none that changes nothing. */
function chooseOps(o: KubeObject, v: Values, anchors: boolean): Op[] {
  const all = candidates(o, v, anchors);
  const chosen: Op[] = [];
  for (const pick of v.picks) {
    const op = all[pick % all.length] as Op;
    const overlaps = chosen.some((c) => c.path === op.path || c.path.startsWith(`${op.path}/`) || op.path.startsWith(`${c.path}/`));
    if (overlaps) continue;
    const now = valueAtPath(o, op.path);
    if (op.kind === 'changed' && (canonicalJson(now) === canonicalJson(op.live) || quantitiesEqual(now, op.live))) continue;
    chosen.push(op);
  }
  return chosen;
}

// ---------------------------------------------------------------------------------------------
// What must hold

function parentPath(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

/** Original lines an operation may change (or remove). */
function owned(lines: readonly Line[], op: Op): Set<number> {
  const out = new Set<number>();
  const under = (l: Line, p: string) => l.path === p || l.path.startsWith(`${p}/`);
  // A field with no line of its own (inside a flow collection) owns its nearest ancestor's line.
  let p = op.path;
  for (;;) {
    lines.forEach((l, i) => {
      if (under(l, p) && (op.kind === 'missing' || !l.comment)) out.add(i);
    });
    if (out.size > 0 || p === '') break;
    p = parentPath(p);
  }
  if (op.kind === 'extra') {
    // Added: only a flow collection's line (or none) changes.
    for (const i of [...out]) {
      const l = lines[i] as Line;
      if (l.path !== p || !/[[{]/.test(l.text)) out.delete(i);
    }
  }
  if (op.kind === 'missing') {
    // The last key or item gone: the collection is written empty on its key's line.
    const parent = lines.findIndex((l) => !l.comment && l.path === parentPath(op.path));
    if (parent >= 0) out.add(parent);
  }
  return out;
}

function isSubsequence(kept: readonly string[], all: readonly string[]): string | undefined {
  let j = 0;
  for (const line of kept) {
    while (j < all.length && all[j] !== line) j++;
    if (j === all.length) return line;
    j++;
  }
  return undefined;
}

const styleArb = fc.record({
  step: fc.constantFrom(2, 4),
  seqIndentSame: fc.boolean(),
  gap: fc.constantFrom(2, 2, 4),
  anchors: fc.boolean(),
  header: fc.boolean(),
  choices: fc.array(fc.nat(), { minLength: 32, maxLength: 32 }),
});

const scenario = fc
  .tuple(fc.integer({ min: 1, max: 3 }), styleArb)
  .chain(([n, style]) =>
    fc.tuple(
      fc.tuple(...Array.from({ length: n }, (_, i) => object(i))),
      fc.nat({ max: n - 1 }),
      fc.constant(style),
      fc.record({
        ints: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 2, maxLength: 2 }),
        texts: fc.array(text, { minLength: 10, maxLength: 10 }),
        memory: fc.array(fc.constantFrom(...MEMORY), { minLength: 3, maxLength: 3 }),
        cpu: fc.array(fc.constantFrom(...CPU), { minLength: 3, maxLength: 3 }),
        picks: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
      }),
    ),
  );

describe('codify, over generated manifests and drift', () => {
  it('writes every codified field exactly, and keeps every other byte of the file', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ([objects, target, s, values]) => {
        const style: Style = { step: s.step, seqIndent: s.seqIndentSame ? s.step : 0, gap: s.gap, anchors: s.anchors, choices: s.choices };
        const file = writeFile(objects, target, style, s.header);
        const desired = objects[target] as KubeObject;
        // The writer must itself write what it meant: the scanner reads the objects back.
        const read = parseManifests(file.text, 'apps/mixed.yaml');
        expect(read.problems).toEqual([]);
        expect(read.manifests.map((m) => canonicalJson(m.object))).toEqual(objects.map((o) => canonicalJson(o)));
        const ops = chooseOps(desired, values, s.anchors);
        fc.pre(ops.length > 0);
        const meta = desired['metadata'] as Obj;
        const ref: ObjectRef = { group: desired['kind'] === 'Deployment' ? 'apps' : '', version: 'v1', kind: desired['kind'] as string, namespace: (meta['namespace'] as string | undefined) ?? 'default', name: meta['name'] as string };
        const fields: FieldToCodify[] = ops.map((op) => ({ path: op.path, kind: op.kind, live: op.live, desired: valueAtPath(desired, op.path), sensitive: false }));
        const dir = gitRepo({ 'apps/mixed.yaml': file.text });
        try {
          await check(dir, file, objects, target, desired, ref, ops, fields);
        } finally {
          removeRepo(dir);
        }
      }),
      { numRuns: 120 },
    );
  }, 120_000);
});

async function check(dir: string, file: File, objects: readonly KubeObject[], target: number, desired: KubeObject, ref: ObjectRef, ops: readonly Op[], fields: FieldToCodify[]): Promise<void> {
  const result = await codify({ root: dir, objects: [{ ref, source: 'directory', fields }] });

  // Every field is written, except those behind the shared anchor, which are explained.
  for (const op of ops) {
    const written = result.written.some((w) => w.path === op.path);
    const refusal = result.notWritten.find((n) => n.path === op.path);
    if (op.shared) expect(refusal?.reason, op.path).toMatch(/anchor|alias/);
    else expect({ path: op.path, written, refusal: refusal?.reason }).toEqual({ path: op.path, written: true, refusal: undefined });
  }
  const writtenOps = ops.filter((op) => !op.shared);
  if (writtenOps.length === 0) {
    expect(result.patch).toBe('');
    return;
  }
  expect(result.files).toEqual(['apps/mixed.yaml']);
  gitApply(dir, result.patch);
  const after = readText(dir, 'apps/mixed.yaml');

  // Read again: the object holds the live values, and is otherwise as declared.
  const reread = parseManifests(after, 'apps/mixed.yaml');
  expect(reread.problems).toEqual([]);
  const now = reread.manifests[target]?.object as KubeObject;
  const expected = structuredClone(desired);
  for (const op of writtenOps) {
    setAt(expected, op.path, op.kind, op.live);
    const value = valueAtPath(now, op.path);
    if (op.kind === 'missing') expect(value, op.path).toBeUndefined();
    else if (op.path.includes('/resources/')) expect(quantitiesEqual(value, op.live), `${op.path}: ${String(value)} for ${String(op.live)}`).toBe(true);
    else expect(canonicalJson(value), op.path).toBe(canonicalJson(op.live));
  }
  expect(diffObjects(expected, now).differences).toEqual([]);
  expect(diffObjects(now, expected).differences).toEqual([]);

  // The other documents are byte-identical.
  const chunksBefore = manifestChunks(file.text).map((c) => file.text.slice(c.start, c.end));
  const chunksAfter = manifestChunks(after).map((c) => after.slice(c.start, c.end));
  expect(chunksAfter.length).toBe(chunksBefore.length);
  chunksBefore.forEach((c, i) => {
    if (i !== target) expect(chunksAfter[i]).toBe(c);
  });

  // Every line the fields do not own is still there, in order; trailing comments survive edits.
  const allowed = new Set<number>();
  for (const op of writtenOps) for (const i of owned(file.lines, op)) allowed.add(i);
  const kept = file.lines.filter((_, i) => !allowed.has(i)).map((l) => l.text);
  expect(isSubsequence(kept, after.split('\n')), 'a line the codified fields do not own was lost').toBeUndefined();
  for (const op of writtenOps.filter((o) => o.kind === 'changed')) {
    for (const l of file.lines.filter((x) => x.path === op.path)) {
      const comment = /# t\d+$/.exec(l.text)?.[0];
      if (comment) expect(after, `${op.path} kept its comment`).toContain(comment);
    }
  }
  // Quoting follows the scalar it replaces: plain stays plain, quotes stay quotes, where the value allows.
  for (const op of writtenOps.filter((o) => o.kind === 'changed' && typeof o.live === 'string')) {
    const was = scalarStyle(file.text, target, op.path);
    const is = scalarStyle(after, target, op.path);
    const live = op.live as string;
    if (was === undefined || is === undefined) continue;
    const plain = PLAIN_SAFE.test(live) && !YAML11_WORDS.test(live) && !(was.flow && live.includes(':'));
    // Single quotes hold anything printable on one line.
    // eslint-disable-next-line no-control-regex -- what single quotes cannot hold
    const single = !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(live);
    const expectedStyle =
      was.type === 'QUOTE_DOUBLE' ? 'QUOTE_DOUBLE'
      : was.type === 'QUOTE_SINGLE' ? (single ? 'QUOTE_SINGLE' : 'QUOTE_DOUBLE')
      : was.type === 'PLAIN' && plain ? 'PLAIN'
      : undefined;
    if (expectedStyle) expect(`${op.path}: ${is.type}`).toBe(`${op.path}: ${expectedStyle}`);
  }
}

/** The style of the scalar at a path of a file's `target` document, and whether it sits in a flow collection (undefined: not a scalar of its own). */
function scalarStyle(text: string, target: number, path: string): { type: string | undefined; flow: boolean } | undefined {
  const chunk = manifestChunks(text)[target];
  if (!chunk) return undefined;
  const doc = parseManifestYaml(text.slice(chunk.start, chunk.end))[0];
  if (!doc) return undefined;
  let node = doc.contents as Node | null;
  let flow = false;
  const segments = parsePointer(path);
  for (const [i, seg] of segments.entries()) {
    if ((isMap(node) || isSeq(node)) && node.flow) flow = true;
    if (isMap(node)) node = node.get(seg, true) as Node | null;
    else if (isSeq(node)) {
      const field = segments[i - 1] ?? '';
      const list = manifestNodeValue(node, doc);
      const key = listKeyFor(field, Array.isArray(list) ? list.find(isRecord) : undefined);
      node = (node.items.find((item) => key?.segmentOf(manifestNodeValue(item as Node, doc)) === seg) as Node | undefined) ?? null;
    } else return undefined;
  }
  return isScalar(node) && typeof node.value === 'string' ? { type: node.type, flow } : undefined;
}
