-- The weekly digest counts open changes in groups (status, cluster, first object's namespace and kind,
-- owner) straight from an index, instead of reading each row: the namespace and kind that decide a
-- change's team are generated from its resources, and the age and due columns ride along. The same order
-- gives each group's oldest. Closed changes it finds by when they closed.
-- A row whose resources are not JSON (only a hand-edited database has one; `stopgap verify` reports it)
-- gets no namespace or kind rather than refusing the write or this migration.
ALTER TABLE changes ADD COLUMN first_namespace TEXT
  GENERATED ALWAYS AS (CASE WHEN json_valid(resources) THEN json_extract(resources, '$[0].namespace') END) VIRTUAL;
ALTER TABLE changes ADD COLUMN first_kind TEXT
  GENERATED ALWAYS AS (CASE WHEN json_valid(resources) THEN json_extract(resources, '$[0].kind') END) VIRTUAL;
CREATE INDEX changes_open_groups ON changes (status, cluster, first_namespace, first_kind, owner, created_at, due_at, snoozed_until)
  WHERE status IN ('open', 'in_review');
CREATE INDEX changes_closed ON changes (closed_at) WHERE status NOT IN ('open', 'in_review');
-- Which changes moved after a moment, and how: only the events that move a change's state (drift linked
-- and unlinked, most of a busy ledger's events, patch nothing), by time and by change, so neither the
-- time index nor a replay walks the rest.
DROP INDEX change_events_at;
CREATE INDEX change_events_moved ON change_events (at, change_id) WHERE type NOT IN ('drift_linked', 'drift_unlinked');
CREATE INDEX change_events_moves ON change_events (change_id, seq) WHERE type NOT IN ('drift_linked', 'drift_unlinked');
