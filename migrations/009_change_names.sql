-- The object names each change's resource references mention, so linking finds the changes that may
-- explain a drifted object by index instead of reading every open change. A change's references never
-- change after it is logged.
CREATE TABLE change_names (
  name       TEXT    NOT NULL,
  change_id  INTEGER NOT NULL REFERENCES changes (id),
  PRIMARY KEY (name, change_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO change_names (name, change_id)
  SELECT json_extract(r.value, '$.name'), c.id FROM changes c, json_each(c.resources) r
  WHERE json_extract(r.value, '$.name') IS NOT NULL;
