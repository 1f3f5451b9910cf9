-- Drift two open changes explain equally well: their owners are asked once which one it was.
CREATE TABLE drift_questions (
  finding_id  INTEGER PRIMARY KEY REFERENCES drift_findings (id),
  change_ids  TEXT    NOT NULL, -- JSON array of the candidate changes, as asked
  asked_at    TEXT    NOT NULL
);
