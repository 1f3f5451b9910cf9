/**
 * Reading a manifest directory: the tree walked for manifest files (files that are never manifests
 * left out), each file read and parsed a few milliseconds at a time (slices.ts).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { StopgapError } from '../../errors.js';
import { parseManifestsSteps, stored } from './manifests.js';
import type { Manifest, ManifestSet, StoredManifest } from './manifests.js';
import { runInSlices, type Steps } from './slices.js';
import type { SourceProblem } from './source.js';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * Files a git checkout holds next to manifests that are never Kubernetes objects: kustomize's
 * kustomization, a Helm chart's Chart.yaml and its values files. Left out without being read.
 */
const NOT_MANIFEST_FILE = /^(?:kustomization\.ya?ml|Chart\.yaml|values(?:[-_.][^/]*)?\.ya?ml)$/;

/** Keeps each manifest as compact JSON (a step per manifest). */
function* storeAll(from: Manifest[], to: StoredManifest[]): Steps<void> {
  for (const manifest of from) {
    to.push(stored(manifest));
    yield;
  }
}

interface FileList {
  files: string[];
  /** Manifest-looking files left out: kustomization, Chart.yaml, values files, chart templates. */
  skipped: number;
}

async function listManifestFiles(dir: string, out: FileList): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // A Helm chart's templates are Go templates, not manifests: only their rendered output is.
  const isChart = entries.some((e) => e.name === 'Chart.yaml' && !e.isDirectory());
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue; // .git and friends
    const path = join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await stat(path).catch(() => undefined);
      isFile = target?.isFile() ?? false;
      isDir = false; // following directory links risks cycles
    }
    if (isDir && isChart && entry.name === 'templates') {
      const templates: FileList = { files: [], skipped: 0 };
      await listManifestFiles(path, templates);
      out.skipped += templates.files.length + templates.skipped;
    } else if (isDir) {
      await listManifestFiles(path, out);
    } else if (isFile && MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) {
      if (NOT_MANIFEST_FILE.test(entry.name)) out.skipped += 1;
      else out.files.push(path);
    }
  }
}

/**
 * Reads every `.yaml`, `.yml` and `.json` file under `dir`, recursively, skipping dot-directories
 * and files that are never manifests (kustomization.yaml, Helm's Chart.yaml, values files and
 * chart templates), which are counted in `skipped`.
 */
export async function loadManifestDirectory(dir: string): Promise<ManifestSet & { manifests: StoredManifest[]; skipped: number }> {
  const listing: FileList = { files: [], skipped: 0 };
  try {
    await listManifestFiles(dir, listing);
  } catch (cause) {
    throw new StopgapError(
      'desired_source_failed',
      `Cannot read the manifest directory ${dir}: ${(cause as Error).message}. Check desired.path in the cluster's config.`,
      { cause },
    );
  }
  const out: { manifests: StoredManifest[]; problems: SourceProblem[]; skipped: number } = {
    manifests: [],
    problems: [],
    skipped: listing.skipped,
  };
  for (const file of listing.files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      out.problems.push({ file, message: `cannot read: ${(cause as Error).message}` });
      continue;
    }
    // A reload inside `serve` takes turns with Slack's requests: a few milliseconds at a time.
    const parsed = await runInSlices(parseManifestsSteps(text, file));
    await runInSlices(storeAll(parsed.manifests, out.manifests));
    out.problems.push(...parsed.problems);
    out.skipped += parsed.skipped;
  }
  return out;
}
