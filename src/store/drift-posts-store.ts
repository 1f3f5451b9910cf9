/**
 * Messages about unclaimed drift: which objects have one, where (channel and ts, so the same message is
 * updated after a restart), and what it showed last (so it is updated only when that changes).
 */
import type { Db } from './db.js';
import type { Finding } from '../drift/findings.js';
import { getFinding } from './findings-store.js';

/** An object as a post is keyed: version-independent, `namespace` '' when cluster-scoped. */
export interface PostObject {
  cluster: string;
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface DriftPost extends PostObject {
  id: number;
  channel: string;
  ts?: string;
  contentHash: string;
  postedAt: string;
}

interface PostRow {
  id: number;
  cluster: string;
  api_group: string;
  kind: string;
  namespace: string;
  name: string;
  channel: string;
  ts: string | null;
  content_hash: string;
  posted_at: string;
}

function toPost(row: PostRow): DriftPost {
  return {
    id: row.id,
    cluster: row.cluster,
    group: row.api_group,
    kind: row.kind,
    namespace: row.namespace,
    name: row.name,
    channel: row.channel,
    ts: row.ts ?? undefined,
    contentHash: row.content_hash,
    postedAt: row.posted_at,
  };
}

const OBJECT_MATCH = 'f.cluster = @cluster AND f.api_group = @group AND f.kind = @kind AND f.namespace = @namespace AND f.name = @name';

export class DriftPostsStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      // Objects with a field nobody claimed for long enough, written by a person (or by no known manager),
      // and no open post yet.
      due: db.prepare(`SELECT f.cluster, f.api_group AS "group", f.kind, f.namespace, f.name
        FROM drift_findings f
        LEFT JOIN drift_links l ON l.finding_id = f.id
        LEFT JOIN drift_posts p ON p.closed_at IS NULL AND p.cluster = f.cluster AND p.api_group = f.api_group
          AND p.kind = f.kind AND p.namespace = f.namespace AND p.name = f.name
        WHERE f.resolved_at IS NULL AND l.finding_id IS NULL AND p.id IS NULL
          AND (f.manager_class IS NULL OR f.manager_class = 'manual')
        GROUP BY f.cluster, f.api_group, f.kind, f.namespace, f.name
        HAVING min(f.first_seen) <= @cutoff
        ORDER BY min(f.first_seen)
        LIMIT @limit`),
      open: db.prepare('SELECT * FROM drift_posts WHERE closed_at IS NULL ORDER BY id'),
      get: db.prepare('SELECT * FROM drift_posts WHERE id = ?'),
      claimNudge: db.prepare('INSERT OR IGNORE INTO drift_nudges (finding_id, slack_user, sent_at) VALUES (?, ?, ?)'),
      forgetNudge: db.prepare('DELETE FROM drift_nudges WHERE finding_id = ?'),
      claim: db.prepare(`INSERT INTO drift_posts (cluster, api_group, kind, namespace, name, channel, content_hash, posted_at, updated_at)
        VALUES (@cluster, @group, @kind, @namespace, @name, @channel, @hash, @now, @now)`),
      sent: db.prepare('UPDATE drift_posts SET ts = @ts WHERE id = @id'),
      forget: db.prepare('DELETE FROM drift_posts WHERE id = ? AND ts IS NULL'),
      updated: db.prepare('UPDATE drift_posts SET content_hash = @hash, updated_at = @now WHERE id = @id'),
      close: db.prepare('UPDATE drift_posts SET content_hash = @hash, updated_at = @now, closed_at = @now WHERE id = @id'),
      findings: db.prepare(`SELECT f.id FROM drift_findings f WHERE ${OBJECT_MATCH}
        AND (f.resolved_at IS NULL OR f.resolved_at >= @since) ORDER BY f.path, f.id`),
    };
  }

  /** Objects whose unclaimed drift has waited `unclaimedAfterMs` and has no open post, oldest first. */
  due(now: Date, unclaimedAfterMs: number, limit = 50): PostObject[] {
    return this.stmts.due.all({ cutoff: new Date(now.getTime() - unclaimedAfterMs).toISOString(), limit }) as PostObject[];
  }

  get(id: number): DriftPost | undefined {
    const row = this.stmts.get.get(id) as PostRow | undefined;
    return row ? toPost(row) : undefined;
  }

  /** Claims the one nudge a finding gets (a DM to who made it): true the first time only. */
  claimNudge(findingId: number, slackUser: string, now: Date): boolean {
    return this.stmts.claimNudge.run(findingId, slackUser, now.toISOString()).changes === 1;
  }

  /** The DM could not be sent: the next pass tries again. */
  forgetNudge(findingId: number): void {
    this.stmts.forgetNudge.run(findingId);
  }

  open(): DriftPost[] {
    return (this.stmts.open.all() as PostRow[]).map(toPost);
  }

  /**
   * Claims the right to post about an object, before posting: a second process, or this one after a
   * crash, sees the claim. Undefined when an open post already exists.
   */
  claim(object: PostObject, channel: string, hash: string, now: Date): number | undefined {
    try {
      return Number(this.stmts.claim.run({ ...object, channel, hash, now: now.toISOString() }).lastInsertRowid);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return undefined;
      throw err;
    }
  }

  /** The message is out: its ts, for updates. */
  sent(id: number, ts: string): void {
    this.stmts.sent.run({ id, ts });
  }

  /** The post could not be sent: the claim goes, so the next pass tries again. */
  forget(id: number): void {
    this.stmts.forget.run(id);
  }

  updated(id: number, hash: string, now: Date): void {
    this.stmts.updated.run({ id, hash, now: now.toISOString() });
  }

  /** The message shows the outcome for good; new drift on the object will get a new post. */
  close(id: number, hash: string, now: Date): void {
    this.stmts.close.run({ id, hash, now: now.toISOString() });
  }

  /** The object's active findings, and those resolved since `since` (the post's time), by path. */
  findingsOf(object: PostObject, since: string): Finding[] {
    const rows = this.stmts.findings.all({ ...object, since }) as { id: number }[];
    return rows.map((r) => getFinding(this.db, r.id)).filter((f): f is Finding => f !== undefined);
  }
}
