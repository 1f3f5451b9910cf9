import type { App as BoltApp, BlockAction, ButtonAction } from '@slack/bolt';
import { formatResource } from '../../../ledger/model.js';
import type { SlackContext } from '../../context.js';
import { openLogChangeModal } from '../../open-log-change.js';
import { tellClicker } from '../../response-url.js';
import type { DriftPost } from '../../../store/drift-posts-store.js';
import type { Finding } from '../../../drift/findings.js';
import { DRIFT_POST_ACTION_IDS, ignoreDriftModal, linkDriftModal, objectLabel, parseDriftPostValue, parsePickValue, type PostedField } from '../../views/index.js';
import { findingKey } from '../../../ledger/drift-subcommands.js';
import { mayManage } from '../../../ledger/lifecycle.js';
import { changeKey } from '../../../ledger/model.js';


/** The post a button belongs to and its fields still waiting for a change, or what to tell the person. */
export function unclaimedOfPost(ctx: SlackContext, value: string | undefined): { post: DriftPost; first: Finding; fields: PostedField[] } | { problem: string } {
  const id = parseDriftPostValue(value);
  const post = id === undefined ? undefined : ctx.posts.get(id);
  if (!post) return { problem: 'Stopgap no longer knows this message, so nothing was changed. `/fix drift` lists unclaimed drift.' };
  const fields = ctx.posts.findingsOf(post, post.postedAt).map((finding) => ({ finding, changeId: ctx.links.linkOf(finding.id)?.changeId }));
  const open = fields.filter((f) => f.changeId === undefined && !f.finding.resolvedAt);
  const first = open[0]?.finding;
  if (!first) return { problem: 'This drift is already linked to a change or gone: nothing left to claim.' };
  return { post, first, fields: open };
}

/**
 * The buttons on an unclaimed-drift message. "It was me: log it" opens the log form filled in from the
 * drift (the new change takes it); "Link to an existing change" asks which open change made it.
 */
export function registerDriftButtons(app: BoltApp, ctx: SlackContext): void {
  // "It was SG-n": the answer to a question about drift two changes explain equally well.
  app.action<BlockAction<ButtonAction>>(new RegExp(`^${DRIFT_POST_ACTION_IDS.pickChange}_\\d+$`), async ({ ack, body, action, client }) => {
    await ack();
    const pick = parsePickValue(action.value);
    const finding = pick ? ctx.links.finding(pick.findingId) : undefined;
    const change = pick ? ctx.ledger.get(pick.changeId) : undefined;
    if (!pick || !finding || !change) return tellClicker(ctx, client, body, 'Stopgap no longer knows this drift or change, so nothing was linked. `/fix drift` lists unclaimed drift.');
    const current = ctx.links.linkOf(finding.id);
    if (current) return tellClicker(ctx, client, body, `${findingKey(finding.id)} is already linked to ${changeKey(current.changeId)}; \`/fix unclaim ${findingKey(finding.id)}\` first to move it.`);
    if (change.status !== 'open' && change.status !== 'in_review') return tellClicker(ctx, client, body, `${change.key} is ${change.status}; drift can only be linked to an open change.`);
    const user = body.user.id;
    if (!mayManage(change, { by: user, isAdmin: ctx.isAdmin(user) })) {
      ctx.metrics.refusals.inc({ code: 'forbidden' });
      return tellClicker(ctx, client, body, `Only ${change.key}'s owner, whoever logged it, or an admin can link drift to it.`);
    }
    try {
      await ctx.links.claimSoon([finding.id], change.id, user, ctx.now());
    } catch (err) {
      const busy = ctx.writeFailed(err, { user, change: change.key });
      return tellClicker(ctx, client, body, busy ? 'The ledger is busy; nothing was linked. Press the button again in a moment.' : 'Stopgap could not link this. Press the button again.');
    }
    ctx.logger.info({ change: change.key, user, findings: [finding.id] }, 'drift claimed');
    await tellClicker(ctx, client, body, `Linked ${findingKey(finding.id)} (${objectLabel(finding)} \`${finding.path || 'whole object'}\`) to *${change.key}*.`);
  });

  app.action<BlockAction<ButtonAction>>(DRIFT_POST_ACTION_IDS.logIt, async ({ ack, body, action, client }) => {
    await ack();
    const found = unclaimedOfPost(ctx, action.value);
    if ('problem' in found) return tellClicker(ctx, client, body, found.problem);
    const first = found.first;
    if (!body.trigger_id) return;
    const resource = { kind: first.ref.kind.toLowerCase(), name: first.ref.name, ...(first.ref.group && !['apps', ''].includes(first.ref.group) ? { group: first.ref.group } : {}) };
    const paths = found.fields.map((f) => f.finding.path || 'the whole object').join(', ');
    const opened = await openLogChangeModal(ctx, {
      triggerId: body.trigger_id,
      channelId: body.channel?.id,
      commandName: '/fix',
      source: 'modal',
      claimFindings: found.fields.map((f) => f.finding.id),
      prefill: {
        description: `Changed ${paths} on ${objectLabel(first)} by hand`.slice(0, 3000),
        resources: formatResource(resource),
        namespace: first.ref.namespace,
        cluster: first.cluster,
      },
    });
    if (!opened) await tellClicker(ctx, client, body, 'Slack would not open the form just now. Type `/fix <what you changed>` instead; it links to this drift by itself.');
  });

  app.action<BlockAction<ButtonAction>>(DRIFT_POST_ACTION_IDS.ignore, async ({ ack, body, action, client }) => {
    await ack();
    const found = unclaimedOfPost(ctx, action.value);
    if ('problem' in found) return tellClicker(ctx, client, body, found.problem);
    if (!body.trigger_id) return;
    const opened = await ctx.openView(
      body.trigger_id,
      ignoreDriftModal({ objectLabel: objectLabel(found.first), paths: found.fields.map((f) => f.finding.path), privateMetadata: JSON.stringify({ postId: found.post.id }) }),
    );
    if (!opened) await tellClicker(ctx, client, body, 'Slack would not open the form just now, so nothing was ignored. Press the button again in a moment.');
  });

  app.action<BlockAction<ButtonAction>>(DRIFT_POST_ACTION_IDS.linkExisting, async ({ ack, body, action, client }) => {
    await ack();
    const found = unclaimedOfPost(ctx, action.value);
    if ('problem' in found) return tellClicker(ctx, client, body, found.problem);
    if (!body.trigger_id) return;
    const clusters = ctx.config.file.clusters.map((c) => c.name);
    const changes = ctx.ledger.openOnCluster(found.post.cluster, { withoutCluster: clusters.length === 1, limit: 100 });
    if (changes.length === 0) {
      return tellClicker(ctx, client, body, `No change is open on ${found.post.cluster}. Log it instead: press *It was me: log it*, or type \`/fix <what you changed>\`.`);
    }
    const opened = await ctx.openView(
      body.trigger_id,
      linkDriftModal({ objectLabel: objectLabel(found.first), changes, privateMetadata: JSON.stringify({ postId: found.post.id }) }),
    );
    if (!opened) await tellClicker(ctx, client, body, 'Slack would not open the form just now. Type `/fix claim D-n SG-n` instead.');
  });
}
