-- Weekly digests posted: one per channel, team ('' for everyone's) and week (ISO week in the digest's time zone). A process claims
-- the row before posting; the message's ts and the ledger head it carried are kept with it, so a re-run in
-- the same week updates that message and a reader can check the ledger against the anchor later.
CREATE TABLE digest_posts (
  channel      TEXT    NOT NULL,
  week         TEXT    NOT NULL,
  team         TEXT    NOT NULL DEFAULT '',
  claimed_at   TEXT    NOT NULL,
  ts           TEXT,
  posted_at    TEXT,
  updated_at   TEXT,
  anchor_seq   INTEGER,
  anchor_hash  TEXT,
  PRIMARY KEY (channel, week, team)
);
