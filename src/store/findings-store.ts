/**
 * The findings store: drift findings, scan runs and the fingerprint key, in SQLite. What a finding is
 * and how one ends are drift/findings.ts's rules; this module keeps them.
 */
import { randomBytes } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import {
  endedByCoverage,
  endedByDeletion,
  endedByObservation,
  endedByUnlisting,
  type Finding,
  type FindingKey,
  type ListCoverage,
  type ObjectObservation,
  type ObservationResult,
  type Resolution,
  type ScanCoverage,
  type ScanMode,
  type SourceType,
  type UnlistedOptions,
} from '../drift/findings.js';
import type { Attribution, DifferenceKind, ManagerClass, ObjectRef } from '../drift/types.js';
import type { Db } from './db.js';

interface FindingRow {
  id: number;
  cluster: string;
  api_group: string;
  api_version: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string | null;
  path: string;
  difference: DifferenceKind;
  desired_json: string | null;
  live_json: string | null;
  sensitive: 0 | 1;
  manager: string | null;
  operation: string | null;
  subresource: string | null;
  manager_time: string | null;
  manager_class: ManagerClass | null;
  source: SourceType;
  first_seen: string;
  last_seen: string;
  resolved_at: string | null;
  resolution: Resolution | null;
}

function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function fromJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function rowToFinding(row: FindingRow): Finding {
  const ref: ObjectRef = { group: row.api_group, version: row.api_version, kind: row.kind, name: row.name };
  if (row.namespace !== '') ref.namespace = row.namespace;
  if (row.uid !== null) ref.uid = row.uid;
  const finding: Finding = {
    id: row.id,
    cluster: row.cluster,
    ref,
    path: row.path,
    difference: row.difference,
    desired: fromJson(row.desired_json),
    live: fromJson(row.live_json),
    sensitive: row.sensitive === 1,
    source: row.source,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
  };
  if (row.manager !== null) {
    const attribution: Attribution = {
      manager: row.manager,
      operation: row.operation ?? '',
      managerClass: row.manager_class ?? 'manual',
    };
    if (row.subresource !== null) attribution.subresource = row.subresource;
    if (row.manager_time !== null) attribution.time = row.manager_time;
    finding.attribution = attribution;
  }
  if (row.resolved_at !== null) finding.resolvedAt = row.resolved_at;
  if (row.resolution !== null) finding.resolution = row.resolution;
  return finding;
}

/** A row's object and path, without parsing its values. */
function findingKey(row: FindingRow): FindingKey {
  return { ref: { group: row.api_group, kind: row.kind, namespace: row.namespace || undefined, name: row.name }, path: row.path };
}

// Scans observe tens of thousands of objects: prepare each statement once per connection.
const statements = new WeakMap<Db, Map<string, Statement>>();

function stmt(db: Db, sql: string): Statement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    cache.set(sql, prepared);
  }
  return prepared;
}

const SELECT_ACTIVE_FOR_OBJECT = `SELECT * FROM drift_findings
  WHERE resolved_at IS NULL AND cluster = ? AND api_group = ? AND kind = ? AND namespace = ? AND name = ?`;

const UPDATE_FINDING = `UPDATE drift_findings SET api_version = ?, uid = ?, difference = ?, desired_json = ?,
    live_json = ?, sensitive = ?, manager = ?, operation = ?, subresource = ?, manager_time = ?, manager_class = ?,
    source = ?, last_seen = ?
  WHERE id = ? RETURNING *`;

const INSERT_FINDING = `INSERT INTO drift_findings (api_version, uid, difference, desired_json, live_json, sensitive,
    manager, operation, subresource, manager_time, manager_class, source, cluster, api_group, kind, namespace, name,
    path, first_seen, last_seen)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`;

const RESOLVE_FINDING = 'UPDATE drift_findings SET resolved_at = ?, resolution = ? WHERE id = ? RETURNING *';

function activeForObject(db: Db, cluster: string, ref: ObjectRef): FindingRow[] {
  return stmt(db, SELECT_ACTIVE_FOR_OBJECT).all(cluster, ref.group, ref.kind, ref.namespace ?? '', ref.name) as FindingRow[];
}

function resolveRow(db: Db, id: number, resolution: Resolution, now: string): FindingRow {
  return stmt(db, RESOLVE_FINDING).get(now, resolution, id) as FindingRow;
}

