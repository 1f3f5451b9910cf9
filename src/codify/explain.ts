/**
 * Words for fields Stopgap cannot write: a path as a person reads it, a value as it would be typed,
 * and, for objects that come from a Helm chart or a kustomize overlay, a guess at the values key or
 * patch that sets the field.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifestText } from '../drift/manifest-parser.js';
import { listKeyFor } from '../drift/merge-keys.js';
import { parsePointer, resolvePointer, toPointer } from '../drift/pointer.js';
import { describeRef } from '../drift/sources/source.js';
import type { ObjectRef } from '../drift/types.js';
import { isRecord } from '../json.js';
import type { FieldToCodify, UnwrittenField } from './types.js';
import type { ChartInfo, DirectoryLayout, KustomizationInfo } from './layout.js';
import { flowText, inlineScalar } from './render.js';

/** What a patch holds instead of a Secret value. */
export const SECRET_PLACEHOLDER = '<set through your secret mechanism: sealed-secrets / external-secrets>';

/** `/spec/template/spec/containers/name=api/image` → `spec.template.spec.containers[name=api].image`. */
export function readablePath(path: string): string {
  let segments: string[];
  try {
    segments = parsePointer(path);
  } catch {
    return path;
  }
  if (segments.length === 0) return '(the whole object)';
  let out = '';
  segments.forEach((seg, i) => {
    const field = segments[i - 1] ?? '';
    const item = (/^\d+$/.test(seg) && i > 0) || (seg.includes('=') && listKeyFor(field, undefined) !== undefined) || (seg.includes('=') && field === 'ports');
    if (item) out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  });
  return out;
}

