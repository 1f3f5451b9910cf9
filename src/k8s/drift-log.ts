import type { Finding } from '../drift/findings.js';
import type { Logger } from '../log.js';
import { kindLabel, type DriftEvent } from './drift-events.js';

/**
 * Turns scanner events into log lines: a fixed message plus structured fields. Findings are logged
 * by object and path only; their values (which may be fingerprints of secrets) never are.
 */
export function logDriftEvent(log: Logger, event: DriftEvent): void {
  switch (event.type) {
    case 'kind-listed':
      log.info(
        { cluster: event.cluster, kind: kindLabel(event.resource), namespace: event.namespace, mode: event.mode, objects: event.objects, findings: event.findings, durationMs: event.durationMs },
        'drift kind listed',
      );
      return;
    case 'kind-failed':
      log.warn({ cluster: event.cluster, kind: event.kind, namespace: event.namespace, mode: event.mode, error: event.error }, 'drift kind failed');
      return;
    case 'cluster-failed':
      log.warn({ cluster: event.cluster, error: event.error, retryInMs: event.retryInMs }, 'drift cluster failed');
      return;
    case 'source-problem':
      log.warn({ cluster: event.cluster, problem: event.problem }, 'desired state problem');
      return;
    case 'object-skipped':
      log.debug({ cluster: event.cluster, object: event.object, reason: event.message }, 'drift object skipped');
      return;
    case 'findings-changed': {
      const brief = (f: Finding) => `${f.ref.kind}/${f.ref.namespace ? `${f.ref.namespace}/` : ''}${f.ref.name}${f.path}`;
      log.info(
        {
          cluster: event.cluster,
          created: event.created.length,
          resolved: event.resolved.length,
          fields: [...event.created.map(brief), ...event.resolved.map((f) => `${brief(f)} (resolved)`)].slice(0, 50),
        },
        'drift findings changed',
      );
      return;
    }
    case 'loop-failed':
      log.error(
        { cluster: event.cluster, kind: kindLabel(event.resource), namespace: event.namespace, error: event.error, retryInMs: event.retryInMs, attempt: event.attempt },
        'drift watch loop failed',
      );
      return;
    case 'kinds-watched':
      log.debug({ cluster: event.cluster, kinds: event.targets.map((t) => (t.namespace ? `${t.kind}/${t.namespace}` : t.kind)) }, 'drift watch starting');
      return;
    case 'watch-ended': {
      const fields = { cluster: event.cluster, kind: kindLabel(event.resource), namespace: event.namespace, reason: event.reason, retryInMs: event.retryInMs, attempt: event.attempt, error: event.error };
      if (event.reason === 'failed' || event.reason === 'dropped') log.warn(fields, 'drift watch ended');
      else log.debug(fields, 'drift watch ended');
      return;
    }
  }
}
