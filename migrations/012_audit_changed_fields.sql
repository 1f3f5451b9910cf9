-- The fields an audited write changed (JSON: [{path, value}]), read from the request body at the
-- Request and RequestResponse levels. Values are short, and sensitive ones are keyed fingerprints.
ALTER TABLE audit_events ADD COLUMN changed_json TEXT;
