import { describe, expect, it } from 'vitest';
import { ChangeDraft } from '../../src/ledger/model.js';
import { registerKnownSecrets } from '../../src/redact.js';

const base = { description: 'scaled deploy/api to 6', actor: 'U0ALICE' };

function issues(input: Record<string, unknown>): string[] {
  const parsed = ChangeDraft.safeParse({ ...base, ...input });
  return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
}

describe('ChangeDraft', () => {
  it('strips hidden characters from the description and refuses one left empty', () => {
    expect(ChangeDraft.parse({ ...base, description: ' scaled\u0000 deploy/api\u202e\r\nto 6 ' }).description).toBe('scaled deploy/api\nto 6');
    expect(issues({ description: '\u202e\u0000\u2066' })).toEqual(['Describe what you changed']);
  });

  it('holds each typed field to its limit', () => {
    expect(issues({ description: 'd'.repeat(3001) })).toEqual(['The description is 3,001 characters; the limit is 3,000. Shorten it.']);
    expect(issues({ cluster: 'c'.repeat(151) })).toEqual(['The cluster name is 151 characters; the limit is 150. Shorten it.']);
    expect(issues({ incident: 'i'.repeat(201) })).toEqual(['The incident is 201 characters; the limit is 200. Shorten it.']);
    expect(issues({ owner: `U${'A'.repeat(64)}` })).toEqual(['The owner is 65 characters; the limit is 64. Shorten it.']);
  });

  it('refuses a cluster or incident with a hidden character', () => {
    expect(issues({ cluster: 'prod\u202e-eu' })[0]).toMatch(/^The cluster name contains .*U\+202E/);
    expect(issues({ incident: 'INC-1\u00002' })[0]).toMatch(/^The incident contains .*U\+0000/);
  });

  it('refuses an impossible due date instead of rolling it over', () => {
    expect(issues({ dueAt: '2027-02-30T23:59:59.000Z' })).toEqual(['The due date is not a real date-time.']);
    expect(issues({ dueAt: '2027-02-28T23:59:59.000Z' })).toEqual([]);
  });

  it('masks the app’s own secrets in every typed field', () => {
    const secret = 'model-known-secret-1d1d';
    registerKnownSecrets([secret]);
    const draft = ChangeDraft.parse({
      ...base,
      description: `pasted ${secret}`,
      cluster: `kind-${secret}`,
      incident: `#inc-${secret}`,
      resources: [{ kind: 'deployment', name: secret, namespace: secret }],
    });
    expect(JSON.stringify(draft)).not.toContain(secret);
  });
});
