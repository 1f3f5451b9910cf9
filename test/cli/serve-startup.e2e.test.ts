/** `stopgap serve` as users start it: what it does when Slack refuses the token or cannot be reached. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveEnv, TEST_BOT_TOKEN } from '../support/app.js';
import { requireBuiltCli, runBuiltCliAsync } from '../support/built-cli.js';
import { startFakeSlack, type FakeSlack } from '../../src/demo/fake-slack.js';

describe('serve start-up against Slack', () => {
  let slack: FakeSlack;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    requireBuiltCli();
    slack = await startFakeSlack();
    dir = mkdtempSync(join(tmpdir(), 'stopgap-serve-'));
    env = serveEnv({ slackApiUrl: slack.apiUrl, dbPath: join(dir, 'stopgap.db') });
  });
  afterAll(async () => {
    await slack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stops with exit 2 and says which setting to fix when Slack rejects the bot token', async () => {
    slack.failAlways('auth.test', { error: 'invalid_auth' });
    const r = await runBuiltCliAsync(['serve'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SLACK_BOT_TOKEN: Slack rejected the bot token \(invalid_auth\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr + r.stdout).not.toContain(TEST_BOT_TOKEN);
  });
});
