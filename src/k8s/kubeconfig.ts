import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { StopgapError } from '../errors.js';

export interface KubeConfigSelection {
  /** Context name; omitted: in-cluster service account when running in a pod, else the current context. */
  context?: string;
  /** A kubeconfig file; omitted: `KUBECONFIG` (path list) or `~/.kube/config`. */
  kubeconfig?: string;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

function kubeconfigFiles(selection: KubeConfigSelection, env: NodeJS.ProcessEnv): string[] {
  if (selection.kubeconfig) return [selection.kubeconfig];
  const fromEnv = (env['KUBECONFIG'] ?? '').split(delimiter).filter((f) => f !== '');
  if (fromEnv.length > 0) return fromEnv;
  const home = env['HOME'] ?? env['USERPROFILE'];
  const fallback = home ? join(home, '.kube', 'config') : undefined;
  return fallback && existsSync(fallback) ? [fallback] : [];
}

function inCluster(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env['KUBERNETES_SERVICE_HOST']) && existsSync(SERVICE_ACCOUNT_TOKEN);
}

/**
 * Loads the KubeConfig for one configured cluster. Reads `env` rather than `process.env` so that a
 * command's environment is explicit. Throws `cluster_unreachable` with what to fix.
 */
export function loadKubeConfig(selection: KubeConfigSelection, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  const files = kubeconfigFiles(selection, env);
  if (!selection.context && !selection.kubeconfig && inCluster(env)) {
    kc.loadFromCluster();
    return kc;
  }
  if (files.length === 0) {
    throw new StopgapError(
      'cluster_unreachable',
      'No kubeconfig found: set KUBECONFIG, create ~/.kube/config, or run Stopgap in a pod with a service account.',
    );
  }
  try {
    files.forEach((file, i) => {
      if (i === 0) {
        kc.loadFromFile(file);
      } else {
        const more = new KubeConfig();
        more.loadFromFile(file);
        kc.mergeConfig(more);
      }
    });
  } catch (cause) {
    throw new StopgapError(
      'cluster_unreachable',
      `Cannot read kubeconfig ${files.join(delimiter)}: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (selection.context) {
    if (!kc.getContextObject(selection.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new StopgapError(
        'cluster_unreachable',
        `Kubeconfig context "${selection.context}" not found in ${files.join(delimiter)} (contexts: ${known.join(', ') || 'none'}). Fix "context" in the cluster's config.`,
      );
    }
    kc.setCurrentContext(selection.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new StopgapError(
      'cluster_unreachable',
      `Kubeconfig ${files.join(delimiter)} has no current context with a cluster. Set "context" in the cluster's config.`,
    );
  }
  return kc;
}
