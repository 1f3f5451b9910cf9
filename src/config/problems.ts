/**
 * What is wrong with a stopgap.yml, one line per problem: `FILE:LINE: path: what`, with `path` as
 * people write it (`clusters[0].desired.path`) and LINE where the problem is in the file (the value,
 * the misspelt key, or the map a required key is missing from), so an editor can jump to it.
 */
import { isMap, isNode, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';

/** `clusters[0].desired.path`; the empty path is `(top level)`. */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += `${out ? '.' : ''}${String(part)}`;
  }
  return out || '(top level)';
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let at: unknown = root;
  for (const part of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[part];
  }
  return at;
}

/** The node at `path`, else its nearest ancestor that exists; `key` asks for a map key's own node. */
function nodeFor(doc: Document, path: readonly PropertyKey[], key?: string): Node | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
    if (!isNode(node)) continue;
    if (key !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((p) => isNode(p.key) && String((p.key as { value?: unknown }).value) === key);
      if (pair && isNode(pair.key)) return pair.key;
    }
    if (isMap(node) || isSeq(node) || n === path.length) return node;
  }
  return undefined;
}

/** Every YAML syntax error, with its line and column. */
export function yamlProblems(doc: Document, lines: LineCounter, file: string): string[] {
  return doc.errors.map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return `${file}:${pos.line}:${pos.col}: not valid YAML: ${e.message.split('\n')[0] ?? e.code}`;
  });
}

/** Every schema problem, with its path and line. */
export function schemaProblems(error: z.ZodError, raw: unknown, doc: Document, lines: LineCounter, file: string): string[] {
  const out: { line: number; text: string }[] = [];
  const push = (node: Node | undefined, path: readonly PropertyKey[], what: string) => {
    const offset = node?.range?.[0];
    const line = offset === undefined ? 0 : lines.linePos(offset).line;
    out.push({ line, text: `${line ? `${file}:${line}` : file}: ${formatConfigPath(path)}: ${what}` });
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        push(nodeFor(doc, issue.path, key), [...issue.path, key], 'unknown key; check its spelling (every key is listed in `stopgap config schema`)');
      }
      continue;
    }
    const missing = issue.code === 'invalid_type' && valueAt(raw, issue.path) === undefined;
    push(nodeFor(doc, issue.path), issue.path, missing ? 'required' : issue.message);
  }
  // In file order, as an editor lists them.
  return out.sort((a, b) => a.line - b.line).map((p) => p.text);
}
