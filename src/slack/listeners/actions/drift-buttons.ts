import type { App as BoltApp, BlockAction, ButtonAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { formatResource } from '../../../ledger/model.js';
import type { SlackContext } from '../../context.js';
import { openLogChangeModal } from '../../open-log-change.js';
import { responderFor } from '../../response-url.js';
import type { DriftPost } from '../../../store/drift-posts-store.js';
import type { Finding } from '../../../drift/findings.js';
import { DRIFT_POST_ACTION_IDS, linkDriftModal, objectLabel, parseDriftPostValue, type PostedField } from '../../views/index.js';

/** Tells the person who clicked, in the channel only they see (or by DM without a response_url). */
async function tell(ctx: SlackContext, client: WebClient, body: BlockAction, text: string): Promise<void> {
  try {
    if (body.response_url) await responderFor(body.response_url)({ response_type: 'ephemeral', text, replace_original: false });
    else await client.chat.postMessage({ channel: body.user.id, text });
  } catch (err) {
    ctx.deliveryFailed('button_reply', err, { user: body.user.id });
  }
}

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
  app.action<BlockAction<ButtonAction>>(DRIFT_POST_ACTION_IDS.logIt, async ({ ack, body, action, client }) => {
    await ack();
    const found = unclaimedOfPost(ctx, action.value);
    if ('problem' in found) return tell(ctx, client, body, found.problem);
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
    if (!opened) await tell(ctx, client, body, 'Slack would not open the form just now. Type `/fix <what you changed>` instead; it links to this drift by itself.');
  });

  app.action<BlockAction<ButtonAction>>(DRIFT_POST_ACTION_IDS.linkExisting, async ({ ack, body, action, client }) => {
    await ack();
    const found = unclaimedOfPost(ctx, action.value);
    if ('problem' in found) return tell(ctx, client, body, found.problem);
    if (!body.trigger_id) return;
    const clusters = ctx.config.file.clusters.map((c) => c.name);
    const changes = ctx.ledger.openOnCluster(found.post.cluster, { withoutCluster: clusters.length === 1, limit: 100 });
    if (changes.length === 0) {
      return tell(ctx, client, body, `No change is open on ${found.post.cluster}. Log it instead: press *It was me: log it*, or type \`/fix <what you changed>\`.`);
    }
    const opened = await ctx.openView(
      body.trigger_id,
      linkDriftModal({ objectLabel: objectLabel(found.first), changes, privateMetadata: JSON.stringify({ postId: found.post.id }) }),
    );
    if (!opened) await tell(ctx, client, body, 'Slack would not open the form just now. Type `/fix claim D-n SG-n` instead.');
  });
}
