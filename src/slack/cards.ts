/**
 * A change card acted on is redrawn where it is: the reminder DM, the escalation or the channel
 * announcement the button or menu was on shows the change as it now is (closed: without its actions),
 * with a line saying what was done and by whom.
 */
import type { WebClient } from '@slack/web-api';
import type { Change } from '../ledger/model.js';
import type { SlackContext } from './context.js';
import { CHANGE_LOGGED_HEAD_BLOCK_ID, changeLoggedMessage } from './views/change-views.js';
import { ESCALATION_HEAD_BLOCK_ID, REMINDER_HEAD_BLOCK_ID, escalationMessage, reminderMessage, type EscalationReason } from './views/reminder.js';
import type { SlackMessage } from './views/types.js';
import { naggingOfChange } from '../nagging/settings.js';

/** Where a card is: its channel and ts, and what its first block says it is. */
export interface CardPlace {
  channel: string;
  ts: string;
  head: string;
}

/** The card a block action came from, when it came from a message of the bot's. */
export function cardPlaceOf(body: { channel?: { id?: string }; message?: { ts?: string; blocks?: unknown[] }; container?: { channel_id?: string; message_ts?: string } }): CardPlace | undefined {
  const channel = body.channel?.id ?? body.container?.channel_id;
  const ts = body.message?.ts ?? body.container?.message_ts;
  const first = body.message?.blocks?.[0] as { block_id?: unknown } | undefined;
  const head = typeof first?.block_id === 'string' ? first.block_id : undefined;
  if (!channel || !ts || !head) return undefined;
  return isCardHead(head) ? { channel, ts, head } : undefined;
}

function isCardHead(head: string): boolean {
  return head === REMINDER_HEAD_BLOCK_ID || head === CHANGE_LOGGED_HEAD_BLOCK_ID || head.startsWith(`${ESCALATION_HEAD_BLOCK_ID}:`);
}

/** A card place carried through a modal's private_metadata: only what a card head can be. */
export function parseCardPlace(value: unknown): CardPlace | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.channel !== 'string' || typeof v.ts !== 'string' || typeof v.head !== 'string' || !isCardHead(v.head)) return undefined;
  return { channel: v.channel, ts: v.ts, head: v.head };
}

function redraw(ctx: SlackContext, place: CardPlace, change: Change, note: string): SlackMessage {
  const now = ctx.now();
  const linked = ctx.links.linkedFindings(change.id);
  const live = linked.filter((f) => !f.resolvedAt);
  if (place.head === REMINDER_HEAD_BLOCK_ID) return reminderMessage({ change, now, live, linked: linked.length, note });
  if (place.head.startsWith(`${ESCALATION_HEAD_BLOCK_ID}:`)) {
    const reason = place.head.slice(ESCALATION_HEAD_BLOCK_ID.length + 1) as EscalationReason;
    return escalationMessage({ change, now, reason, unanswered: naggingOfChange(ctx.config.file, change).escalateAfter, live, linked: linked.length, note });
  }
  return changeLoggedMessage(change, { now, withActions: true, note });
}

/** Redraws the card; a failure is counted and logged (the ledger already has the action). */
export async function redrawCard(ctx: SlackContext, client: WebClient, place: CardPlace | undefined, change: Change, note: string): Promise<void> {
  if (!place) return;
  const message = redraw(ctx, place, change, note);
  try {
    await client.chat.update({ channel: place.channel, ts: place.ts, text: message.text, blocks: message.blocks });
  } catch (err) {
    ctx.deliveryFailed('card_update', err, { change: change.key });
  }
}