function applyObservation(db: Db, obs: ObjectObservation, at: string, existingRows: FindingRow[]): ObservationResult {
  const result: ObservationResult = { created: [], updated: [], resolved: [] };
  const existing = new Map(existingRows.map((row) => [row.path, row]));
  const seen = new Set<string>();
  for (const diff of obs.differences) {
    if (seen.has(diff.path)) continue; // the unique index allows one active finding per field
    seen.add(diff.path);
    const a = diff.attribution;
    const values = [
      obs.ref.version,
      obs.ref.uid ?? null,
      diff.kind,
      toJson(diff.desired),
      toJson(diff.live),
      diff.sensitive ? 1 : 0,
      a?.manager ?? null,
      a?.operation ?? null,
      a?.subresource ?? null,
      a?.time ?? null,
      a?.managerClass ?? null,
      obs.source,
    ];
    const row = existing.get(diff.path);
    if (row) {
      const updated = stmt(db, UPDATE_FINDING).get(...values, at, row.id) as FindingRow;
      result.updated.push(rowToFinding(updated));
    } else {
      const ref = obs.ref;
      const created = stmt(db, INSERT_FINDING).get(
        ...values,
        obs.cluster,
        ref.group,
        ref.kind,
        ref.namespace ?? '',
        ref.name,
        diff.path,
        at,
        at,
      ) as FindingRow;
      result.created.push(rowToFinding(created));
    }
  }
  for (const row of existing.values()) {
    if (seen.has(row.path)) continue;
    const resolution = endedByObservation(rowToFinding(row), obs);
    result.resolved.push(rowToFinding(resolveRow(db, row.id, resolution, at)));
  }
  return result;
}

/**
 * Records one successful observation of one object: differences become new or refreshed findings,
 * and the object's active findings that are no longer differences are resolved. Only call this for
 * data the API server actually returned: a failed list or watch must not get here.
 */
export function recordObservation(db: Db, obs: ObjectObservation, now: Date): ObservationResult {
  // The common case, an object in sync with nothing on record, needs one indexed read and no write.
  if (obs.differences.length === 0) {
    const rows = activeForObject(db, obs.cluster, obs.ref);
    if (rows.length === 0) return { created: [], updated: [], resolved: [] };
  }
  const at = now.toISOString();
  return db.transaction(() => applyObservation(db, obs, at, activeForObject(db, obs.cluster, obs.ref)))();
}

/** The object was seen deleted (a watch DELETED event): its field findings are over. */
export function recordObjectDeleted(db: Db, cluster: string, ref: ObjectRef, now: Date): Finding[] {
  const at = now.toISOString();
  return db.transaction(() =>
    activeForObject(db, cluster, ref).flatMap((row) => {
      const resolution = endedByDeletion(row);
      return resolution ? [rowToFinding(resolveRow(db, row.id, resolution, at))] : [];
    }),
  )();
}

/**
 * After a complete, successful list of one kind: active findings of objects the list did not
 * contain are resolved (the object was deleted while nobody watched). Call it only when every page
 * of the list arrived.
 */
export function resolveUnlistedObjects(
  db: Db,
  scope: ListCoverage,
  listed: ReadonlySet<string>,
  now: Date,
  options: UnlistedOptions = {},
): Finding[] {
  const at = now.toISOString();
  return db.transaction(() => {
    const rows = stmt(
      db,
      'SELECT * FROM drift_findings WHERE resolved_at IS NULL AND cluster = ? AND api_group = ? AND kind = ?',
    ).all(scope.cluster, scope.group, scope.kind) as FindingRow[];
    const resolved: Finding[] = [];
    for (const row of rows) {
      const resolution = endedByUnlisting(findingKey(row), scope, listed, options);
      if (resolution) resolved.push(rowToFinding(resolveRow(db, row.id, resolution, at)));
    }
    return resolved;
  })();
}

/**
 * After a pass over a cluster (discovery succeeded): resolves as `cleared` the active findings the
 * configuration no longer covers, of kinds removed from config or no longer served (a deleted CRD)
 * and of namespaces removed from config (see endedByCoverage). Kinds in `keep` are left alone.
 */
export function resolveUncovered(db: Db, coverage: ScanCoverage, now: Date): Finding[] {
  const at = now.toISOString();
  return db.transaction(() => {
    const rows = stmt(db, 'SELECT * FROM drift_findings WHERE resolved_at IS NULL AND cluster = ? ORDER BY id').all(coverage.cluster) as FindingRow[];
    const resolved: Finding[] = [];
    for (const row of rows) {
      const resolution = endedByCoverage(findingKey(row), coverage);
      if (resolution) resolved.push(rowToFinding(resolveRow(db, row.id, resolution, at)));
    }
    return resolved;
  })();
}

export interface FindingFilter {
  cluster?: string;
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
}

