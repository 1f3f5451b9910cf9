import { readFile } from 'node:fs/promises';
import { makeFingerprint } from '../drift/fingerprint.js';
import { ensureFingerprintKey } from '../store/findings-store.js';
import { keepDecision, parseAuditBody, type AuditRecord } from '../audit/events.js';
import { watchedResources } from '../audit/watched.js';
import { loadConfig } from '../config/config.js';
import { DEFAULT_DB_PATH } from '../config/defaults.js';
import { StopgapError } from '../errors.js';
import { kindSpecsOf } from '../k8s/discovery.js';
import { AuditStore } from '../store/audit-store.js';
import { openMigratedDb } from '../store/db.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine, usageError } from './args.js';
import type { CliIo, Command } from './io.js';
import { readAll, reportFailure, writeLine } from './io.js';

export const AUDIT_HELP = `Usage: stopgap audit ingest FILE|- [--cluster NAME]

Reads Kubernetes audit events from a file of JSON lines (what kube-apiserver's log backend, or a
managed cluster's log export, writes), or an EventList, and keeps what the webhook would keep: completed,
successful writes by people to the kinds the cluster watches. A log shipper can pipe them in with -.
--cluster names the cluster (required when stopgap.yml configures more than one).
The database is STOPGAP_DB (default ${DEFAULT_DB_PATH}); an event already kept is not kept twice.
Exit status: 0 done, 2 error (no such file, not JSON, an unknown cluster).`;

const AUDIT_ARGS = { options: { help: HELP_OPTION, cluster: { type: 'string' } }, allowPositionals: true } satisfies ArgsSpec;

export async function runAudit(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('audit', AUDIT_HELP, AUDIT_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  const [verb, file, extra] = parsed.positionals;
  if (verb !== 'ingest') return usageError(io, 'audit', verb === undefined ? 'say what to do: stopgap audit ingest FILE|-' : `unknown action '${verb}'; only 'ingest'`);
  if (file === undefined) return usageError(io, 'audit', 'give the file to read, or - for standard input');
  if (extra !== undefined) return usageError(io, 'audit', `unexpected argument '${extra}'`);
  try {
    const config = loadConfig(io.env);
    const clusters = config.file.clusters;
    const name = parsed.values.cluster ?? (clusters.length === 1 ? clusters[0]?.name : undefined);
    const cluster = clusters.find((c) => c.name === name);
    if (!cluster) {
      const known = clusters.length === 0 ? 'stopgap.yml configures no clusters' : `configured: ${clusters.map((c) => c.name).join(', ')}`;
      throw new StopgapError('usage', name === undefined ? `name the cluster with --cluster (${known})` : `unknown cluster '${name}' (${known})`);
    }
    let text: string;
    if (file === '-') {
      if (!io.stdin || (io.stdin as { isTTY?: boolean }).isTTY) throw new StopgapError('usage', '- reads standard input: pipe the audit log in');
      text = await readAll(io.stdin);
    } else {
      text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new StopgapError('parse_failed', `cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : (err.code ?? 'unreadable')}`);
      });
    }
    const batch = parseAuditBody(text);
    if (!batch) throw new StopgapError('parse_failed', `${file === '-' ? 'standard input' : file} is not JSON: expected audit events as JSON lines or an EventList`);
    const watched = watchedResources(kindSpecsOf(cluster));
    const db = openMigratedDb(config.dbPath);
    try {
      const keep = {
        watched,
        automationUsers: config.file.audit.automationUsers,
        fingerprint: makeFingerprint(ensureFingerprintKey(db)),
        sensitivePointers: config.file.drift.sensitivePointers,
      };
      const kept: AuditRecord[] = [];
      for (const event of batch.events) {
        const d = keepDecision(event, keep);
        if (d.keep) kept.push(d.record);
      }
      const stored = kept.length === 0 ? 0 : new AuditStore(db).storeBatch(cluster.name, kept, new Date());
      writeLine(io.stdout, `Read ${batch.events.length} events for ${cluster.name}: kept ${kept.length} writes by people, ${stored} new${batch.skipped.length ? `; ${batch.skipped.length} lines were not audit events` : ''}.`);
    } finally {
      db.close();
    }
    return 0;
  } catch (err) {
    return reportFailure(io, 'audit', err);
  }
}

export const command: Command = { help: AUDIT_HELP, run: runAudit };
