-- Linking a new change looks up the active findings of the objects it names, by name.
CREATE INDEX drift_findings_active_name ON drift_findings (name) WHERE resolved_at IS NULL;
