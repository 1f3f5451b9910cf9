/** Who wrote a live field, for a path as the diff reports it: the managedFields owner, with time. */
import { compile, ownershipIndexFor } from './diff-options.js';
import { ownersAtSteps, parseManagedFields, pickOwner, toAttribution } from './managed-fields.js';
import { parsePointer, resolvePointer, type PointerTrace } from './pointer.js';
import type { Attribution, DiffOptions, KubeObject } from './types.js';

/**
 * The owner of the live field at `path` (a path as diffObjects reports it), or of its deepest
 * atomic ancestor. Undefined when managedFields say nothing about it.
 */
export function attributePath(live: KubeObject, path: string, options?: DiffOptions): Attribution | undefined {
  const opts = compile(options);
  const entries = parseManagedFields(live);
  if (!entries.length) return undefined;
  let segments: string[];
  try {
    segments = parsePointer(path);
  } catch {
    return undefined;
  }
  const trace: PointerTrace = { indexes: [], items: [] };
  const value = resolvePointer(live, segments, trace);
  const index = ownershipIndexFor(entries, opts);
  const owners = ownersAtSteps(index, segments, trace.items, trace.indexes, segments.length, value !== undefined);
  const owner = owners && pickOwner(owners, true);
  return owner ? toAttribution(owner) : undefined;
}
