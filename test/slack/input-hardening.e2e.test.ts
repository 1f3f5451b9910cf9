import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, TEST_BOT_TOKEN, TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import { ownSlashCommandFields, sendSlashCommand } from '../support/slack-signing.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ config: 'clusters:\n  - name: prod-eu\n' });
});
afterAll(async () => {
  await app?.stop();
});
beforeEach(() => {
  app.slack.reset();
});

let seq = 0;
/** Sends `/fix <text>` and resolves with its answer: the acknowledgement, sent after the ledger committed. */
async function fix(text: string, user = 'U0ALICE') {
  const id = `hardening-${++seq}`;
  const fields = ownSlashCommandFields({ text, user_id: user, response_url: app.slack.responseUrl(id) });
  const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, fields);
  expect(res.status).toBe(200);
  const body = (res.json ?? {}) as { text?: string; blocks?: unknown };
  return `${body.text ?? ''}\n${JSON.stringify(body.blocks ?? '')}`;
}

/** Logs `text` and returns the change it created (found by its key in the reply, not by ordering). */
async function logChange(text: string) {
  const reply = await fix(text);
  const key = /SG-(\d+)/.exec(reply);
  const change = key ? app.server.ledger.get(Number(key[1])) : undefined;
  if (!change) throw new Error(`no change was logged; the reply was: ${reply}`);
  return { change, reply };
}

const spellings = (secret: string): string[] => [
  secret,
  [...secret].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join(''),
  [...secret].join(' '),
  [...secret].join('\u200b'),
];

describe("the app's own secrets pasted into /fix", () => {
  it('are masked in the stored change, its events, every Slack call and the logs', async () => {
    const replies: string[] = [];
    const ids: number[] = [];
    for (const secret of [TEST_SIGNING_SECRET, TEST_BOT_TOKEN]) {
      for (const spelled of spellings(secret)) {
        const { change, reply } = await logChange(`rotated deploy/api -n shop after pasting ${spelled} by mistake`);
        replies.push(reply);
        ids.push(change.id);
        expect(change.description).toBe('rotated deploy/api after pasting [redacted] by mistake');
      }
    }
    const id = ids[0] ?? 0;
    replies.push(await fix(`codified SG-${id} https://github.com/acme/infra/pull/881?sig=${TEST_SIGNING_SECRET}`));
    replies.push(await fix(`show ${TEST_SIGNING_SECRET}`));
    replies.push(await fix(`dismiss SG-${ids[1] ?? 0} pasted ${TEST_BOT_TOKEN} and ${TEST_SIGNING_SECRET}`));
    replies.push(await fix(`restarted deploy/web --cluster ${TEST_SIGNING_SECRET}`));

    const stored = JSON.stringify(ids.map((i) => [app.server.ledger.get(i), app.server.ledger.events(i)]));
    // What the bot said to Slack (the bot token in each call's Authorization header is expected there).
    const posted = JSON.stringify(app.slack.calls.map(({ fields, json, blocks, view }) => ({ fields, json, blocks, view }))) + replies.join('\n');
    expect(replies.length).toBeGreaterThan(8);
    const logs = app.logs();
    expect(stored).toContain('[redacted]');
    for (const secret of [TEST_SIGNING_SECRET, TEST_BOT_TOKEN]) {
      for (const text of [stored, posted, logs]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(secret.slice(0, 16));
      }
    }
    expect(app.server.ledger.get(id)?.prUrl).toBe('https://github.com/acme/infra/pull/881?sig=[redacted]');
  });
});

describe('typed markup and mentions', () => {
  it('stores a typed labelled channel link as text and never posts it as a live link', async () => {
    const { change, reply } = await logChange('see &lt;#C0GEN|click me&gt; after moving deploy/api-v2 -n shop');
    expect(change.description).toBe('see <#C0GEN|click me> after moving deploy/api-v2');
    expect(reply).not.toContain('<#C0GEN|');
    expect(reply).toContain('&lt;#C0GEN|click me&gt;');
  });

  it('does not hand the change to someone mentioned mid-sentence', async () => {
    const { change } = await logChange('restarted deploy/api -n shop after <@U0BOB|bob> asked');
    expect(change.owner).toBe('U0ALICE');
  });
});

describe('hidden characters and limits', () => {
  it('strips control characters from a description and refuses them in a resource name', async () => {
    const { change } = await logChange('restarted\u0000 deploy/api -n shop \u202eafter the alert');
    expect(change.description).toBe('restarted deploy/api after the alert');
    const before = app.server.ledger.count();
    const refusal = await fix('restarted deploy/ap\u202ei -n shop');
    expect(refusal).toContain('U+202E');
    expect(app.server.ledger.count()).toBe(before);
  });

  it('names the limit a reason is over', async () => {
    const { change } = await logChange('scaled deploy/api -n shop to 4');
    const reply = await fix(`dismiss ${change.key} ${'r'.repeat(2340)}`);
    expect(reply).toContain('The reason is 2,340 characters; the limit is 1,000. Shorten it.');
    expect(app.server.ledger.get(change.id)?.status).toBe('open');
  });
});
