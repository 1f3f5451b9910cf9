import type { KubeObject, ObjectRef } from '../types.js';
import { LAST_APPLIED_ANNOTATION } from '../normalize.js';
import { annotationsOf, describeRef } from './source.js';
import type { DesiredLookup, DesiredSource } from './source.js';

function lookup(live: KubeObject, ref: ObjectRef): DesiredLookup {
  const text = annotationsOf(live)[LAST_APPLIED_ANNOTATION];
  if (typeof text !== 'string' || text.trim() === '') return { status: 'undeclared' };
  let desired: unknown;
  try {
    desired = JSON.parse(text) as unknown;
  } catch {
    // Not the parser's message: it quotes the text, and a Secret's annotation holds its values.
    return {
      status: 'unreadable',
      problem: { object: describeRef(ref), message: `unreadable ${LAST_APPLIED_ANNOTATION}: not valid JSON` },
    };
  }
  if (desired === null || typeof desired !== 'object' || Array.isArray(desired)) {
    return {
      status: 'unreadable',
      problem: { object: describeRef(ref), message: `${LAST_APPLIED_ANNOTATION} is not an object` },
    };
  }
  // Desired state is the annotation itself: a three-way diff would parse it again and add nothing.
  return { status: 'declared', desired: desired as KubeObject, live, threeWay: false };
}

/**
 * Desired state is what `kubectl apply` last applied, as recorded on each live object. Objects never
 * applied with kubectl carry no annotation and are not managed by this source.
 */
export function lastAppliedSource(): DesiredSource {
  return { type: 'last-applied', lookup, declared: () => [], problems: [], complete: true };
}
