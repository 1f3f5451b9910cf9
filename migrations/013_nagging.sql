-- Reminders and escalations. What has been sent about each change (nag_state), and the outbox: each
-- message due is written here, in the transaction that decides it, once per (change, kind, slot,
-- recipient), then delivered by the sender and marked sent. Owners' time zones as Slack gave them.

CREATE TABLE nag_state (
  change_id                INTEGER PRIMARY KEY REFERENCES changes (id),
  sent                     INTEGER NOT NULL DEFAULT 0,
  unanswered               INTEGER NOT NULL DEFAULT 0,
  seen_updated_at          TEXT,
  last_reminder_at         TEXT,
  escalated_due_at         TEXT,
  escalated_unanswered_at  TEXT
);

CREATE TABLE outbox (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  change_id        INTEGER NOT NULL REFERENCES changes (id),
  kind             TEXT    NOT NULL CHECK (kind IN ('reminder', 'escalation')),
  slot             TEXT    NOT NULL,
  -- A Slack user (a DM) or channel ID.
  recipient        TEXT    NOT NULL,
  -- Why an escalation: overdue, unanswered, undeliverable.
  reason           TEXT,
  created_at       TEXT    NOT NULL,
  state            TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TEXT    NOT NULL,
  sending_since    TEXT,
  sent_at          TEXT,
  -- Where the message landed, to update it in place when the change is acted on.
  channel          TEXT,
  ts               TEXT,
  error            TEXT,
  UNIQUE (change_id, kind, slot, recipient)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_change ON outbox (change_id);

CREATE TABLE slack_users (
  user_id     TEXT PRIMARY KEY,
  tz          TEXT,
  fetched_at  TEXT NOT NULL,
  -- Why the user cannot be asked (user_not_found, deactivated), if so.
  problem     TEXT
);
