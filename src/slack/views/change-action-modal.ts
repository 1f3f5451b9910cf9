/**
 * Small modals behind a change card's actions: a PR link for "Mark codified", a reason for "Dismiss", a
 * day for "Snooze → Pick a date…". Pure.
 */
import type { ModalView } from '@slack/types';
import { truncate } from './mrkdwn.js';

export const CHANGE_ACTION_MODAL_CALLBACK_ID = 'change_action';
export const CHANGE_ACTION_INPUT_BLOCK_ID = 'input';
export const CHANGE_ACTION_INPUT_ACTION_ID = 'value';

export type ChangeActionModalKind = 'codified' | 'dismiss' | 'snooze';

export function changeActionModal(args: { kind: ChangeActionModalKind; changeKey: string; privateMetadata: string; /** The date picker starts on the day after this. */ today?: Date }): ModalView {
  if (args.kind === 'snooze') return snoozeModal(args.changeKey, args.privateMetadata, args.today ?? new Date());
  const codified = args.kind === 'codified';
  return {
    type: 'modal',
    callback_id: CHANGE_ACTION_MODAL_CALLBACK_ID,
    private_metadata: args.privateMetadata,
    title: { type: 'plain_text', text: truncate(codified ? `Codified ${args.changeKey}` : `Dismiss ${args.changeKey}`, 24) },
    submit: { type: 'plain_text', text: codified ? 'Mark codified' : 'Dismiss' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: CHANGE_ACTION_INPUT_BLOCK_ID,
        label: { type: 'plain_text', text: codified ? 'Pull request or commit URL' : 'Why does it need no reconciliation?' },
        element: codified
          ? {
              type: 'url_text_input',
              action_id: CHANGE_ACTION_INPUT_ACTION_ID,
              placeholder: { type: 'plain_text', text: 'https://github.com/acme/infra/pull/881' },
            }
          : {
              type: 'plain_text_input',
              action_id: CHANGE_ACTION_INPUT_ACTION_ID,
              multiline: true,
              max_length: 1000,
              placeholder: { type: 'plain_text', text: 'the node was replaced' },
            },
      },
    ],
  };
}

function snoozeModal(changeKey: string, privateMetadata: string, today: Date): ModalView {
  const tomorrow = new Date(today.getTime() + 86_400_000).toISOString().slice(0, 10);
  return {
    type: 'modal',
    callback_id: CHANGE_ACTION_MODAL_CALLBACK_ID,
    private_metadata: privateMetadata,
    title: { type: 'plain_text', text: truncate(`Snooze ${changeKey}`, 24) },
    submit: { type: 'plain_text', text: 'Snooze' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: CHANGE_ACTION_INPUT_BLOCK_ID,
        label: { type: 'plain_text', text: 'No reminders until the start of your working day on' },
        element: { type: 'datepicker', action_id: CHANGE_ACTION_INPUT_ACTION_ID, initial_date: tomorrow },
      },
    ],
  };
}

/** A modal that only explains something (an unknown form, a form whose contents were lost). */
export function noticeModal(title: string, text: string): ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: truncate(title, 24) },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'plain_text', text: truncate(text, 3000) } }],
  };
}