function whereFilter(filter: FindingFilter): { sql: string; params: string[] } {
  const clauses: string[] = [];
  const params: string[] = [];
  const columns: [keyof FindingFilter, string][] = [
    ['cluster', 'cluster'],
    ['group', 'api_group'],
    ['kind', 'kind'],
    ['namespace', 'namespace'],
    ['name', 'name'],
  ];
  for (const [key, column] of columns) {
    const value = filter[key];
    if (value !== undefined) {
      clauses.push(`${column} = ?`);
      params.push(value);
    }
  }
  return { sql: clauses.map((c) => ` AND ${c}`).join(''), params };
}

/**
 * Ends findings a person marked as expected: they are out of scope from now on ('cleared', neither
 * story certain). Active ones only; returns those it ended.
 */
export function resolveIgnored(db: Db, ids: readonly number[], now: Date): Finding[] {
  const at = now.toISOString();
  const out: Finding[] = [];
  for (const id of ids) {
    const row = stmt(db, 'SELECT * FROM drift_findings WHERE id = ? AND resolved_at IS NULL').get(id) as FindingRow | undefined;
    if (row) out.push(rowToFinding(resolveRow(db, row.id, 'cleared', at)));
  }
  return out;
}

export function listActiveFindings(db: Db, filter: FindingFilter = {}): Finding[] {
  const where = whereFilter(filter);
  const rows = stmt(
    db,
    `SELECT * FROM drift_findings WHERE resolved_at IS NULL${where.sql}
     ORDER BY cluster, api_group, kind, namespace, name, path`,
  ).all(...where.params) as FindingRow[];
  return rows.map(rowToFinding);
}

/** Findings resolved at or after `since`, newest first. */
export function listResolvedFindings(db: Db, since: Date, filter: FindingFilter = {}): Finding[] {
  const where = whereFilter(filter);
  const rows = stmt(
    db,
    `SELECT * FROM drift_findings WHERE resolved_at IS NOT NULL AND resolved_at >= ?${where.sql}
     ORDER BY resolved_at DESC, id DESC`,
  ).all(since.toISOString(), ...where.params) as FindingRow[];
  return rows.map(rowToFinding);
}

/** The objects of active findings nobody has claimed (no link), oldest first: light rows, for counting by scope. */
export function unclaimedObjects(db: Db): { id: number; cluster: string; namespace: string; kind: string }[] {
  return stmt(
    db,
    `SELECT f.id, f.cluster, f.namespace, f.kind FROM drift_findings f LEFT JOIN drift_links l ON l.finding_id = f.id
      WHERE f.resolved_at IS NULL AND l.finding_id IS NULL ORDER BY f.first_seen, f.id`,
  ).all() as { id: number; cluster: string; namespace: string; kind: string }[];
}

export function getFinding(db: Db, id: number): Finding | undefined {
  const row = stmt(db, 'SELECT * FROM drift_findings WHERE id = ?').get(id) as FindingRow | undefined;
  return row ? rowToFinding(row) : undefined;
}

export function countActiveFindings(db: Db, filter: FindingFilter = {}): number {
  const where = whereFilter(filter);
  const row = stmt(db, `SELECT count(*) AS n FROM drift_findings WHERE resolved_at IS NULL${where.sql}`).get(
    ...where.params,
  ) as { n: number };
  return row.n;
}

export interface ScanRunRecord {
  cluster: string;
  group: string;
  version: string;
  kind: string;
  mode: ScanMode;
  startedAt: Date;
  finishedAt: Date;
  outcome: 'ok' | 'failed';
  objects: number;
  findings: number;
  errorCode?: string;
  errorMessage?: string;
}

export function recordScanRun(db: Db, run: ScanRunRecord): number {
  const info = stmt(
    db,
    `INSERT INTO drift_scan_runs (cluster, api_group, api_version, kind, mode, started_at, finished_at, outcome,
       objects, findings, error_code, error_message)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
      run.cluster,
      run.group,
      run.version,
      run.kind,
      run.mode,
      run.startedAt.toISOString(),
      run.finishedAt.toISOString(),
      run.outcome,
      run.objects,
      run.findings,
      run.errorCode ?? null,
      run.errorMessage ?? null,
    );
  return Number(info.lastInsertRowid);
}

const FINGERPRINT_KEY = 'fingerprint_key';

/**
 * The per-installation HMAC key for sensitive values: generated once, kept in the database, so the
 * same Secret value always has the same fingerprint here and a different one anywhere else.
 */
export function ensureFingerprintKey(db: Db): Buffer {
  stmt(db, 'INSERT OR IGNORE INTO drift_settings (key, value) VALUES (?, ?)').run(
    FINGERPRINT_KEY,
    randomBytes(32).toString('base64'),
  );
  const row = stmt(db, 'SELECT value FROM drift_settings WHERE key = ?').get(FINGERPRINT_KEY) as { value: string };
  return Buffer.from(row.value, 'base64');
}
