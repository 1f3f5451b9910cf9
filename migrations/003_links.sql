-- Links between drift findings and the changes that explain them. A finding has at most one link;
-- every link and unlink is also an event in the change's hash-chained log.

CREATE TABLE drift_links (
  finding_id  INTEGER PRIMARY KEY REFERENCES drift_findings (id),
  change_id   INTEGER NOT NULL REFERENCES changes (id),
  how         TEXT    NOT NULL CHECK (how IN ('automatic', 'claimed')),
  linked_by   TEXT    NOT NULL, -- 'stopgap' for automatic links, else the Slack user
  linked_at   TEXT    NOT NULL
);
CREATE INDEX drift_links_change ON drift_links (change_id);
