/**
 * Opening a cluster: kubeconfig → client, desired state, the kinds to look for (discovery then
 * resolves them); and the context in which an opened cluster's kinds are listed and watched.
 */
import { isAbsolute, resolve } from 'node:path';
import type { ClusterConfig } from '../config/clusters.js';
import { openDesiredSource } from '../drift/sources/index.js';
import type { DesiredSource } from '../drift/sources/source.js';
import type { KubeClient } from './client.js';
import { createKubeClient } from './client.js';
import type { KindSpec } from './discovery.js';
import { kindSpecsOf } from './discovery.js';
import type { DriftEventSink } from './drift-events.js';
import { loadKubeConfig } from './kubeconfig.js';
import type { ObserverContext } from './observe.js';
import type { ScanSettings } from './scan-settings.js';
import type { Scheduler } from './scheduler.js';

/** What opening a cluster reads besides the cluster's own config. */
export interface OpenClusterDeps {
  env?: NodeJS.ProcessEnv;
  /** Where relative manifest directories are read from (the config file's directory). */
  baseDir?: string;
  /** How desired state is read (`openDesiredSource` unless a test says otherwise). */
  desiredSource?: typeof openDesiredSource;
}

/** What listing and watching one opened cluster needs. */
export type ClusterContext = ObserverContext & {
  client: KubeClient;
  settings: ScanSettings;
  emit?: DriftEventSink;
  scheduler?: Scheduler;
  random?: () => number;
};

/** What a cluster's context takes from the dependencies of a scan or a watch. */
export type ClusterContextDeps = Pick<ClusterContext, 'db' | 'drift' | 'fingerprint' | 'settings' | 'emit' | 'diff' | 'scheduler' | 'random'> & {
  now?: () => Date;
};

export interface OpenedCluster {
  client: KubeClient;
  source: DesiredSource;
  specs: KindSpec[];
}

/** What listing and watching one opened cluster needs, for one pass or one watch attempt. */
export function clusterContext(
  cluster: ClusterConfig,
  deps: ClusterContextDeps,
  opened: OpenedCluster,
): ClusterContext {
  return {
    db: deps.db,
    cluster: cluster.name,
    source: opened.source,
    drift: deps.drift,
    fingerprint: deps.fingerprint,
    now: deps.now ?? (() => new Date()),
    client: opened.client,
    settings: deps.settings,
    ...(deps.emit ? { emit: deps.emit } : {}),
    ...(deps.diff ? { diff: deps.diff } : {}),
    ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  };
}

/**
 * Kubeconfig, client, desired state: what can fail before a cluster is even asked anything. A
 * relative `kubeconfig` (like a relative manifest directory) is read from `baseDir`, the config
 * file's directory, whatever the working directory.
 */
export async function openCluster(cluster: ClusterConfig, deps: OpenClusterDeps): Promise<OpenedCluster> {
  const baseDir = deps.baseDir ?? process.cwd();
  const kubeconfig = cluster.kubeconfig && (isAbsolute(cluster.kubeconfig) ? cluster.kubeconfig : resolve(baseDir, cluster.kubeconfig));
  const kc = loadKubeConfig(
    {
      ...(cluster.context ? { context: cluster.context } : {}),
      ...(kubeconfig ? { kubeconfig } : {}),
    },
    deps.env ?? process.env,
  );
  const client = createKubeClient(kc);
  const source = await (deps.desiredSource ?? openDesiredSource)(cluster.desired, baseDir);
  const specs = kindSpecsOf(cluster);
  return { client, source, specs };
}
