/**
 * Parsing `/fix` text in tests as Slack sends it: a fixed `now` and three configured clusters, which a
 * test may override.
 */
import { parseFixCommand, type FixCommand, type ParseContext } from '../../src/ledger/fix-command.js';
import { slackTextCodec } from '../../src/slack/text-codec.js';

type Overrides = Partial<Omit<ParseContext, 'codec'>>;

// A Wednesday.
export const NOW = new Date('2025-06-04T10:00:00.000Z');

export function ctx(over: Overrides = {}): ParseContext {
  return { now: NOW, clusters: ['prod-eu', 'prod-us', 'staging'], codec: slackTextCodec, ...over };
}

export function parse(text: string, over: Overrides = {}): FixCommand {
  return parseFixCommand(text, ctx(over));
}

/** The draft of text that must log a change; throws with what was parsed instead. */
export function logged(text: string, over: Overrides = {}) {
  const cmd = parse(text, over);
  if (cmd.type !== 'log') throw new Error(`expected a log, got ${JSON.stringify(cmd)}`);
  return cmd.draft;
}
