import { ClusterConfig } from '../config/clusters.js';
import { configBaseDir, loadConfig, type Config } from '../config/config.js';
import { isStopgapError } from '../errors.js';
import { makeFingerprint } from '../drift/fingerprint.js';
import type { Finding } from '../drift/findings.js';
import { isCovered } from '../drift/findings.js';
import { describeRef, formatProblem } from '../drift/sources/source.js';
import type { DriftEvent } from '../k8s/drift-events.js';
import { kindLabel } from '../k8s/drift-events.js';
import type { ClusterOutcome } from '../k8s/scanner.js';
import { scanSettingsFrom } from '../k8s/scan-settings.js';
import { scanClusters } from '../k8s/scanner.js';
import { openMigratedDb } from '../store/db.js';
import { ensureFingerprintKey, listActiveFindings } from '../store/findings-store.js';
import { AuditStore } from '../store/audit-store.js';
import type { Person } from '../audit/attribute.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine } from './args.js';
import type { CliIo, Command } from './io.js';
import { reportFailure, writeLine } from './io.js';

export const SCAN_HELP = `Usage: stopgap scan [--context NAME] [--json]

One full pass (list, no watch) over the clusters configured in STOPGAP_CONFIG: findings are
stored in STOPGAP_DB and printed. --context NAME scans only the cluster using that kubeconfig
context (or named NAME); with no such cluster configured, it scans that context with the
last-applied desired state. Exit 0: no drift; 1: drift found; 2: error (a cluster or kind failed).`;

const HOW_TO_CONFIGURE = `No clusters configured. Add them to stopgap.yml and set STOPGAP_CONFIG=path/to/stopgap.yml, e.g.:
  clusters:
    - name: prod
      context: prod-admin          # kubeconfig context; omit for in-cluster
      desired: { type: last-applied }   # or { type: directory, path: ./k8s } or { type: managers }
or scan one kubeconfig context ad hoc: stopgap scan --context NAME`;

/** The command line `stopgap scan` accepts. */
const SCAN_ARGS = {
  options: {
    help: HELP_OPTION,
    context: { type: 'string' },
    json: { type: 'boolean' },
  },
} satisfies ArgsSpec;

function progressLine(event: DriftEvent): string | undefined {
  switch (event.type) {
    case 'kind-listed': {
      const ns = event.namespace ? ` -n ${event.namespace}` : '';
      return `${event.cluster}: ${kindLabel(event.resource)}${ns}: ${event.objects} objects, ${event.findings} findings (${(event.durationMs / 1000).toFixed(1)} s)`;
    }
    case 'kind-failed':
      return `${event.cluster}: ${event.kind}${event.namespace ? ` -n ${event.namespace}` : ''}: FAILED: ${event.error.message}`;
    case 'cluster-failed':
      return `${event.cluster}: FAILED: ${event.error.message}`;
    case 'source-problem':
      return `${event.cluster}: desired state: ${formatProblem(event.problem)}`;
    case 'object-skipped':
      return `${event.cluster}: skipped ${event.object}: ${event.message}`;
    default:
      return undefined;
  }
}

function shown(value: unknown, sensitive: boolean): string {
  if (value === undefined) return '(absent)';
  if (sensitive) return '(sensitive)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function findingJson(f: Finding, person: Person | undefined): Record<string, unknown> {
  return {
    id: f.id,
    cluster: f.cluster,
    group: f.ref.group,
    version: f.ref.version,
    kind: f.ref.kind,
    namespace: f.ref.namespace ?? null,
    name: f.ref.name,
    path: f.path,
    difference: f.difference,
    desired: f.desired ?? null,
    live: f.live ?? null,
    sensitive: f.sensitive,
    manager: f.attribution?.manager ?? null,
    operation: f.attribution?.operation ?? null,
    time: f.attribution?.time ?? null,
    managerClass: f.attribution?.managerClass ?? null,
    // Who, when the audit webhook (or `stopgap audit ingest`) reported the write: the user, and with
    // impersonation who authenticated.
    person: person ? { username: person.username, via: person.via ?? null } : null,
    firstSeen: f.firstSeen,
    lastSeen: f.lastSeen,
  };
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0))).join('  ').trimEnd());
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One line per cluster or kind that could not be scanned, and a count of each. */
function notScanned(outcomes: ClusterOutcome[]): { lines: string[]; summary: string } {
  const lines: string[] = [];
  let clusters = 0;
  let kinds = 0;
  for (const outcome of outcomes) {
    if (outcome.error) {
      clusters += 1;
      lines.push(`Cluster ${outcome.cluster} was not scanned: ${outcome.error.message}`);
    }
    for (const kind of outcome.kinds.filter((k) => !k.ok)) {
      kinds += 1;
      const ns = kind.namespace ? ` -n ${kind.namespace}` : '';
      lines.push(`Cluster ${outcome.cluster}: ${kind.kind}${ns} was not scanned: ${kind.error?.message ?? 'failed'}`);
    }
  }
  const summary = [clusters ? plural(clusters, 'cluster') : '', kinds ? plural(kinds, 'kind') : ''].filter(Boolean).join(' and ');
  return { lines, summary };
}

