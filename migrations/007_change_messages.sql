-- Where a change was announced in Slack (channel and ts), so later news about it (its drift first
-- linked, its verified close) goes into that message's thread, once each.

CREATE TABLE change_messages (
  change_id     INTEGER PRIMARY KEY REFERENCES changes (id),
  channel       TEXT    NOT NULL,
  ts            TEXT    NOT NULL,
  linked_noted  INTEGER NOT NULL DEFAULT 0 CHECK (linked_noted IN (0, 1)),
  closed_noted  INTEGER NOT NULL DEFAULT 0 CHECK (closed_noted IN (0, 1))
);