/** A value as a person would type it into YAML; never a sensitive one. */
export function showValue(field: Pick<FieldToCodify, 'live' | 'sensitive'>): string {
  if (field.sensitive) return 'its new value (a secret: through your secret mechanism)';
  const text = field.live !== null && typeof field.live === 'object' ? flowText(field.live) : inlineScalar(field.live, { flow: false, json: false });
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/** What to do with a field, in words: `set spec.replicas to 10`, `remove metadata.annotations.x`. */
export function whatToDo(field: FieldToCodify): string {
  const where = readablePath(field.path);
  if (field.kind === 'missing') return `remove ${where}`;
  if (field.sensitive) return `set ${where} through your secret mechanism (sealed-secrets, external-secrets)`;
  return `set ${where} to ${showValue(field)}`;
}

/** Why a field of an object whose desired state is not a manifests directory cannot be written. */
export function sourceReason(source: 'last-applied' | 'managers', ref: ObjectRef, field: FieldToCodify): string {
  const from =
    source === 'last-applied'
      ? "desired state comes from the live object's last-applied annotation"
      : 'desired state comes from who manages each field (the managers source)';
  return `${from}; Stopgap has no manifests to patch: ${whatToDo(field)} in whatever applies ${describeRef(ref)}`;
}

// ---------------------------------------------------------------------------------------------
// Helm

/** Candidate values keys for a field, most likely first, as dotted paths matched at the end of a values key. */
function valuesKeys(segments: readonly string[]): string[][] {
  const last = segments[segments.length - 1] ?? '';
  if (segments.length === 2 && segments[0] === 'spec' && last === 'replicas') return [['replicaCount'], ['replicas']];
  if (last === 'image' && segments.includes('containers')) return [['image', 'tag'], ['tag'], ['image']];
  // The fields after the last list item (`resources.limits.memory`), longest first; a whole item: its list.
  let from = 0;
  segments.forEach((seg, i) => {
    if (seg.includes('=') || /^\d+$/.test(seg)) from = i + 1;
  });
  if (from === segments.length && from >= 2) {
    const list = segments[from - 2] as string;
    return list === 'env' ? [['env'], ['extraEnv'], ['extraEnvVars']] : [[list]];
  }
  const tail = segments.slice(from);
  const out: string[][] = [];
  tail.forEach((seg, i) => {
    if (i === tail.length - 1 || !['spec', 'template', 'metadata'].includes(seg)) out.push(tail.slice(i));
  });
  return out;
}

/** Every key path of a values tree (maps only), dotted segments. */
function keyPaths(value: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  if (!isRecord(value)) return out;
  for (const k of Object.keys(value)) {
    const path = [...prefix, k];
    out.push(path);
    keyPaths(value[k], path, out);
  }
  return out;
}

function endsWith(path: readonly string[], tail: readonly string[]): boolean {
  if (tail.length > path.length) return false;
  return tail.every((t, i) => path[path.length - tail.length + i] === t);
}

function imageTag(image: unknown): { repository: string; tag?: string } | undefined {
  if (typeof image !== 'string') return undefined;
  const at = image.indexOf('@');
  const base = at >= 0 ? image.slice(0, at) : image;
  const slash = base.lastIndexOf('/');
  const colon = base.lastIndexOf(':');
  if (colon > slash) return { repository: base.slice(0, colon), tag: at >= 0 ? image.slice(at + 1) : base.slice(colon + 1) };
  return { repository: base, ...(at >= 0 ? { tag: image.slice(at + 1) } : {}) };
}

/** What to set a values key to for a field: the tag alone for `image.tag`. */
function valuesText(keyPath: readonly string[], field: FieldToCodify): string {
  const key = keyPath.join('.');
  if (field.kind === 'missing') return `remove \`${key}\``;
  if (field.sensitive) return `set \`${key}\` through your secret mechanism (never a value in a values file)`;
  const last = keyPath[keyPath.length - 1];
  const image = imageTag(field.live);
  if (image && (last === 'tag' || last === 'repository')) {
    const part = last === 'tag' ? image.tag : image.repository;
    if (part !== undefined) return `set \`${key}: ${inlineScalar(part, { flow: false, json: false })}\``;
  }
  return `set \`${key}: ${showValue(field)}\``;
}

type Reader = (file: string) => Promise<string | undefined>;

function tokens(text: string): string[] {
  return text.toLowerCase().split(/[^a-z0-9]+/).filter((t) => t.length > 1);
}

/**
 * The values file and key that most likely set a field of an object a chart renders: a values file
 * naming one of the field's likely keys (an environment's file before the chart's defaults, one whose
 * name shares a word with the namespace first); else the chart's values.yaml with the likeliest key.
 */
export async function valuesSuggestion(chart: ChartInfo | undefined, layout: DirectoryLayout, ref: ObjectRef, field: FieldToCodify, read: Reader): Promise<UnwrittenField['suggestion']> {
  let segments: string[];
  try {
    segments = parsePointer(field.path);
  } catch {
    return undefined;
  }
  const candidates = valuesKeys(segments);
  const files = chart ? [...chart.valuesFiles, ...layout.valuesFiles.filter((f) => !chart.valuesFiles.includes(f))] : layout.valuesFiles;
  const hint = new Set([...tokens(ref.namespace ?? ''), ...tokens(ref.name)]);
  let best: { file: string; key: string[]; score: number } | undefined;
  for (const file of files) {
    const text = await read(file);
    if (text === undefined) continue;
    const parsed = parseManifestText(text).documents[0]?.value;
    const paths = keyPaths(parsed);
    for (const [rank, tail] of candidates.entries()) {
      const hit = paths.find((p) => endsWith(p, tail));
      if (!hit) continue;
      const name = file.slice(file.lastIndexOf('/') + 1);
      const score = (candidates.length - rank) * 10 + (name === 'values.yaml' || name === 'values.yml' ? 0 : 4) + (tokens(name).some((t) => hint.has(t)) ? 2 : 0) + (chart?.valuesFiles.includes(file) ? 1 : 0);
      if (!best || score > best.score) best = { file, key: hit, score };
      break;
    }
  }
  if (best) return { file: best.file, text: valuesText(best.key, field) };
  const fallback = chart?.valuesFiles.find((f) => /(^|\/)values\.ya?ml$/.test(f)) ?? chart?.valuesFiles[0] ?? files[0];
  const key = candidates[0];
  if (!fallback || !key) return undefined;
  return { file: fallback, text: `${valuesText(key, field)} (no values file names it yet; the chart may call it something else)` };
}

/** The chart that most likely renders an object no manifest declares: one whose templates declare its kind, named like it if several do. */
export function chartFor(layout: DirectoryLayout, ref: ObjectRef, named?: string): ChartInfo | undefined {
  if (named !== undefined) return layout.charts.find((c) => c.name === named || c.dir.split('/').pop() === named);
  const charts = layout.charts.filter((c) => c.templateKinds.has(ref.kind));
  if (charts.length <= 1) return charts[0];
  return charts.find((c) => ref.name.includes(c.name) || c.name.includes(ref.name)) ?? charts[0];
}

/** `# Source: web/templates/deployment.yaml` (helm template's header) or the chart label: the chart's name. */
export function helmRendered(documentText: string, object: unknown): { chart?: string; source?: string } | undefined {
  const m = /^#\s*Source:\s*(\S+)/m.exec(documentText);
  if (m) {
    const source = m[1] as string;
    return { chart: source.split('/')[0], source };
  }
  const metadata = isRecord(object) ? object['metadata'] : undefined;
  const labels = isRecord(metadata) ? metadata['labels'] : undefined;
  const chartLabel = isRecord(labels) ? labels['helm.sh/chart'] : undefined;
  if (typeof chartLabel === 'string') return { chart: chartLabel.replace(/-v?\d+(?:\.\d+)*(?:[-+].*)?$/, '') };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// kustomize

function repositoryOf(image: unknown): string | undefined {
  return imageTag(image)?.repository;
}

/** The pointer of a field with list items by index, as JSON 6902 patches name it. */
function indexPointer(object: unknown, segments: readonly string[]): string {
  const trace = { indexes: [] as number[], items: [] as unknown[] };
  resolvePointer(object, segments, trace);
  return toPointer(segments.map((s, i) => ((trace.indexes[i] ?? -1) >= 0 ? String(trace.indexes[i]) : s)));
}

/**
 * A kustomize overlay that sets the field: a patch naming the object that spells the field out, an
 * `images:` entry for a container image, a `replicas:` entry. Undefined when none does.
 */
export async function kustomizeSuggestion(
  kustomizations: readonly KustomizationInfo[],
  ref: ObjectRef,
  declared: unknown,
  field: FieldToCodify,
  read: Reader,
): Promise<(UnwrittenField['suggestion'] & { why: string }) | undefined> {
  let segments: string[];
  try {
    segments = parsePointer(field.path);
  } catch {
    return undefined;
  }
  const where = readablePath(field.path);
  const last = segments[segments.length - 1];
  for (const k of kustomizations) {
    if (last === 'image' && segments.includes('containers') && typeof field.live === 'string') {
      const desiredRepo = repositoryOf(field.desired) ?? repositoryOf(field.live);
      const entry = k.images.find((i) => i.name === desiredRepo || i.newName === desiredRepo);
      const tag = imageTag(field.live);
      if (entry && tag) {
        const text = tag.tag ? `set \`newTag: ${inlineScalar(tag.tag, { flow: false, json: false })}\` in the images entry for ${entry.name}` : `set the images entry for ${entry.name} to ${inlineScalar(field.live, { flow: false, json: false })}`;
        return { file: k.file, text, why: `the image comes from the images: override in ${k.file}` };
      }
    }
    if (segments.length === 2 && segments[0] === 'spec' && last === 'replicas' && typeof field.live === 'number') {
      const entry = k.replicas.find((r) => r.name === ref.name);
      if (entry) return { file: k.file, text: `set \`count: ${field.live}\` in the replicas entry for ${ref.name}`, why: `replicas come from the replicas: override in ${k.file}` };
    }
    for (const patch of k.patches) {
      if (patch.target && ((patch.target.kind && patch.target.kind !== ref.kind) || (patch.target.name && patch.target.name !== ref.name))) continue;
      const text = patch.inline ?? (await read(patch.file));
      if (text === undefined) continue;
      const docs = parseManifestText(text).documents.map((d) => d.value);
      for (const doc of docs) {
        if (Array.isArray(doc)) {
          // JSON 6902: operations on pointers with list indexes.
          const pointer = indexPointer(declared, segments);
          const op = doc.find((o) => isRecord(o) && o['path'] === pointer);
          if (op) return { file: patch.file, text: field.kind === 'missing' ? `drop the operation on ${pointer}` : `set the value of the ${String((op as Record<string, unknown>)['op'])} ${pointer} operation to ${showValue(field)}`, why: `${where} comes from a JSON patch in ${patch.file}` };
          continue;
        }
        if (!isRecord(doc) || doc['kind'] !== ref.kind) continue;
        const metadata = doc['metadata'];
        if (!isRecord(metadata) || (metadata['name'] !== ref.name && !patch.target)) continue;
        if (resolvePointer(doc, segments) === undefined) continue;
        return {
          file: patch.file,
          text: field.kind === 'missing' ? `remove ${where} from this patch` : field.sensitive ? `set ${where} through your secret mechanism` : `set ${where} to ${showValue(field)} in this patch`,
          why: `${where} comes from the kustomize patch ${patch.file}${patch.inline ? ' (inline)' : ''}`,
        };
      }
    }
  }
  return undefined;
}

/** A kustomize generator that makes an object no manifest declares (its name plus a content hash). */
export function generatorFor(kustomizations: readonly KustomizationInfo[], ref: ObjectRef): { file: string; name: string } | undefined {
  if (ref.kind !== 'ConfigMap' && ref.kind !== 'Secret') return undefined;
  for (const k of kustomizations) {
    const g = k.generators.find((x) => x.kind === ref.kind && (ref.name === x.name || ref.name.startsWith(`${x.name}-`)));
    if (g) return { file: k.file, name: g.name };
  }
  return undefined;
}

/** Reads files under a root once per codify run. */
export function fileReader(root: string): Reader {
  const cache = new Map<string, Promise<string | undefined>>();
  return (file) => {
    let text = cache.get(file);
    if (!text) {
      text = readFile(join(root, file), 'utf8').catch(() => undefined);
      cache.set(file, text);
    }
    return text;
  };
}
