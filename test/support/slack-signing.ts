/**
 * Signed Slack requests and payloads for the tests: everything the demo sends as Slack would
 * (src/demo/slack-requests.ts), plus Slack's own payloads from the shared fixtures.
 */
import { readFileSync } from 'node:fs';
import { sharedFixtures } from './shared-fixtures.js';

export * from '../../src/demo/slack-requests.js';

// ---------------------------------------------------------------------------------------------
// Shared fixtures (../shared/fixtures/slack/), optional: a clone without them still runs (see shared-fixtures.ts).

/** Whether ../shared/fixtures/slack exists; throws, failing the suite, when it does not and CI is set. */
export function sharedSlackFixturesPresent(): boolean {
  return sharedFixtures('slack').present;
}

/**
 * Reads a shared Slack fixture: `.json` files parsed (a fresh copy on every call, so vary it freely),
 * others as text. `undefined` when the shared folder is absent; throws when it exists but the file does not.
 */
export function loadSlackFixture(name: `${string}.json`): Record<string, unknown> | undefined;
export function loadSlackFixture(name: string): string | undefined;
export function loadSlackFixture(name: string): Record<string, unknown> | string | undefined {
  const slack = sharedFixtures('slack');
  if (!slack.present) return undefined;
  const text = readFileSync(slack.path(name), 'utf8');
  return name.endsWith('.json') ? (JSON.parse(text) as Record<string, unknown>) : text;
}

/** A raw `application/x-www-form-urlencoded` body (`*.form-urlencoded.txt`) → its fields. */
export function parseFormFixture(text: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(text.trim()));
}

