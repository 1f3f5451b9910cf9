-- Writes the Kubernetes audit webhook reported: who changed which object, how and when. Never the
-- request or response bodies. The webhook retries a batch it thinks failed: an event (auditID and
-- stage) is kept once.

CREATE TABLE audit_events (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster          TEXT    NOT NULL,
  audit_id         TEXT    NOT NULL,
  stage            TEXT    NOT NULL,
  verb             TEXT    NOT NULL,
  resource         TEXT    NOT NULL,
  api_group        TEXT    NOT NULL,
  namespace        TEXT    NOT NULL DEFAULT '',
  name             TEXT    NOT NULL DEFAULT '',
  subresource      TEXT,
  username         TEXT    NOT NULL,
  impersonated     TEXT,
  groups_json      TEXT    NOT NULL,
  user_agent       TEXT,
  source_ips_json  TEXT    NOT NULL,
  field_manager    TEXT,
  at               TEXT    NOT NULL,
  code             INTEGER NOT NULL,
  received_at      TEXT    NOT NULL,
  UNIQUE (cluster, audit_id, stage)
);
CREATE INDEX audit_events_object ON audit_events (cluster, resource, namespace, name, at);
CREATE INDEX audit_events_at ON audit_events (at);
