-- Unclaimed drift posted to Slack: one message per drifted object, updated in place (chat.update) as
-- its findings change, found again after a restart through the stored channel and ts.

CREATE TABLE drift_posts (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster       TEXT    NOT NULL,
  api_group     TEXT    NOT NULL,
  kind          TEXT    NOT NULL,
  namespace     TEXT    NOT NULL DEFAULT '',
  name          TEXT    NOT NULL,
  channel       TEXT    NOT NULL,
  ts            TEXT,             -- NULL while the post is being sent (or if sending was cut short)
  content_hash  TEXT    NOT NULL, -- what the message shows now: it is updated only when this changes
  posted_at     TEXT    NOT NULL,
  updated_at    TEXT    NOT NULL,
  closed_at     TEXT              -- every finding linked or resolved: the message shows the outcome for good
);
-- At most one open post per object; a closed one is history, and new drift on the object gets a new post.
CREATE UNIQUE INDEX drift_posts_open_object
  ON drift_posts (cluster, api_group, kind, namespace, name) WHERE closed_at IS NULL;
