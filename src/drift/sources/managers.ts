import type { KubeObject, ObjectRef } from '../types.js';
import { identityOf, withoutLastApplied } from './source.js';
import type { DesiredLookup, DesiredSource } from './source.js';

function lookup(live: KubeObject, ref: ObjectRef): DesiredLookup {
  // Desired state declares only the identity, so every live field is live-only and the diff engine
  // reports exactly those owned by a manual manager. The last-applied annotation is dropped from the
  // live side: it would otherwise turn every applied field into a three-way "missing".
  return { status: 'declared', desired: identityOf(ref), live: withoutLastApplied(live), threeWay: false };
}

/** No desired state at all: every field whose owner is a manual manager is drift. */
export function managersSource(): DesiredSource {
  return { type: 'managers', lookup, declared: () => [], problems: [], complete: true };
}
