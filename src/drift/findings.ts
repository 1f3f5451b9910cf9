import { randomBytes } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { canonicalJson } from '../json.js';
import type { Db } from '../store/db.js';
import { valueAtPath } from './pointer.js';
import type { Attribution, Difference, DifferenceKind, KubeObject, ManagerClass, ObjectRef } from './types.js';

/**
 * How a finding ended. `reverted`: the live value moved (back) while desired state stayed;
 * `codified`: the live value stayed and desired state (or ownership) moved to it; `deleted`: the
 * object is gone; `cleared`: the drift is gone but both sides moved, so neither story is certain.
 */
export type Resolution = 'reverted' | 'codified' | 'deleted' | 'cleared';
export type SourceType = 'directory' | 'last-applied' | 'managers';

export interface Finding {
  id: number;
  cluster: string;
  ref: ObjectRef;
  path: string;
  difference: DifferenceKind;
  /** `undefined` when the field is absent on that side; sensitive values are fingerprints. */
  desired: unknown;
  live: unknown;
  sensitive: boolean;
  attribution?: Attribution;
  source: SourceType;
  firstSeen: string;
  lastSeen: string;
  resolvedAt?: string;
  resolution?: Resolution;
}

/** The result of diffing one object that was successfully observed (listed, or sent by a watch). */
export interface ObjectObservation {
  cluster: string;
  ref: ObjectRef;
  source: SourceType;
  differences: readonly Difference[];
  /** The objects the differences came from: they tell a codified finding from a reverted one. */
  desired?: KubeObject;
  live?: KubeObject;
  /** The fingerprint used for sensitive values, to compare them without keeping them. */
  fingerprint?: (value: string) => string;
  /** How findings that end here ended, when it is known (the object left the scope of desired state). */
  resolveAs?: Resolution;
}

export interface ObservationResult {
  created: Finding[];
  /** Still present; `last_seen` moved, values and attribution refreshed. */
  updated: Finding[];
  resolved: Finding[];
}

/** The path of the finding that says a declared object does not exist in the cluster. */
export const WHOLE_OBJECT_PATH = '';

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

