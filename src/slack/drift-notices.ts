/**
 * Posts unclaimed drift to the owning team's channel (or the default channel), one message per object,
 * and keeps each message true: updated in place (`chat.update`) when its fields change, never posted
 * twice, found again after a restart. Runs after every linking pass and on a timer.
 */
import { createHash } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import type { ServeConfig } from '../config/config.js';
import { channelFor } from '../config/teams.js';
import type { Metrics } from '../http/metrics.js';
import type { Logger } from '../log.js';
import type { Change } from '../ledger/model.js';
import type { Finding } from '../drift/findings.js';
import { escapeAndTruncate, findingLine, firstLine } from './views/index.js';
import type { DriftPostsStore, PostObject } from '../store/drift-posts-store.js';
import type { LedgerStore } from '../store/ledger-store.js';
import type { ChangeMessagesStore } from '../store/change-messages-store.js';
import type { LinkOutcome, LinksStore } from '../store/links-store.js';
import { slackClientOptions } from './context.js';
import { nudgeMessage, stillUnclaimed, unclaimedDriftMessage, whichChangeQuestion, type PostedField } from './views/drift-post.js';

export interface DriftNoticesDeps {
  config: ServeConfig;
  /** Who made a drifted field, from the audit log (mrkdwn), when known. */
  personOf?: (finding: Finding) => string | undefined;
  /** The Slack user who made a drifted field (audit log and audit.users), for the nudge DM. */
  slackUserOf?: (finding: Finding) => string | undefined;
  ledger: LedgerStore;
  messages: ChangeMessagesStore;
  posts: DriftPostsStore;
  links: LinksStore;
  logger: Logger;
  metrics: Metrics;
  now: () => Date;
}

export interface DriftNotices {
  /** Brings Slack in line with the findings: new posts for objects now due, updates for the rest. */
  sync(): Promise<void>;
  /** Tells each owner that their change closed by itself, and how the scanner knows. */
  tellClosed(changes: readonly Change[]): Promise<void>;
  /** Asks the owners of equally good candidates which change made a drifted field (once per field). */
  askWhichChange(ambiguous: LinkOutcome['ambiguous']): Promise<void>;
  /** Says in each change's announcement thread, the first time, which drift is now linked to it. */
  noteLinked(changeIds: readonly number[]): Promise<void>;
  /** No more passes; resolves once a pass in progress (a post being sent, its ts recorded) is done. */
  stop(): Promise<void>;
}

/** A claim to post older than this was never sent. */
const STALE_CLAIM_MS = 120_000;

function hashOf(message: { text: string; blocks: unknown[] }): string {
  return createHash('sha256').update(JSON.stringify(message)).digest('hex');
}

function objectKey(o: PostObject): string {
  return `${o.cluster}/${o.group}/${o.kind}/${o.namespace}/${o.name}`;
}

