/** Short ephemeral replies: help, errors, confirmations. */
import type { KnownBlock } from '@slack/types';
import { LIMITS, commandLabel, escapeAndTruncate, truncate } from './mrkdwn.js';
import type { ChangeAction } from '../../ledger/lifecycle.js';
import type { Change } from '../../ledger/model.js';
import type { SlackMessage } from './types.js';

type HelpEntry = { usage: string; what: string; example: string };

function helpEntries(cmd: string): HelpEntry[] {
  return [
    {
      usage: `${cmd} <what you changed>`,
      what: 'Log a change. Resources, `-n namespace`, `@cluster`, `owner @someone` (or `for @someone`) and `INC-…` are picked out of the text.',
      example: `${cmd} scaled deploy/payments-api -n shop to 6 replicas @prod-eu INC-4821`,
    },
    { usage: cmd, what: 'Open a form to log a change.', example: cmd },
    {
      usage: `${cmd} log <text>`,
      what: 'Log text that starts with a subcommand word.',
      example: `${cmd} log list of nodes cordoned: node/ip-10-0-1-7`,
    },
    { usage: `${cmd} list [mine|all|overdue]`, what: 'List open changes (yours by default).', example: `${cmd} list overdue` },
    { usage: `${cmd} show SG-n`, what: 'Show everything about a change.', example: `${cmd} show SG-12` },
    {
      usage: `${cmd} codify SG-n`,
      what: 'Get a patch that writes the change\'s live drift into the manifests in git, as a file in your DM, with how to apply it.',
      example: `${cmd} codify SG-12`,
    },
    {
      usage: `${cmd} codified SG-n <PR or commit URL>`,
      what: 'Say the change is now in infrastructure-as-code, with the PR; it stays in review until confirmed.',
      example: `${cmd} codified SG-12 https://github.com/acme/infra/pull/345`,
    },
    { usage: `${cmd} reverted SG-n`, what: 'Say the change was rolled back.', example: `${cmd} reverted SG-12` },
    {
      usage: `${cmd} dismiss SG-n <reason>`,
      what: 'Close a change that needs no reconciliation, with the reason.',
      example: `${cmd} dismiss SG-12 the node was replaced`,
    },
    {
      usage: `${cmd} snooze SG-n <3d|1w|YYYY-MM-DD>`,
      what: 'Snooze the change for a while or until a date.',
      example: `${cmd} snooze SG-12 3d`,
    },
    { usage: `${cmd} assign SG-n <@user>`, what: 'Hand the change to someone else.', example: `${cmd} assign SG-12 @dana` },
    { usage: `${cmd} drift [cluster]`, what: 'List drift the scanner sees that no change explains yet.', example: `${cmd} drift` },
    {
      usage: `${cmd} claim <D-n or resource> SG-n`,
      what: 'Link drift to your change (Stopgap links it by itself when the change names the object).',
      example: `${cmd} claim deploy/payments-api -n shop SG-12`,
    },
    { usage: `${cmd} unclaim <D-n or resource>`, what: 'Take drift back from the change it is linked to.', example: `${cmd} unclaim D-17` },
    { usage: `${cmd} help`, what: 'Show this help.', example: `${cmd} help` },
  ];
}

/** `/fix help`: every subcommand with an example, under whatever name the command has. */
export function helpMessage(commandName: string): SlackMessage {
  const cmd = commandLabel(commandName);
  const entries = helpEntries(cmd);
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Stopgap* keeps a ledger of manual fixes made during incidents until each one is codified or reverted.`,
      },
    },
  ];
  for (const e of entries) {
    blocks.push({
      type: 'section',
      // Usage lines contain literal `<…>` placeholders: escape them so Slack does not read them as links.
      text: { type: 'mrkdwn', text: `\`${escapeAndTruncate(e.usage, 300, false)}\`\n${e.what}\nExample: \`${escapeAndTruncate(e.example, 300, false)}\`` },
    });
  }
  const text = `Stopgap help: \`${cmd} <text>\` logs a change; subcommands: list, show, codify, codified, reverted, dismiss, snooze, assign, help.`;
  return { text: escapeAndTruncate(text, LIMITS.fallbackText, false), blocks };
}

/** What went wrong and, when there is one, an example of the right form. */
export function errorMessage(message: string, example?: string): SlackMessage {
  const body = `:warning: ${escapeAndTruncate(message, LIMITS.sectionText - 20)}`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: body } }];
  let text = body;
  if (example) {
    const ex = escapeAndTruncate(example, 1000, false);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Try: \`${ex}\`` }] });
    const combined = `${body} Try: ${ex}`;
    if (combined.length <= LIMITS.fallbackText) text = combined;
  }
  return { text, blocks };
}

/** A one-line acknowledgement. Mentions such as `<@U123>` in `text` are kept; everything else is escaped. */
export function confirmation(text: string): SlackMessage {
  return confirmationMrkdwn(escapeAndTruncate(text, LIMITS.sectionText - 30));
}

/** A one-line acknowledgement built by us as mrkdwn (dates, links), with any user text already escaped. */
export function confirmationMrkdwn(mrkdwn: string): SlackMessage {
  const body = `:white_check_mark: ${truncate(mrkdwn, LIMITS.sectionText - 30)}`;
  return { text: body, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: body } }] };
}

/**
 * mrkdwn confirming a person's action on a change. It echoes what the ledger stored (the PR link and
 * reason as masked and cleaned), never what was typed; what we build (dates) is not escaped.
 */
export function actionConfirmation(change: Change, action: ChangeAction): string {
  const key = change.key;
  switch (action.type) {
    case 'codified':
      return change.status === 'in_review'
        ? `${key} is in review with ${escapeAndTruncate(change.prUrl ?? '', 500, false)}. It closes as codified once the scanner sees desired state hold what is live.`
        : `${key} is marked codified with ${escapeAndTruncate(change.prUrl ?? '', 500, false)} (unverified: no live drift is linked to it).`;
    case 'reverted':
      return change.status === 'in_review'
        ? `${key} closes as reverted once the scanner sees the cluster back at its desired state.`
        : `${key} is marked reverted (unverified: no live drift is linked to it).`;
    case 'reconciled':
      return `${key} is ${action.outcome}: the scanner saw its drift end.`;
    case 'dismiss':
      return `${key} is dismissed: “${escapeAndTruncate(change.reason ?? '', 1000)}”.`;
    case 'snooze': {
      const until = change.snoozedUntil ?? action.until;
      return `${key} is snoozed until <!date^${Math.floor(Date.parse(until) / 1000)}^{date_short_pretty}|${until.slice(0, 10)}>.`;
    }
    case 'assign':
      return `${key} now belongs to <@${change.owner}>.`;
    case 'reopen':
      return `${key} is open again.`;
  }
}

/** The person's own answer to `/fix <text>`: saved, with what was recorded; the channel gets the announcement. */
export function changeLoggedConfirmation(change: Change): SlackMessage {
  const due = `<!date^${Math.floor(Date.parse(change.dueAt) / 1000)}^{date_short}|${change.dueAt.slice(0, 10)}>`;
  return confirmationMrkdwn(`Logged *${change.key}*: ${escapeAndTruncate(change.description.split('\n')[0] ?? '', 300)} (owner <@${change.owner}>, due ${due}).`);
}