function printHuman(io: CliIo, findings: Finding[], outcomes: ClusterOutcome[]): void {
  const missed = notScanned(outcomes);
  // What could not be listed may hold drift: an incomplete scan never reads as a clean one.
  if (findings.length === 0) {
    writeLine(
      io.stdout,
      missed.lines.length === 0
        ? 'No drift found.'
        : `Incomplete scan: no drift in what was scanned, but ${missed.summary} could not be scanned and may hide drift:`,
    );
  } else {
    const rows = [['CLUSTER', 'OBJECT', 'PATH', 'DESIRED', 'LIVE', 'MANAGER', 'WHEN']];
    for (const f of findings) {
      rows.push([
        f.cluster,
        describeRef(f.ref),
        f.path === '' ? '(whole object)' : f.path,
        shown(f.desired, f.sensitive),
        shown(f.live, f.sensitive),
        f.attribution ? `${f.attribution.manager} (${f.attribution.managerClass})` : '-',
        f.attribution?.time ?? '-',
      ]);
    }
    for (const line of table(rows)) writeLine(io.stdout, line);
    writeLine(io.stdout, `${plural(findings.length, 'finding')}.`);
    if (missed.lines.length > 0) writeLine(io.stdout, `Incomplete scan: ${missed.summary} could not be scanned and may hide more drift:`);
  }
  for (const line of missed.lines) writeLine(io.stdout, line);
}

/**
 * The cluster to scan for `--context NAME` when none is configured with it: named after the context
 * (a cluster name allows fewer characters). A message instead when no usable name comes out of it.
 */
function adHocCluster(context: string): ClusterConfig | string {
  if (context.trim() === '') return '--context needs a kubeconfig context name';
  const name = context.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '');
  const parsed = ClusterConfig.safeParse({ name, context });
  if (!parsed.success) {
    return `--context ${JSON.stringify(context)}: no cluster in STOPGAP_CONFIG uses that context, and it is not usable as a cluster name (letters, digits, dot, dash, underscore); configure the cluster with a name in stopgap.yml`;
  }
  return parsed.data;
}

export async function runScan(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('scan', SCAN_HELP, SCAN_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  const args = parsed.values;

  // The loader serve and migrate use: the same STOPGAP_CONFIG and STOPGAP_DB, the same messages.
  let config: Config;
  try {
    config = loadConfig(io.env);
  } catch (err) {
    return reportFailure(io, 'scan', err);
  }
  let clusters = config.file.clusters;
  if (args.context !== undefined) {
    const wanted = args.context;
    clusters = clusters.filter((c) => c.context === wanted || c.name === wanted);
    if (clusters.length === 0) {
      const adHoc = adHocCluster(wanted);
      if (typeof adHoc === 'string') {
        writeLine(io.stderr, `stopgap scan: ${adHoc}`);
        return 2;
      }
      clusters = [adHoc];
    }
  }
  if (clusters.length === 0) {
    writeLine(io.stderr, `stopgap scan: ${HOW_TO_CONFIGURE}`);
    return 2;
  }

  let db;
  try {
    db = openMigratedDb(config.dbPath);
  } catch (err) {
    writeLine(io.stderr, `stopgap scan: ${isStopgapError(err) ? err.message : (err as Error).message}`);
    return 2;
  }
  try {
    const fingerprint = makeFingerprint(ensureFingerprintKey(db));
    const audit = new AuditStore(db);
    const outcomes = await scanClusters(clusters, {
      db,
      drift: config.file.drift,
      settings: scanSettingsFrom(config.file.drift),
      fingerprint,
      env: io.env,
      baseDir: configBaseDir(config),
      emit: (event) => {
        const line = progressLine(event);
        if (line) writeLine(io.stderr, `scan ${line}`);
      },
    });
    // Only what this pass looked at: findings of kinds or namespaces no longer configured were cleared,
    // and those of a cluster that could not be scanned are not news about it.
    const findings = outcomes.flatMap((o) => {
      const coverage = o.coverage;
      return coverage ? listActiveFindings(db, { cluster: o.cluster }).filter((f) => isCovered(coverage, f.ref)) : [];
    });
    const failed = outcomes.some((o) => !o.ok);
    if (args.json) {
      writeLine(
        io.stdout,
        JSON.stringify(
          {
            inSync: findings.length === 0 && !failed,
            complete: !failed,
            clusters: outcomes.map((o) => ({
              name: o.cluster,
              ok: o.ok,
              error: o.error ?? null,
              kinds: o.kinds,
              problems: o.problems.map(formatProblem),
            })),
            findings: findings.map((f) => findingJson(f, audit.personFor(f))),
          },
          null,
          2,
        ),
      );
    } else {
      printHuman(io, findings, outcomes);
    }
    if (failed) return 2;
    return findings.length > 0 ? 1 : 0;
  } catch (err) {
    writeLine(io.stderr, `stopgap scan: ${isStopgapError(err) ? err.message : `unexpected error: ${(err as Error).message}`}`);
    return 2;
  } finally {
    db.close();
  }
}

export const command: Command = { help: SCAN_HELP, run: runScan };
