/**
 * A file's old and new text as a git-style unified diff: `diff --git` header, `a/` and `b/`
 * prefixes, three lines of context, so that `git apply` (or `patch -p1`) applies it from the root.
 */
import { structuredPatch } from 'diff';

/** A path as git writes it in a header: C-quoted when it holds a quote, a backslash or a control character. */
function gitPath(prefix: string, path: string): string {
  const full = `${prefix}${path}`;
  // eslint-disable-next-line no-control-regex -- control characters are what git quotes
  const special = /["\\\u0000-\u001f\u007f]/g;
  if (!special.test(full)) return full;
  const escaped = full.replace(special, (c) => {
    const named: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
    return named[c] ?? `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`;
  });
  return `"${escaped}"`;
}

/** The diff of one file, `path` relative to the root with `/`; empty when the texts are equal. */
export function unifiedDiff(path: string, before: string, after: string): string {
  if (before === after) return '';
  const patch = structuredPatch(path, path, before, after, undefined, undefined, { context: 3 });
  const a = gitPath('a/', path);
  const b = gitPath('b/', path);
  // A name with a space ends in a tab on the --- and +++ lines, as git writes it: `patch` reads a name
  // up to the first space otherwise (git apply takes it from the diff --git line either way).
  const tab = path.includes(' ') ? '\t' : '';
  let out = `diff --git ${a} ${b}\n--- ${a}${tab}\n+++ ${b}${tab}\n`;
  for (const hunk of patch.hunks) {
    // An empty side is named by the line before it, as diff and git write it.
    const oldStart = hunk.oldLines === 0 ? hunk.oldStart - 1 : hunk.oldStart;
    const newStart = hunk.newLines === 0 ? hunk.newStart - 1 : hunk.newStart;
    out += `@@ -${oldStart},${hunk.oldLines} +${newStart},${hunk.newLines} @@\n`;
    for (const line of hunk.lines) out += `${line}\n`;
  }
  return out;
}

/** The lines (1-based) of `before` that the diff of `before` and `after` shows: as context or as removed lines. */
export function shownLines(before: string, after: string): number[] {
  if (before === after) return [];
  const out: number[] = [];
  for (const hunk of structuredPatch('', '', before, after, undefined, undefined, { context: 3 }).hunks) {
    let line = hunk.oldStart;
    for (const text of hunk.lines) {
      if (text.startsWith(' ') || text.startsWith('-')) out.push(line++);
    }
  }
  return out;
}
