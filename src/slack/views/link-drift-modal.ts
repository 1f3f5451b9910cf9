/** The forms behind an unclaimed-drift message's buttons: pick an open change, or say why the drift is expected. Pure. */
import type { ModalView } from '@slack/types';
import type { Change } from '../../ledger/model.js';
import { LIMITS, firstLine, truncate } from './mrkdwn.js';

export const LINK_DRIFT_CALLBACK_ID = 'link_drift';
export const LINK_DRIFT_BLOCK_ID = 'change';
export const LINK_DRIFT_ACTION_ID = 'value';

/** `changes` are the open changes on the drift's cluster, newest first; at most Slack's 100 options. */
export function linkDriftModal(args: { objectLabel: string; changes: readonly Change[]; privateMetadata: string }): ModalView {
  const options = args.changes.slice(0, LIMITS.selectOptions).map((c) => ({
    text: { type: 'plain_text' as const, text: truncate(`${c.key} ${firstLine(c.description)}`, LIMITS.optionText) },
    value: c.key,
  }));
  return {
    type: 'modal',
    callback_id: LINK_DRIFT_CALLBACK_ID,
    private_metadata: args.privateMetadata,
    title: { type: 'plain_text', text: 'Link drift' },
    submit: { type: 'plain_text', text: 'Link' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'plain_text', text: truncate(`Which change made the drift on ${args.objectLabel}?`, LIMITS.sectionText) } },
      {
        type: 'input',
        block_id: LINK_DRIFT_BLOCK_ID,
        label: { type: 'plain_text', text: 'Open change' },
        element: { type: 'static_select', action_id: LINK_DRIFT_ACTION_ID, placeholder: { type: 'plain_text', text: 'SG-…' }, options },
      },
    ],
  };
}

export const IGNORE_DRIFT_CALLBACK_ID = 'ignore_drift';
export const IGNORE_DRIFT_BLOCK_ID = 'reason';
export const IGNORE_DRIFT_ACTION_ID = 'value';

/** "Expected: ignore": why these fields of this object are not drift; from then on they are not reported. */
export function ignoreDriftModal(args: { objectLabel: string; paths: readonly string[]; privateMetadata: string }): ModalView {
  const fields = args.paths.map((p) => p || 'the whole object').join(', ');
  return {
    type: 'modal',
    callback_id: IGNORE_DRIFT_CALLBACK_ID,
    private_metadata: args.privateMetadata,
    title: { type: 'plain_text', text: 'Expected drift' },
    submit: { type: 'plain_text', text: 'Ignore it' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: { type: 'plain_text', text: truncate(`Stopgap will stop reporting ${fields} on ${args.objectLabel}. The decision is recorded in the ledger with your reason.`, LIMITS.sectionText) },
      },
      {
        type: 'input',
        block_id: IGNORE_DRIFT_BLOCK_ID,
        label: { type: 'plain_text', text: 'Why is this expected?' },
        element: { type: 'plain_text_input', action_id: IGNORE_DRIFT_ACTION_ID, multiline: true, max_length: 1000, placeholder: { type: 'plain_text', text: 'the HPA owns replicas here' } },
      },
    ],
  };
}
