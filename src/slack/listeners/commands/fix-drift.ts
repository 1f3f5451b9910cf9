/**
 * `/fix claim`, `/fix unclaim` and `/fix drift`: linking drift to changes by hand, and listing drift
 * nobody has claimed. Answers are acknowledgements, sent once the links are committed.
 */
import type { SlashCommand } from '@slack/bolt';
import type { Finding } from '../../../drift/findings.js';
import { findingKey, type DriftSubcommand, type DriftTarget } from '../../../ledger/drift-subcommands.js';
import { isClosed, mayManage } from '../../../ledger/lifecycle.js';
import { changeKey, formatResource } from '../../../ledger/model.js';
import type { SlackContext } from '../../context.js';
import { DRIFT_LIST_LIMIT, confirmationMrkdwn, errorMessage, escapeAndTruncate, objectLabel, unclaimedDriftList } from '../../views/index.js';
import { busyOrFailed, reply, type CommandReply } from './command-reply.js';

type Resolved = { findings: Finding[] } | { problem: string };

function describeTarget(target: DriftTarget): string {
  return 'finding' in target ? findingKey(target.finding) : formatResource(target.resource);
}

/** The findings a claim or unclaim names: one by key, or the active findings of exactly one object. */
function resolveTarget(ctx: SlackContext, target: DriftTarget, cmd: string): Resolved {
  if ('finding' in target) {
    const finding = ctx.links.finding(target.finding);
    return finding ? { findings: [finding] } : { problem: `There is no drift finding ${findingKey(target.finding)}. \`${cmd} drift\` lists unclaimed drift.` };
  }
  const clusters = ctx.config.file.clusters.map((c) => c.name);
  const cluster = target.cluster ?? (clusters.length === 1 ? clusters[0] : undefined);
  const findings = ctx.links.activeFindingsNamed(target.resource, cluster);
  const label = escapeAndTruncate(formatResource(target.resource), 200, false);
  if (findings.length === 0) {
    return { problem: `The scanner sees no drift on \`${label}\`${cluster ? ` in ${cluster}` : ''}. \`${cmd} drift\` lists unclaimed drift.` };
  }
  const objects = [...new Set(findings.map((f) => `${objectLabel(f)} (${f.cluster})`))];
  if (objects.length > 1) {
    return {
      problem: `\`${label}\` matches drift on ${objects.length} objects: ${objects.slice(0, 5).map((o) => escapeAndTruncate(o, 200, false)).join(', ')}. Add \`-n <namespace>\` or \`--cluster <name>\`, or name one finding (D-n).`,
    };
  }
  return { findings };
}

function fields(findings: readonly Finding[]): string {
  const shown = findings.slice(0, 10).map((f) => `${findingKey(f.id)} \`${f.path === '' ? 'whole object' : escapeAndTruncate(f.path, 120, false)}\``);
  return `${shown.join(', ')}${findings.length > 10 ? ` and ${findings.length - 10} more` : ''}`;
}

export async function handleDriftSubcommand(ctx: SlackContext, parsed: DriftSubcommand, command: SlashCommand): Promise<CommandReply> {
  const cmd = command.command;
  const user = command.user_id;
  const now = ctx.now();
  if (parsed.type === 'drift') {
    const { findings, total } = ctx.links.unclaimed({ cluster: parsed.cluster, limit: DRIFT_LIST_LIMIT });
    return { ack: reply(unclaimedDriftList(findings, { cluster: parsed.cluster, commandName: cmd, total })) };
  }
  const example = parsed.type === 'claim' ? `${cmd} claim D-17 SG-12` : `${cmd} unclaim D-17`;
  const resolved = resolveTarget(ctx, parsed.target, cmd);
  if ('problem' in resolved) return { ack: reply(errorMessage(resolved.problem, example)) };
  const isAdmin = ctx.isAdmin(user);

  if (parsed.type === 'claim') {
    const change = ctx.ledger.get(parsed.id);
    if (!change) return { ack: reply(errorMessage(`There is no change ${changeKey(parsed.id)}.`, `${cmd} list all`)) };
    if (isClosed(change.status)) {
      return { ack: reply(errorMessage(`${change.key} is ${change.status}; drift can only be claimed for an open change. Log a new change for it instead.`, `${cmd} <what you changed>`)) };
    }
    if (!mayManage(change, { by: user, isAdmin })) {
      ctx.metrics.refusals.inc({ code: 'forbidden' });
      return { ack: reply(errorMessage(`Only ${change.key}'s owner, whoever logged it, or an admin can claim drift for it.`, example)) };
    }
    const elsewhere = change.cluster ? resolved.findings.find((f) => f.cluster !== change.cluster) : undefined;
    if (elsewhere) {
      return { ack: reply(errorMessage(`${findingKey(elsewhere.id)} is on cluster ${elsewhere.cluster}, but ${change.key} is about ${change.cluster}.`, example)) };
    }
    let result;
    try {
      result = await ctx.links.claimSoon(resolved.findings.map((f) => f.id), change.id, user, now);
    } catch (err) {
      return busyOrFailed(ctx, err, command);
    }
    ctx.logger.info({ change: change.key, user, findings: result.claimed }, 'drift claimed');
    const claimed = resolved.findings.filter((f) => result.claimed.includes(f.id));
    if (claimed.length === 0) return { ack: reply(confirmationMrkdwn(`${describeTarget(parsed.target)} was already linked to ${change.key}.`)) };
    return { ack: reply(confirmationMrkdwn(`Linked ${fields(claimed)} on ${escapeAndTruncate(objectLabel(claimed[0] as Finding), 200, false)} to *${change.key}*.`)) };
  }

  const linked = resolved.findings
    .map((f) => ({ finding: f, link: ctx.links.linkOf(f.id) }))
    .filter((x): x is { finding: Finding; link: NonNullable<typeof x.link> } => x.link !== undefined);
  if (linked.length === 0) return { ack: reply(errorMessage(`${describeTarget(parsed.target)} is not linked to any change.`, `${cmd} drift`)) };
  for (const { link } of linked) {
    const change = ctx.ledger.get(link.changeId);
    if (change && !mayManage(change, { by: user, isAdmin })) {
      ctx.metrics.refusals.inc({ code: 'forbidden' });
      return { ack: reply(errorMessage(`Only ${change.key}'s owner, whoever logged it, or an admin can unclaim its drift.`, example)) };
    }
  }
  let result;
  try {
    result = await ctx.links.unclaimSoon(linked.map((x) => x.finding.id), user, now);
  } catch (err) {
    return busyOrFailed(ctx, err, command);
  }
  ctx.logger.info({ user, unlinked: result }, 'drift unclaimed');
  const from = result.map((r) => changeKey(r.changeId)).join(', ');
  return { ack: reply(confirmationMrkdwn(`Unlinked ${fields(linked.map((x) => x.finding))} from *${from}*. It counts as unclaimed drift again.`)) };
}
