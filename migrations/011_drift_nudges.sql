-- "You changed X, log it?": each unclaimed drifted field is put to the person who made it once.
CREATE TABLE drift_nudges (
  finding_id  INTEGER PRIMARY KEY REFERENCES drift_findings (id),
  slack_user  TEXT    NOT NULL,
  sent_at     TEXT    NOT NULL
);
