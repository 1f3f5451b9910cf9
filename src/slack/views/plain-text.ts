/**
 * A Block Kit message as plain text for a terminal: headers, sections and their fields, context lines,
 * buttons as `[Label]`, dividers; Slack's markup read as a person would (`<!date^…|2026-12-01>` as its
 * fallback, `<@U123>` as `@U123`, `<url|label>` as `label (url)`, entities unescaped). Pure.
 */
import type { SlackMessage } from './types.js';

interface Block {
  type: string;
  text?: { text?: string };
  fields?: { text?: string }[];
  elements?: { type?: string; text?: string | { text?: string }; placeholder?: { text?: string } }[];
  /** A form's input (a modal): its label and what it shows filled in. */
  label?: { text?: string };
  element?: { initial_value?: string; initial_option?: { text?: { text?: string } }; initial_user?: string; initial_date?: string };
}

export function mrkdwnAsText(text: string): string {
  return text
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<@([A-Z0-9]+)>/g, '@$1')
    .replace(/<#([A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, name?: string) => `#${name ?? id}`)
    .replace(/<!(here|channel|everyone)>/g, '@$1')
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s),.:;!?])/gm, '$1$2')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** How a terminal shows emphasis: plain by default; the demo colours them on a TTY. */
export interface TextStyle {
  header(text: string): string;
  context(text: string): string;
  button(text: string): string;
}

const PLAIN: TextStyle = { header: (t) => t, context: (t) => t, button: (t) => t };

export function messageAsText(message: Pick<SlackMessage, 'blocks'>, style: TextStyle = PLAIN): string {
  const lines: string[] = [];
  for (const block of message.blocks as Block[]) {
    switch (block.type) {
      case 'header':
        lines.push(style.header(mrkdwnAsText(block.text?.text ?? '').toUpperCase()));
        break;
      case 'section':
        if (block.text?.text) lines.push(mrkdwnAsText(block.text.text));
        for (const f of block.fields ?? []) lines.push(`  ${mrkdwnAsText(f.text ?? '').replace(/\n/g, ': ')}`);
        break;
      case 'context':
        lines.push(style.context(mrkdwnAsText((block.elements ?? []).map((e) => (typeof e.text === 'string' ? e.text : '')).join(' '))));
        break;
      case 'actions':
        lines.push((block.elements ?? []).map((e) => style.button(`[${typeof e.text === 'object' ? (e.text.text ?? '') : (e.placeholder?.text ?? '')}]`)).join(' '));
        break;
      case 'divider':
        lines.push(style.context('---'));
        break;
      case 'input': {
        const e = block.element ?? {};
        const shown = e.initial_value ?? e.initial_option?.text?.text ?? (e.initial_user ? `<@${e.initial_user}>` : e.initial_date) ?? '';
        lines.push(`${block.label?.text ?? ''}: ${shown === '' ? style.context('(empty)') : mrkdwnAsText(shown)}`);
        break;
      }
      default:
        break;
    }
  }
  return lines.join('\n');
}
