/**
 * Drift events: what a scan or a watch reports while it works (progress, problems, findings as they
 * change), the sink they are sent to, and failures turned into plain values for them.
 */
import { StopgapError } from '../errors.js';
import type { Finding, ScanMode } from '../drift/findings.js';
import type { SourceProblem } from '../drift/sources/source.js';
import type { ApiResource } from './discovery.js';

export interface ErrorValue {
  code: string;
  message: string;
}

export function errorValue(err: unknown): ErrorValue {
  if (err instanceof StopgapError) return { code: err.code, message: err.message };
  return { code: 'internal', message: (err as Error)?.message ?? String(err) };
}

/** Everything the scanner reports while it works: progress lines, problems, findings as they change. */
export type DriftEvent =
  | { type: 'kind-listed'; cluster: string; resource: ApiResource; namespace?: string; mode: ScanMode; objects: number; findings: number; durationMs: number }
  | { type: 'kind-failed'; cluster: string; kind: string; namespace?: string; mode: ScanMode; error: ErrorValue }
  | { type: 'cluster-failed'; cluster: string; error: ErrorValue; retryInMs?: number }
  | { type: 'source-problem'; cluster: string; problem: SourceProblem }
  | { type: 'object-skipped'; cluster: string; object: string; message: string }
  | { type: 'findings-changed'; cluster: string; created: Finding[]; resolved: Finding[] }
  /** Watching begins for these kinds (per namespace when the cluster is limited to some): each is unsynced until listed. */
  | { type: 'kinds-watched'; cluster: string; targets: { kind: string; namespace?: string }[] }
  /** A kind's list/watch loop failed unexpectedly (a bug, not the cluster): it starts over alone after `retryInMs`. */
  | { type: 'loop-failed'; cluster: string; resource: ApiResource; namespace?: string; error: ErrorValue; retryInMs: number; attempt: number }
  | {
      type: 'watch-ended';
      cluster: string;
      resource: ApiResource;
      namespace?: string;
      reason: 'closed' | 'inactive' | 'dropped' | 'failed' | 'gone' | 'resync';
      error?: ErrorValue;
      /** Delay before the next watch or list; 0 when it follows at once. */
      retryInMs: number;
      attempt: number;
      resourceVersion: string;
    };

export type DriftEventSink = (event: DriftEvent) => void;

export function kindLabel(resource: Pick<ApiResource, 'group' | 'version' | 'kind'>): string {
  return resource.group === '' ? `${resource.version}/${resource.kind}` : `${resource.group}/${resource.version}/${resource.kind}`;
}
