import type { App as BoltApp, SlashCommand } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { parseFixCommand, type FixCommand } from '../../../ledger/fix-command.js';
import type { ChangeAction } from '../../../ledger/lifecycle.js';
import type { SlackContext } from '../../context.js';
import { notifyNewOwner } from '../../notify.js';
import { announceChange } from '../../announce.js';
import { FORM_UNAVAILABLE, openLogChangeModal } from '../../open-log-change.js';
import { responderFor } from '../../response-url.js';
import { ackStateOf } from '../../supervise.js';
import { busyOrFailed, reply, type CommandReply } from './command-reply.js';
import { handleDriftSubcommand } from './fix-drift.js';
import { firstAsk } from '../../codify.js';
import { codifyStarted } from '../../views/codify.js';
import {
  actionConfirmation,
  changeDetail,
  changeList,
  changeLoggedConfirmation,
  confirmationMrkdwn,
  errorMessage,
  helpMessage,
  linkedDriftBlocks,
} from '../../views/index.js';

/** `/fix` under whatever name the workspace gave it: the answer is the ack, sent once the ledger committed. */
export function registerFixCommand(app: BoltApp, ctx: SlackContext): void {
  // Any command name: the workspace may have renamed /fix.
  app.command(/.*/, async ({ command, ack, client, context }) => {
    const reply = await handleFixCommand(ctx, command, client);
    // Acknowledged only now: whatever the reply says has been committed.
    if (ackStateOf(context)?.acked && reply.ack) {
      // The deadline already answered "taking longer than usual": the real answer follows by response_url.
      try {
        await responderFor(command.response_url)(reply.ack);
      } catch (err) {
        ctx.deliveryFailed('late_reply', err, { user: command.user_id });
      }
    } else {
      await ack(reply.ack);
    }
    // Announcements, linking and DMs wait for the requests still to be answered.
    if (reply.after) ctx.followUps.enqueue(reply.after);
  });
}

