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
  let out = `diff --git ${a} ${b}\n--- ${a}\n+++ ${b}\n`;
  for (const hunk of patch.hunks) {
    // An empty side is named by the line before it, as diff and git write it.
    const oldStart = hunk.oldLines === 0 ? hunk.oldStart - 1 : hunk.oldStart;
    const newStart = hunk.newLines === 0 ? hunk.newStart - 1 : hunk.newStart;
    out += `@@ -${oldStart},${hunk.oldLines} +${newStart},${hunk.newLines} @@\n`;
    for (const line of hunk.lines) out += `${line}\n`;
  }
  return out;
}