export function startDriftNotices(deps: DriftNoticesDeps): DriftNotices {
  const { config, posts, links, logger } = deps;
  const log = logger.child({ component: 'drift-notices' });
  const client = new WebClient(config.slack.botToken, slackClientOptions(config, deps.metrics));
  const after = config.file.drift.unclaimedAfter;
  const teams = config.file.teams;
  const unrouted = new Set<string>();
  let running: Promise<void> | undefined;
  let stopped = false;
  let again = false;

  const fieldsOf = (object: PostObject, since: string): PostedField[] =>
    posts.findingsOf(object, since).map((finding) => {
      const changeId = links.linkOf(finding.id)?.changeId;
      const change = changeId === undefined ? undefined : deps.ledger.get(changeId);
      // A dismissed change that took drift marked it expected.
      const expected = change?.status === 'dismissed' && change.reason ? { by: change.actor, reason: change.reason } : undefined;
      const person = deps.personOf?.(finding);
      return { finding, changeId, ...(expected ? { expected } : {}), ...(person ? { person } : {}) };
    });

  async function post(object: PostObject, now: Date): Promise<void> {
    const channel = channelFor(teams, config.file.defaultChannel, object);
    if (!channel) {
      const key = objectKey(object);
      if (!unrouted.has(key)) {
        unrouted.add(key);
        log.warn({ object: key }, 'unclaimed drift has no channel: set defaultChannel or a team whose match covers it');
      }
      return;
    }
    const since = now.toISOString();
    // The claim comes first so no other pass posts the same object; its id goes into the buttons.
    const id = posts.claim(object, channel, '', now);
    if (id === undefined) return;
    const fields = fieldsOf(object, since);
    if (!stillUnclaimed(fields)) {
      posts.forget(id);
      return;
    }
    const message = unclaimedDriftMessage({ postId: id, fields });
    try {
      const res = await client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
      if (!res.ts) throw new Error('Slack answered without a message ts');
      posts.sent(id, res.ts);
      posts.updated(id, hashOf(message), now);
      log.info({ object: objectKey(object), channel, fields: fields.length }, 'unclaimed drift posted');
    } catch (err) {
      posts.forget(id);
      deps.metrics.deliveryFailures.inc({ kind: 'drift_post' });
      log.warn({ err, object: objectKey(object), channel }, 'could not post unclaimed drift; the next pass tries again');
    }
  }

  async function refresh(now: Date): Promise<void> {
    for (const p of posts.open()) {
      if (!p.ts) {
        // A post cut short (the process died between claiming and sending): try it again.
        if (now.getTime() - Date.parse(p.postedAt) > STALE_CLAIM_MS) posts.forget(p.id);
        continue;
      }
      const fields = fieldsOf(p, p.postedAt);
      const message = unclaimedDriftMessage({ postId: p.id, fields });
      const hash = hashOf(message);
      // The message stays open while any field is live, claimed or not: an unclaim, or new drift on the
      // object, updates it again instead of posting anew.
      const settled = fields.every((f) => f.finding.resolvedAt !== undefined);
      if (hash === p.contentHash && !settled) continue;
      try {
        if (hash !== p.contentHash) await client.chat.update({ channel: p.channel, ts: p.ts, text: message.text, blocks: message.blocks });
        if (settled) posts.close(p.id, hash, now);
        else posts.updated(p.id, hash, now);
        log.info({ object: objectKey(p), settled }, 'unclaimed drift message updated');
      } catch (err) {
        deps.metrics.deliveryFailures.inc({ kind: 'drift_update' });
        log.warn({ err, object: objectKey(p) }, 'could not update the unclaimed drift message; the next pass tries again');
      }
    }
  }

  /** Each unclaimed field posted is put to the person who made it, once: one DM per person per pass. */
  async function nudge(now: Date): Promise<void> {
    if (!deps.slackUserOf) return;
    const perUser = new Map<string, { postId: number; finding: Finding }[]>();
    for (const p of posts.open()) {
      if (!p.ts) continue;
      for (const f of fieldsOf(p, p.postedAt)) {
        if (f.changeId !== undefined || f.finding.resolvedAt) continue;
        const user = deps.slackUserOf(f.finding);
        if (!user || !posts.claimNudge(f.finding.id, user, now)) continue;
        perUser.set(user, [...(perUser.get(user) ?? []), { postId: p.id, finding: f.finding }]);
      }
    }
    for (const [user, items] of perUser) {
      const message = nudgeMessage(items);
      try {
        await client.chat.postMessage({ channel: user, text: message.text, blocks: message.blocks });
        log.info({ user, findings: items.map((i) => i.finding.id) }, 'asked who made drift to log it');
      } catch (err) {
        for (const i of items) posts.forgetNudge(i.finding.id);
        deps.metrics.deliveryFailures.inc({ kind: 'nudge_dm' });
        log.warn({ err, user }, 'could not ask who made drift to log it; the next pass tries again');
      }
    }
  }

  async function pass(): Promise<void> {
    const now = deps.now();
    await refresh(now);
    for (const object of posts.due(now, after)) await post(object, now);
    await nudge(now);
  }

  function sync(): Promise<void> {
    if (stopped) return running ?? Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await pass();
        } while (again);
      } catch (err) {
        log.warn({ err }, 'unclaimed drift pass failed; the next one tries again');
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  // Drift becomes due with time alone: look again a few times per grace period (at most every 30 s).
  const timer = setInterval(() => void sync(), Math.min(30_000, Math.max(1_000, after / 4)));
  timer.unref();
  /** Posts into the change's announcement thread, once per kind of note. */
  async function threadNote(changeId: number, note: 'linked' | 'closed', text: string): Promise<void> {
    const where = deps.messages.get(changeId);
    if (!where) return;
    const claimed = await deps.ledger.writeSoon(() => deps.messages.claimNote(changeId, note)).catch((err: unknown) => {
      log.warn({ err, change: `SG-${changeId}`, note }, 'could not record a thread note; it is not sent');
      return false;
    });
    if (!claimed) return;
    try {
      await client.chat.postMessage({ channel: where.channel, thread_ts: where.ts, text });
    } catch (err) {
      deps.metrics.deliveryFailures.inc({ kind: 'thread_note' });
      log.warn({ err, change: `SG-${changeId}`, note }, 'could not post in the change\'s thread');
    }
  }

  async function noteLinked(changeIds: readonly number[]): Promise<void> {
    for (const changeId of new Set(changeIds)) {
      const live = links.linkedFindings(changeId).filter((f) => !f.resolvedAt);
      if (live.length === 0) continue;
      const lines = live.slice(0, 10).map((f) => `• ${findingLine(f)}`);
      if (live.length > 10) lines.push(`…and ${live.length - 10} more.`);
      await threadNote(changeId, 'linked', `The scanner sees this change in the cluster; drift linked to SG-${changeId}:\n${lines.join('\n')}`);
    }
  }

  async function tellClosed(changes: readonly Change[]): Promise<void> {
    for (const change of changes) {
      const how = change.status === 'reverted' ? 'the cluster is back at its desired state' : 'desired state now holds what was live';
      await threadNote(change.id, 'closed', `*${change.key}* closed by itself as *${change.status}*, verified: ${how}.`);
      const text = `*${change.key}* closed by itself as *${change.status}*: the scanner saw its drift end (${how}). “${escapeAndTruncate(firstLine(change.description), 200)}”`;
      try {
        await client.chat.postMessage({ channel: change.owner, text });
      } catch (err) {
        deps.metrics.deliveryFailures.inc({ kind: 'owner_dm' });
        log.warn({ err, change: change.key }, 'could not tell the owner their change closed');
      }
    }
  }

  async function askWhichChange(ambiguous: LinkOutcome['ambiguous']): Promise<void> {
    for (const decision of links.markAsked(ambiguous, deps.now())) {
      const finding = links.finding(decision.findingId);
      const changes = decision.changeIds.map((id) => deps.ledger.get(id)).filter((c): c is Change => c !== undefined);
      if (!finding || changes.length < 2) continue;
      const message = whichChangeQuestion({ finding, changes });
      for (const owner of new Set(changes.map((c) => c.owner))) {
        try {
          await client.chat.postMessage({ channel: owner, text: message.text, blocks: message.blocks });
        } catch (err) {
          deps.metrics.deliveryFailures.inc({ kind: 'owner_dm' });
          log.warn({ err, finding: decision.findingId, owner }, 'could not ask an owner which change made the drift');
        }
      }
      log.info({ finding: decision.findingId, changes: decision.changeIds }, 'asked the owners which change made the drift');
    }
  }

  const stop = async (): Promise<void> => {
    stopped = true;
    clearInterval(timer);
    again = false;
    await running;
  };
  return { sync, tellClosed, askWhichChange, noteLinked, stop };
}