async function handleFixCommand(ctx: SlackContext, command: SlashCommand, client: WebClient): Promise<CommandReply> {
  const now = ctx.now();
  const text = command.text ?? '';
  // A snooze may name a day: it is the person's day, so their zone is asked for once (briefly) first.
  if (/^\s*snooze\b/i.test(text)) await ctx.knowZoneOf(command.user_id);
  const parsed: FixCommand = parseFixCommand(
    text,
    ctx.parseContext({ now, channelName: command.channel_name, commandName: command.command, days: ctx.daysOf(command.user_id) }),
  );
  ctx.metrics.commands.inc({ subcommand: parsed.type });
  const user = command.user_id;
  const requestKeys = command.trigger_id ? [`trigger:${command.trigger_id}`] : [];

  switch (parsed.type) {
    case 'open_modal':
      return {
        after: async () => {
          const opened = await openLogChangeModal(ctx, {
            triggerId: command.trigger_id,
            channelId: command.channel_id,
            channelName: command.channel_name,
            commandName: command.command,
            source: 'modal',
            prefill: {},
          });
          if (opened) return;
          try {
            await responderFor(command.response_url)({ response_type: 'ephemeral', text: FORM_UNAVAILABLE(command.command) });
          } catch (err) {
            ctx.deliveryFailed('late_reply', err, { user: command.user_id });
          }
        },
      };
    case 'log': {
      let result;
      try {
        result = await ctx.ledger.createSoon(
          {
            ...parsed.draft,
            actor: user,
            channelId: command.channel_id,
            channelName: command.channel_name,
            source: 'command',
          },
          { now, defaultDueDays: ctx.config.file.defaultDueDays, requestKeys },
        );
      } catch (err) {
        return busyOrFailed(ctx, err, { ...command, text });
      }
      const { change, created } = result;
      if (!created) {
        ctx.logger.info({ change: change.key }, 'duplicate /fix request ignored');
        return { ack: reply(confirmationMrkdwn(`${change.key} was already logged from this request.`)) };
      }
      ctx.metrics.changesCreated.inc({ source: 'command' });
      ctx.logger.info({ change: change.key, user, channel: command.channel_id }, 'change logged');
      return {
        // The person hears at once that it is saved; the channel gets the announcement as a message of
        // the bot's own, whose thread later news about the change goes into.
        ack: reply(changeLoggedConfirmation(change)),
        after: async () => {
          await announceChange(ctx, client, change, { user, channelId: command.channel_id, responseUrl: command.response_url, commandName: command.command, now });
          await ctx.linkNewChange(change.id);
          await notifyNewOwner(ctx, client, change.owner, user, change.key, change.description);
        },
      };
    }
    case 'list': {
      const { changes, total } = ctx.ledger.list({ scope: parsed.scope, user, now });
      const liveDrift = ctx.links.withLiveDrift(changes.map((c) => c.id));
      return { ack: reply(changeList(changes, { scope: parsed.scope, now, total, liveDrift })) };
    }
    case 'show': {
      const change = ctx.ledger.get(parsed.id);
      return {
        ack: reply(
          change ? changeDetail(change, now, { commandName: command.command, extra: linkedDriftBlocks(ctx.links.linkedFindings(change.id), ctx.personOf) }) : errorMessage(`There is no change SG-${parsed.id}.`, `${command.command} list all`),
        ),
      };
    }
    case 'codify': {
      const change = ctx.ledger.get(parsed.id);
      if (!change) return { ack: reply(errorMessage(`There is no change SG-${parsed.id}.`, `${command.command} list all`)) };
      if (!(await firstAsk(ctx, command.trigger_id ? `trigger:${command.trigger_id}` : undefined, now, change.key))) {
        ctx.logger.info({ change: change.key, user }, 'duplicate codify request ignored');
        return { ack: reply(confirmationMrkdwn(`The patch for ${change.key} is already on its way from this request.`)) };
      }
      ctx.logger.info({ change: change.key, user }, 'codify asked');
      return {
        // The patch is made after the acknowledgement: reading the manifests may take longer than Slack waits.
        ack: reply(codifyStarted(change.key)),
        after: () => ctx.codify.send({ changeId: change.id, changeKey: change.key, user, responseUrl: command.response_url, commandName: command.command }),
      };
    }
    case 'codified':
    case 'reverted':
    case 'dismiss':
    case 'snooze':
    case 'assign': {
      const action: ChangeAction =
        parsed.type === 'codified'
          ? { type: 'codified', prUrl: parsed.url }
          : parsed.type === 'reverted'
            ? { type: 'reverted' }
            : parsed.type === 'dismiss'
              ? { type: 'dismiss', reason: parsed.reason }
              : parsed.type === 'snooze'
                ? { type: 'snooze', until: parsed.until }
                : { type: 'assign', owner: parsed.userId };
      let result;
      try {
        result = await ctx.ledger.actSoon(parsed.id, action, { ...ctx.actionContext(user, parsed.id), now }, { requestKeys });
      } catch (err) {
        return busyOrFailed(ctx, err, { ...command, text });
      }
      if (!result.ok) {
        ctx.metrics.refusals.inc({ code: result.code });
        return { ack: reply(errorMessage(result.message, exampleFor(parsed.type, command.command, parsed.id))) };
      }
      if (result.duplicate) {
        ctx.logger.info({ change: result.change.key, user, action: action.type }, 'duplicate request ignored');
        return { ack: reply(confirmationMrkdwn(actionConfirmation(result.change, action))) };
      }
      ctx.logger.info({ change: result.change.key, user, action: action.type }, 'change updated');
      const changed = result.change;
      return {
        ack: reply(confirmationMrkdwn(actionConfirmation(changed, action))),
        after:
          parsed.type === 'assign'
            ? () => notifyNewOwner(ctx, client, parsed.userId, user, changed.key, changed.description)
            : undefined,
      };
    }
    case 'claim':
    case 'unclaim':
    case 'drift':
      return handleDriftSubcommand(ctx, parsed, command);
    case 'help':
      return { ack: reply(helpMessage(command.command)) };
    case 'error':
      ctx.metrics.refusals.inc({ code: 'bad_input' });
      return { ack: reply(errorMessage(parsed.message, parsed.example)) };
  }
}

function exampleFor(type: FixCommand['type'], commandName: string, id: number): string {
  switch (type) {
    case 'codified':
      return `${commandName} codified SG-${id} https://github.com/acme/infra/pull/881`;
    case 'dismiss':
      return `${commandName} dismiss SG-${id} reverted by the autoscaler`;
    case 'snooze':
      return `${commandName} snooze SG-${id} 3d`;
    case 'assign':
      return `${commandName} assign SG-${id} <@U024BE7LH>`;
    default:
      return `${commandName} show SG-${id}`;
  }
}