/** A stable identity for an object within a cluster: group, kind, namespace, name (version-independent). */
export function objectKey(ref: Pick<ObjectRef, 'group' | 'kind' | 'namespace' | 'name'>): string {
  return `${ref.group}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
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
    const resolution = obs.resolveAs ?? decideResolution(rowToFinding(row), obs);
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
    activeForObject(db, cluster, ref)
      .filter((row) => row.path !== WHOLE_OBJECT_PATH)
      .map((row) => rowToFinding(resolveRow(db, row.id, 'deleted', at))),
  )();
}

export interface ListScope {
  cluster: string;
  group: string;
  kind: string;
  /** The namespaces the list covered; omitted: all of them. */
  namespaces?: readonly string[];
}

export interface UnlistedOptions {
  /** Keys (`objectKey`) of objects that desired state still declares although they are absent. */
  declaredAbsent?: ReadonlySet<string>;
  /**
   * Whether desired state was read completely. When it was not (a manifest failed to parse), a
   * "declared object is missing" finding whose declaration vanished is kept: we cannot tell.
   */
  desiredComplete?: boolean;
}

/**
 * After a complete, successful list of one kind: active findings of objects the list did not
 * contain are resolved (the object was deleted while nobody watched). Call it only when every page
 * of the list arrived.
 */
export function resolveUnlistedObjects(
  db: Db,
  scope: ListScope,
  listed: ReadonlySet<string>,
  now: Date,
  options: UnlistedOptions = {},
): Finding[] {
  const at = now.toISOString();
  const namespaces = scope.namespaces ? new Set(scope.namespaces) : undefined;
  return db.transaction(() => {
    const rows = stmt(
      db,
      'SELECT * FROM drift_findings WHERE resolved_at IS NULL AND cluster = ? AND api_group = ? AND kind = ?',
    ).all(scope.cluster, scope.group, scope.kind) as FindingRow[];
    const resolved: Finding[] = [];
    for (const row of rows) {
      if (namespaces && row.namespace !== '' && !namespaces.has(row.namespace)) continue;
      const key = objectKey({ group: row.api_group, kind: row.kind, namespace: row.namespace || undefined, name: row.name });
      if (listed.has(key)) continue;
      if (row.path === WHOLE_OBJECT_PATH) {
        // Still absent: it stays drift while declared; once no longer declared, desired state moved.
        if (options.declaredAbsent?.has(key)) continue;
        if (options.desiredComplete === false) continue;
        resolved.push(rowToFinding(resolveRow(db, row.id, 'codified', at)));
      } else {
        resolved.push(rowToFinding(resolveRow(db, row.id, 'deleted', at)));
      }
    }
    return resolved;
  })();
}

/** What one pass over a cluster looked at: findings outside it say nothing about the cluster now. */
export interface ScanCoverage {
  cluster: string;
  /** Kinds the pass listed or tried to list (discovery found them), by group and kind. */
  kinds: readonly { group: string; kind: string }[];
  /** Namespaces namespaced kinds were listed in; omitted: all of them. */
  namespaces?: readonly string[];
  /**
   * Kinds whose list or discovery failed in the pass: whatever the rest says, their findings stay
   * (a failed list never resolves anything). `group` omitted: that kind in any group.
   */
  keep?: readonly { group?: string; kind: string }[];
}

function kept(coverage: ScanCoverage, group: string, kind: string): boolean {
  return (coverage.keep ?? []).some((k) => k.kind === kind && (k.group === undefined || k.group === group));
}

/** Whether a finding's object is one the pass looked at: a covered kind, in a covered namespace. */
export function isCovered(coverage: ScanCoverage, ref: Pick<ObjectRef, 'group' | 'kind' | 'namespace'>): boolean {
  if (!coverage.kinds.some((k) => k.group === ref.group && k.kind === ref.kind)) return false;
  // Cluster-scoped objects have no namespace and are scanned whatever the namespaces.
  return !coverage.namespaces || !ref.namespace || coverage.namespaces.includes(ref.namespace);
}

/**
 * After a pass over a cluster (discovery succeeded): resolves as `cleared` the active findings the
 * configuration no longer covers, of kinds removed from config or no longer served (a deleted CRD)
 * and of namespaces removed from config. Nothing was observed about them, so neither a revert nor
 * a fix is claimed; but nothing would ever resolve them either. Kinds in `keep` are left alone.
 */
export function resolveUncovered(db: Db, coverage: ScanCoverage, now: Date): Finding[] {
  const at = now.toISOString();
  return db.transaction(() => {
    const rows = stmt(db, 'SELECT * FROM drift_findings WHERE resolved_at IS NULL AND cluster = ? ORDER BY id').all(coverage.cluster) as FindingRow[];
    const resolved: Finding[] = [];
    for (const row of rows) {
      if (kept(coverage, row.api_group, row.kind)) continue;
      const ref = { group: row.api_group, kind: row.kind, namespace: row.namespace || undefined };
      if (isCovered(coverage, ref)) continue;
      resolved.push(rowToFinding(resolveRow(db, row.id, 'cleared', at)));
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

export type ScanMode = 'scan' | 'list' | 'resync' | 'watch';

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

// --- codified or reverted --------------------------------------------------------------------

/** `undefined`: cannot tell (a sensitive value without the fingerprint that made it). */
function sameValue(now: unknown, stored: unknown, sensitive: boolean, fingerprint?: (v: string) => string): boolean | undefined {
  if (!sensitive) return canonicalJson(now) === canonicalJson(stored);
  if (now === undefined || stored === undefined) return now === stored;
  if (typeof now !== 'string' || typeof stored !== 'string' || !fingerprint) return undefined;
  if (fingerprint(now) === stored) return true;
  const decoded = Buffer.from(now, 'base64').toString('utf8');
  return fingerprint(decoded) === stored ? true : false;
}

function decideResolution(finding: Finding, obs: ObjectObservation): Resolution {
  if (finding.path === WHOLE_OBJECT_PATH) return 'reverted'; // the declared object exists again
  if (!obs.live) return 'cleared';
  const liveNow = valueAtPath(obs.live, finding.path);
  const liveSame = sameValue(liveNow, finding.live, finding.sensitive, obs.fingerprint);
  if (liveSame === true) return 'codified';
  if (liveSame === undefined) return 'cleared';
  // For the managers-only source there is no desired value: both sides are `undefined`.
  const desiredNow = obs.desired ? valueAtPath(obs.desired, finding.path) : undefined;
  const desiredSame = sameValue(desiredNow, finding.desired, finding.sensitive, obs.fingerprint);
  return desiredSame === true ? 'reverted' : 'cleared';
}
