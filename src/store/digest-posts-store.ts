/**
 * Weekly digests posted: one row per channel and week, claimed before the message is posted, so that
 * restarts, re-runs and a second process post it once and update it after.
 */
import type { Db } from './db.js';

export interface DigestPost {
  channel: string;
  week: string;
  team: string | null;
  claimedAt: string;
  ts: string | null;
  anchorSeq: number | null;
  anchorHash: string | null;
}

/** A claim this old whose message never got its ts: the process that made it stopped; take it over. */
const STALE_CLAIM_MS = 5 * 60_000;

export class DigestPostsStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      claim: db.prepare('INSERT OR IGNORE INTO digest_posts (channel, week, team, claimed_at) VALUES (?, ?, ?, ?)'),
      takeOver: db.prepare('UPDATE digest_posts SET claimed_at = ? WHERE channel = ? AND week = ? AND team = ? AND ts IS NULL AND claimed_at <= ?'),
      get: db.prepare(
        'SELECT channel, week, team, claimed_at AS claimedAt, ts, anchor_seq AS anchorSeq, anchor_hash AS anchorHash FROM digest_posts WHERE channel = ? AND week = ? AND team = ?',
      ),
      posted: db.prepare('UPDATE digest_posts SET ts = ?, posted_at = ?, updated_at = ?, anchor_seq = ?, anchor_hash = ? WHERE channel = ? AND week = ? AND team = ?'),
      updated: db.prepare('UPDATE digest_posts SET updated_at = ?, anchor_seq = ?, anchor_hash = ? WHERE channel = ? AND week = ? AND team = ?'),
      release: db.prepare('DELETE FROM digest_posts WHERE channel = ? AND week = ? AND team = ? AND ts IS NULL'),
    };
  }

  /**
   * What to do about a channel's digest this week: `post` (this process claimed it), `update` (posted
   * already: here is where), or `wait` (another process is posting it right now).
   */
  claim(channel: string, week: string, team: string | null, now: Date): { action: 'post' } | { action: 'update'; ts: string } | { action: 'wait' } {
    const at = now.toISOString();
    return this.db.transaction(() => {
      if (this.stmts.claim.run(channel, week, team ?? '', at).changes > 0) return { action: 'post' as const };
      const row = this.stmts.get.get(channel, week, team ?? '') as DigestPost;
      if (row.ts) return { action: 'update' as const, ts: row.ts };
      const stale = new Date(now.getTime() - STALE_CLAIM_MS).toISOString();
      return this.stmts.takeOver.run(at, channel, week, team ?? '', stale).changes > 0 ? { action: 'post' as const } : { action: 'wait' as const };
    }).immediate();
  }

  posted(channel: string, week: string, team: string | null, ts: string, anchor: { seq: number; hash: string } | null, now: Date): void {
    const at = now.toISOString();
    this.stmts.posted.run(ts, at, at, anchor?.seq ?? null, anchor?.hash ?? null, channel, week, team ?? '');
  }

  updated(channel: string, week: string, team: string | null, anchor: { seq: number; hash: string } | null, now: Date): void {
    this.stmts.updated.run(now.toISOString(), anchor?.seq ?? null, anchor?.hash ?? null, channel, week, team ?? '');
  }

  /** A claim whose post failed: the next run tries again. */
  release(channel: string, week: string, team: string | null): void {
    this.stmts.release.run(channel, week, team ?? '');
  }
}
