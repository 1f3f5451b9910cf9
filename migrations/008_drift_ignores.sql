-- Drift a person marked as expected ("Expected: ignore"): those fields of that object are no longer
-- drift. Each rule belongs to the dismissed change that records who decided it, when and why.

CREATE TABLE drift_ignores (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster     TEXT    NOT NULL,
  api_group   TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  namespace   TEXT    NOT NULL DEFAULT '',
  name        TEXT    NOT NULL,
  pointers    TEXT    NOT NULL, -- JSON array of JSON pointers; empty: the whole object
  change_id   INTEGER NOT NULL REFERENCES changes (id),
  created_at  TEXT    NOT NULL
);
CREATE INDEX drift_ignores_object ON drift_ignores (cluster, kind, name);
