/**
 * A change's patch: its active linked drift, grouped by object, written into its cluster's manifests
 * directory by `codify`. What `stopgap codify SG-n`, `/fix codify` and the Codify button show.
 */
import { isAbsolute, resolve } from 'node:path';
import type { ClusterConfig } from '../config/clusters.js';
import type { Finding } from '../drift/findings.js';
import { objectKey } from '../drift/findings.js';
import { isStopgapError, StopgapError } from '../errors.js';
import { changeKey } from '../ledger/model.js';
import type { Db } from '../store/db.js';
import { LedgerStore } from '../store/ledger-store.js';
import { LinksStore } from '../store/links-store.js';
import { codify } from './codify.js';
import type { ManifestIndex } from './manifest-index.js';
import type { ChangeCodify, CodifyResult, ObjectToCodify } from './types.js';

export interface CodifyChangeOptions {
  /**
   * The manifests directory already indexed (`serve` keeps one per root): called with the directory
   * and returns its index. Omitted: the directory is read for this change.
   */
  indexFor?: (root: string) => Promise<ManifestIndex>;
  /** drift.sensitivePointers: a patch showing a value there is named in `secretsShown`. */
  sensitivePointers?: readonly string[];
}

const EMPTY: CodifyResult = { patch: '', files: [], written: [], notWritten: [], warnings: [], secretsShown: [] };

/**
 * The cluster a change's patch is for: the one most of its active drift is on; on a tie the change's
 * own cluster, then the first by name. One patch applies to one manifests directory.
 */
function pickCluster(findings: readonly Finding[], own: string | null): string {
  const counts = new Map<string, number>();
  for (const f of findings) counts.set(f.cluster, (counts.get(f.cluster) ?? 0) + 1);
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || Number(b[0] === own) - Number(a[0] === own) || (a[0] < b[0] ? -1 : 1));
  return (ranked[0] as [string, number])[0];
}

/** Findings grouped by object, in the order they were linked. */
function objectsOf(findings: readonly Finding[], source: ObjectToCodify['source']): ObjectToCodify[] {
  const byObject = new Map<string, ObjectToCodify>();
  for (const f of findings) {
    const key = objectKey(f.ref);
    let object = byObject.get(key);
    if (!object) {
      const ref = { ...f.ref };
      delete ref.uid;
      object = { ref, source, fields: [] };
      byObject.set(key, object);
    }
    object.fields.push({ path: f.path, kind: f.difference, live: f.live, desired: f.desired, sensitive: f.sensitive });
  }
  return [...byObject.values()];
}

function impossibleReason(result: CodifyResult): string {
  const reasons = [...new Set(result.notWritten.map((n) => n.reason))];
  if (reasons.length === 1) return `nothing could be written: ${reasons[0]}`;
  return `none of the ${result.notWritten.length} drifted fields could be written (each says why)`;
}

/**
 * Codifies change `changeId`: its active linked findings on one cluster (see pickCluster; drift on
 * other clusters is listed as not written), written into that cluster's `desired.path` (relative
 * paths from `baseDir`, the config file's directory). Throws `ledger_not_found` for no such change.
 */
export async function codifyChange(db: Db, clusters: ClusterConfig[], baseDir: string, changeId: number, options: CodifyChangeOptions = {}): Promise<ChangeCodify> {
  const key = changeKey(changeId);
  const ledger = new LedgerStore(db);
  const change = ledger.get(changeId);
  if (!change) throw new StopgapError('ledger_not_found', `there is no change ${key}`);
  const linked = new LinksStore(db, ledger).linkedFindings(changeId);
  const active = linked.filter((f) => !f.resolvedAt);
  if (active.length === 0) {
    const already = change.status === 'in_review' || change.status === 'codified' ? ` It is ${change.status.replace('_', ' ')}${change.prUrl ? ` (${change.prUrl})` : ''}.` : '';
    const closed = change.status === 'codified' || change.status === 'reverted' || change.status === 'dismissed';
    const reason = closed
      ? `${key} is ${change.status}${change.verified ? ', verified' : ''}${change.prUrl ? ` (${change.prUrl})` : ''}: nothing to codify.`
      : linked.length > 0
        ? `the drift linked to ${key} is gone from the cluster (codified or reverted): nothing to codify.${already} If you opened a PR, record it with /fix codified ${key} <PR link>`
        : `Stopgap has seen no drift for ${key}: nothing to codify.${already} If the change is already in git, record it with /fix codified ${key} <PR link>`;
    return { outcome: 'nothing', changeKey: key, reason };
  }
  const cluster = pickCluster(active, change.cluster);
  const here = active.filter((f) => f.cluster === cluster);
  const elsewhere = active.filter((f) => f.cluster !== cluster);
  const config = clusters.find((c) => c.name === cluster);
  const otherClusters = elsewhere.map((f) => ({
    ref: f.ref,
    path: f.path,
    reason: `drift on cluster ${f.cluster}: a patch covers one cluster's manifests and this one is for ${cluster}; codify the rest against ${f.cluster}'s manifests`,
  }));
  if (!config) {
    const result = { ...EMPTY, notWritten: [...here.map((f) => ({ ref: f.ref, path: f.path, reason: `cluster ${cluster} is not in stopgap.yml, so Stopgap does not know where its manifests are` })), ...otherClusters] };
    return { outcome: 'impossible', changeKey: key, cluster, reason: `cluster ${cluster} is not configured in stopgap.yml (clusters:): Stopgap does not know where its manifests are`, result };
  }
  const desired = config.desired;
  const source = desired.type;
  const root = desired.type === 'directory' ? (isAbsolute(desired.path) ? desired.path : resolve(baseDir, desired.path)) : baseDir;
  let result: CodifyResult;
  try {
    const index = desired.type === 'directory' && options.indexFor ? await options.indexFor(root) : undefined;
    result = await codify({
      root,
      objects: objectsOf(here, source),
      ...(desired.type === 'directory' ? { defaultNamespace: desired.defaultNamespace } : {}),
      ...(index ? { index } : {}),
      ...(options.sensitivePointers?.length ? { sensitivePointers: options.sensitivePointers } : {}),
    });
  } catch (err) {
    if (!isStopgapError(err) || err.code !== 'desired_source_failed') throw err;
    return { outcome: 'impossible', changeKey: key, cluster, reason: err.message, result: { ...EMPTY, notWritten: otherClusters } };
  }
  result = { ...result, notWritten: [...result.notWritten, ...otherClusters] };
  if (result.written.length > 0) return { outcome: 'patch', changeKey: key, cluster, root, result };
  return { outcome: 'impossible', changeKey: key, cluster, reason: impossibleReason(result), result };
}
