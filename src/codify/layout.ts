/**
 * What else a manifests directory holds besides manifests: Helm charts (Chart.yaml, values files,
 * templates) and kustomizations (patches, image and replica overrides, generators). The directory
 * source skips all of these; codify reads them to say where a field that no manifest spells out most
 * likely comes from.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, posix, relative, sep } from 'node:path';
import { parseDocument } from 'yaml';
import { isRecord } from '../json.js';

export interface ChartInfo {
  /** The chart's directory, relative to the root (`''` for the root itself). */
  dir: string;
  /** `name` from Chart.yaml, else the directory's name. */
  name: string;
  /** Kinds its templates declare (`kind: Deployment` lines). */
  templateKinds: Set<string>;
  /** Values files in the chart's directory, relative to the root. */
  valuesFiles: string[];
}

export interface KustomizePatch {
  /** The patch file, or the kustomization holding an inline patch, relative to the root. */
  file: string;
  /** An inline patch's text (`patches: [{patch: ...}]`). */
  inline?: string;
  /** The `target` of a JSON 6902 or targeted patch. */
  target?: { kind?: string; name?: string };
}

export interface KustomizationInfo {
  /** The kustomization file, relative to the root. */
  file: string;
  patches: KustomizePatch[];
  images: { name: string; newName?: string; newTag?: string; digest?: string }[];
  replicas: { name: string; count: number }[];
  generators: { kind: 'ConfigMap' | 'Secret'; name: string }[];
}

export interface DirectoryLayout {
  charts: ChartInfo[];
  /** Every values file under the root, relative to it. */
  valuesFiles: string[];
  kustomizations: KustomizationInfo[];
}

const VALUES_FILE = /^values(?:[-_.][^/]*)?\.ya?ml$/;
const KUSTOMIZATION_FILE = /^(?:kustomization\.ya?ml|Kustomization)$/;
const TEMPLATE_EXTENSIONS = new Set(['.yaml', '.yml', '.tpl']);

function toRel(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

function readYaml(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) return undefined;
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch {
    return undefined;
  }
}

async function templateKinds(dir: string, out: Set<string>): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await templateKinds(path, out);
    else if (entry.isFile() && TEMPLATE_EXTENSIONS.has(extname(entry.name).toLowerCase())) {
      const text = await readFile(path, 'utf8').catch(() => '');
      for (const m of text.matchAll(/^kind:\s*["']?([A-Za-z][A-Za-z0-9]*)/gm)) out.add(m[1] as string);
    }
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function targetOf(value: unknown): KustomizePatch['target'] {
  if (!isRecord(value)) return undefined;
  const kind = str(value['kind']);
  const name = str(value['name']);
  return kind || name ? { ...(kind ? { kind } : {}), ...(name ? { name } : {}) } : undefined;
}

/** A kustomization's overrides, its paths made relative to the root (and those outside it dropped). */
function readKustomization(root: string, file: string, text: string): KustomizationInfo {
  const info: KustomizationInfo = { file: toRel(root, file), patches: [], images: [], replicas: [], generators: [] };
  const k = readYaml(text);
  if (!isRecord(k)) return info;
  const dir = posix.dirname(info.file);
  const inRoot = (p: string): string | undefined => {
    const joined = posix.normalize(posix.join(dir, p));
    return joined.startsWith('../') || joined === '..' ? undefined : joined;
  };
  for (const p of strings(k['patchesStrategicMerge'])) {
    if (p.includes('\n')) info.patches.push({ file: info.file, inline: p });
    else {
      const rel = inRoot(p);
      if (rel) info.patches.push({ file: rel });
    }
  }
  for (const p of [...records(k['patchesJson6902']), ...records(k['patches'])]) {
    const target = targetOf(p['target']);
    const inline = str(p['patch']);
    const path = str(p['path']);
    if (inline) info.patches.push({ file: info.file, inline, ...(target ? { target } : {}) });
    else if (path) {
      const rel = inRoot(path);
      if (rel) info.patches.push({ file: rel, ...(target ? { target } : {}) });
    }
  }
  for (const image of records(k['images'])) {
    const name = str(image['name']);
    if (!name) continue;
    const newName = str(image['newName']);
    const newTag = image['newTag'] === undefined ? undefined : String(image['newTag']);
    const digest = str(image['digest']);
    info.images.push({ name, ...(newName ? { newName } : {}), ...(newTag ? { newTag } : {}), ...(digest ? { digest } : {}) });
  }
  for (const r of records(k['replicas'])) {
    const name = str(r['name']);
    if (name && typeof r['count'] === 'number') info.replicas.push({ name, count: r['count'] });
  }
  for (const [field, kind] of [['configMapGenerator', 'ConfigMap'], ['secretGenerator', 'Secret']] as const) {
    for (const g of records(k[field])) {
      const name = str(g['name']);
      if (name) info.generators.push({ kind, name });
    }
  }
  return info;
}

async function walk(root: string, dir: string, out: DirectoryLayout): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const chartFile = entries.find((e) => e.name === 'Chart.yaml' && e.isFile());
  let chart: ChartInfo | undefined;
  if (chartFile) {
    const meta = readYaml(await readFile(join(dir, chartFile.name), 'utf8').catch(() => ''));
    const rel = toRel(root, dir);
    chart = { dir: rel, name: (isRecord(meta) && str(meta['name'])) || posix.basename(rel || root), templateKinds: new Set(), valuesFiles: [] };
    out.charts.push(chart);
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (chart && entry.name === 'templates') await templateKinds(path, chart.templateKinds);
      else await walk(root, path, out);
    } else if (entry.isFile()) {
      if (VALUES_FILE.test(entry.name)) {
        out.valuesFiles.push(toRel(root, path));
        chart?.valuesFiles.push(toRel(root, path));
      } else if (KUSTOMIZATION_FILE.test(entry.name)) {
        out.kustomizations.push(readKustomization(root, path, await readFile(path, 'utf8').catch(() => '')));
      }
    }
  }
}

/** Charts, values files and kustomizations under `root` (dot-directories skipped, as the directory source skips them). */
export async function readLayout(root: string): Promise<DirectoryLayout> {
  const out: DirectoryLayout = { charts: [], valuesFiles: [], kustomizations: [] };
  await walk(root, root, out);
  return out;
}
