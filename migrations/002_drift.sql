-- Drift: field-level findings from the scanner, the outcome of each list/watch, and the
-- per-installation key for Secret fingerprints.

CREATE TABLE drift_findings (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster        TEXT    NOT NULL,
  api_group      TEXT    NOT NULL,            -- '' for the core group
  api_version    TEXT    NOT NULL,
  kind           TEXT    NOT NULL,
  namespace      TEXT    NOT NULL DEFAULT '', -- '' for cluster-scoped objects
  name           TEXT    NOT NULL,
  uid            TEXT,
  path           TEXT    NOT NULL,            -- JSON pointer, list items by merge key; '' is the whole object
  difference     TEXT    NOT NULL CHECK (difference IN ('changed', 'missing', 'extra')),
  desired_json   TEXT,                        -- NULL: absent; sensitive values only as fingerprints
  live_json      TEXT,
  sensitive      INTEGER NOT NULL DEFAULT 0 CHECK (sensitive IN (0, 1)),
  manager        TEXT,
  operation      TEXT,
  subresource    TEXT,
  manager_time   TEXT,
  manager_class  TEXT    CHECK (manager_class IN ('manual', 'automation')),
  source         TEXT    NOT NULL CHECK (source IN ('directory', 'last-applied', 'managers')),
  first_seen     TEXT    NOT NULL,
  last_seen      TEXT    NOT NULL,
  resolved_at    TEXT,
  resolution     TEXT    CHECK (resolution IN ('reverted', 'codified', 'deleted', 'cleared')),
  CHECK ((resolved_at IS NULL) = (resolution IS NULL))
);
-- One active finding per field; resolved ones are history.
CREATE UNIQUE INDEX drift_findings_active_field
  ON drift_findings (cluster, api_group, kind, namespace, name, path) WHERE resolved_at IS NULL;
CREATE INDEX drift_findings_active_object
  ON drift_findings (cluster, api_group, kind, namespace, name) WHERE resolved_at IS NULL;
CREATE INDEX drift_findings_resolved ON drift_findings (resolved_at) WHERE resolved_at IS NOT NULL;

-- One row per list (full pass or resync) of one kind in one cluster, and per failed watch.
CREATE TABLE drift_scan_runs (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster        TEXT    NOT NULL,
  api_group      TEXT    NOT NULL,
  api_version    TEXT    NOT NULL,
  kind           TEXT    NOT NULL,
  mode           TEXT    NOT NULL CHECK (mode IN ('scan', 'list', 'resync', 'watch')),
  started_at     TEXT    NOT NULL,
  finished_at    TEXT    NOT NULL,
  outcome        TEXT    NOT NULL CHECK (outcome IN ('ok', 'failed')),
  objects        INTEGER NOT NULL DEFAULT 0,
  findings       INTEGER NOT NULL DEFAULT 0, -- active findings of this kind after the run
  error_code     TEXT,
  error_message  TEXT
);
CREATE INDEX drift_scan_runs_cluster ON drift_scan_runs (cluster, kind, started_at);

CREATE TABLE drift_settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
