/**
 * Whether what a person wrote in a change names an object the scanner found drifted. Pure.
 *
 * A change names objects the way kubectl does (`deploy/payments-api`, `deployment.apps/web`,
 * `node/ip-10-0-1-7`); the scanner knows them by group, Kind, namespace and name.
 */
import type { ResourceRef } from '../ledger/model.js';

/** An object as linking knows it: in a cluster, version-independent. */
export interface DriftObject {
  cluster: string;
  group: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** What linking needs of a change. */
export interface LinkableChange {
  id: number;
  /** Undefined when the change was logged without a cluster. */
  cluster?: string;
  resources: readonly ResourceRef[];
  /** When it was logged (RFC 3339). */
  createdAt: string;
}

/**
 * `deploy/web` names the Deployment `web` in any group and (without `-n`) any namespace; with a group
 * (`deployment.apps/web`) or a namespace, those must agree too. Kinds compare without case
 * (`deployment` is `Deployment`).
 */
export function refNamesObject(ref: ResourceRef, object: Omit<DriftObject, 'cluster'>): boolean {
  if (ref.name !== object.name) return false;
  if (ref.kind !== object.kind.toLowerCase()) return false;
  if (ref.group !== undefined && ref.group !== object.group.toLowerCase()) return false;
  if (ref.namespace !== undefined && ref.namespace !== (object.namespace ?? '')) return false;
  return true;
}

/**
 * Whether a change is about this cluster: the same name, or (logged without a cluster) the only one
 * configured. With several clusters a change without one is never guessed onto any of them.
 */
export function changeIsOnCluster(change: Pick<LinkableChange, 'cluster'>, cluster: string, configuredClusters: readonly string[]): boolean {
  if (change.cluster !== undefined) return change.cluster === cluster;
  return configuredClusters.length === 1 && configuredClusters[0] === cluster;
}

/** Whether a change names this object, on its cluster. */
export function changeNamesObject(change: LinkableChange, object: DriftObject, configuredClusters: readonly string[]): boolean {
  return changeIsOnCluster(change, object.cluster, configuredClusters) && change.resources.some((r) => refNamesObject(r, object));
}
