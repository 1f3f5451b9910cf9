-- The ledger: changes, their append-only hash-chained event log, and request de-duplication.

CREATE TABLE changes (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  description    TEXT    NOT NULL,
  actor          TEXT    NOT NULL,
  owner          TEXT    NOT NULL,
  cluster        TEXT,
  resources      TEXT    NOT NULL DEFAULT '[]', -- JSON array of ResourceRef
  incident       TEXT,
  channel_id     TEXT,
  source         TEXT    NOT NULL CHECK (source IN ('command', 'modal', 'shortcut', 'api')),
  status         TEXT    NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'in_review', 'codified', 'reverted', 'dismissed')),
  verified       INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
  pr_url         TEXT,
  reason         TEXT,
  message_link   TEXT,
  created_at     TEXT    NOT NULL,
  due_at         TEXT    NOT NULL,
  snoozed_until  TEXT,
  closed_at      TEXT,
  updated_at     TEXT    NOT NULL
);
CREATE INDEX changes_owner_status ON changes (owner, status);
CREATE INDEX changes_status_due ON changes (status, due_at);

-- Append-only: every mutation of a change adds one row; each row's hash covers the previous
-- row's hash and this row's canonical JSON, so an edited or deleted row breaks the chain.
CREATE TABLE change_events (
  seq        INTEGER PRIMARY KEY,
  change_id  INTEGER NOT NULL REFERENCES changes (id),
  type       TEXT    NOT NULL,
  actor      TEXT    NOT NULL,
  at         TEXT    NOT NULL,
  data       TEXT    NOT NULL, -- canonical JSON
  prev_hash  TEXT    NOT NULL,
  hash       TEXT    NOT NULL
);
CREATE INDEX change_events_change ON change_events (change_id, seq);

CREATE TRIGGER change_events_no_update BEFORE UPDATE ON change_events
BEGIN
  SELECT RAISE(ABORT, 'change_events is append-only');
END;
CREATE TRIGGER change_events_no_delete BEFORE DELETE ON change_events
BEGIN
  SELECT RAISE(ABORT, 'change_events is append-only');
END;

-- Slack retries and double submits carry the same identifiers; the first one wins.
CREATE TABLE request_keys (
  key        TEXT PRIMARY KEY,
  change_id  INTEGER REFERENCES changes (id),
  created_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
