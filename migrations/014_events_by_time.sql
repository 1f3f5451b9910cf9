-- Ledger events by time: what changed after a moment (the digest's "as of a week ago" replays only the
-- changes touched since), and events of a week, without reading the whole log.
CREATE INDEX change_events_at ON change_events (at);
