import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isCi, SHARED_FIXTURES_ENV, sharedFixtures, sharedFixturesRoot } from './support/shared-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'stopgap-shared-'));
mkdirSync(join(root, 'slack'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('sharedFixtures: skip without ../shared, fail in CI without it', () => {
  it('reads ../shared/fixtures next to the repository unless STOPGAP_SHARED_FIXTURES points elsewhere', () => {
    expect(sharedFixturesRoot({})).toBe(resolve(fileURLToPath(new URL('../../shared/fixtures/', import.meta.url))));
    expect(sharedFixturesRoot({ [SHARED_FIXTURES_ENV]: root })).toBe(root);
  });

  it('a present folder is present, with paths into it', () => {
    const slack = sharedFixtures('slack', { [SHARED_FIXTURES_ENV]: root, CI: 'true' });
    expect(slack).toMatchObject({ dir: join(root, 'slack'), present: true });
    expect(slack.path('a.json')).toBe(join(root, 'slack', 'a.json'));
  });

  it('an absent folder is absent (the suites skip), outside CI', () => {
    for (const CI of [undefined, '', '0', 'false', 'FALSE']) {
      expect(sharedFixtures('k8s-diff', { [SHARED_FIXTURES_ENV]: root, CI }).present).toBe(false);
    }
  });

  it('an absent folder throws in CI, naming the folder and how to provide it', () => {
    for (const CI of ['true', '1', 'yes']) {
      expect(isCi({ CI })).toBe(true);
      expect(() => sharedFixtures('k8s-diff', { [SHARED_FIXTURES_ENV]: root, CI })).toThrow(
        new RegExp(`Shared fixtures not found at ${join(root, 'k8s-diff')}, and CI is set: .*${SHARED_FIXTURES_ENV}`),
      );
    }
  });
});
