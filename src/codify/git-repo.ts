/**
 * Where a manifests directory sits in its git repository. A patch's paths are relative to the manifests
 * directory, and `git apply` run in a subdirectory of a repository skips what lies outside it without a
 * word: the instructions name the repository's top and `--directory`.
 */
import { stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** How many directories up from the manifests a `.git` is looked for. */
const SEARCH_DEPTH = 32;

/**
 * The repository holding `root` (a `.git` directory, or a worktree's `.git` file, above it): its top, and
 * `root`'s path inside it (`''` at the top, `/`-separated); undefined when there is none.
 */
export async function gitRepoOf(root: string): Promise<{ top: string; inside: string } | undefined> {
  const start = resolve(root);
  let dir = start;
  for (let i = 0; i < SEARCH_DEPTH; i += 1) {
    if (await stat(join(dir, '.git')).then(() => true, () => false)) return { top: dir, inside: relative(dir, start).split(sep).join('/') };
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}
