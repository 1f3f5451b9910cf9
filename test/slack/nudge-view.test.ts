import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/drift/findings.js';
import { nudgeMessage } from '../../src/slack/views/drift-post.js';

const finding = (id: number, name: string, path: string): Finding => ({
  id,
  cluster: 'prod-eu',
  ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name },
  path,
  difference: 'changed',
  desired: 3,
  live: 10,
  sensitive: false,
  attribution: { manager: 'kubectl', operation: 'Update', subresource: 'scale', time: '2026-11-30T03:12:00Z', managerClass: 'manual' },
  source: 'directory',
  firstSeen: '2026-11-30T03:12:05Z',
  lastSeen: '2026-11-30T03:12:05Z',
});

describe('the "you changed X, log it?" DM', () => {
  it('lists all of a person\'s unclaimed changes in one message, with the buttons of each object\'s channel message', () => {
    const m = nudgeMessage([
      { postId: 7, finding: finding(1, 'payments-api', '/spec/replicas') },
      { postId: 7, finding: finding(2, 'payments-api', '/spec/template/spec/containers/name=api/image') },
      { postId: 9, finding: finding(3, 'checkout', '/spec/replicas') },
    ]);
    expect(m.text).toBe('You changed Deployment shop/payments-api in prod-eu at 03:12 UTC (/spec/replicas 3 → 10) and 2 more. Log it?');
    const actions = m.blocks.filter((b) => b.type === 'actions') as { elements: { action_id: string; value: string }[] }[];
    expect(actions.map((a) => a.elements.map((e) => e.value))).toEqual([
      ['drift-post:7', 'drift-post:7', 'drift-post:7'],
      ['drift-post:9', 'drift-post:9', 'drift-post:9'],
    ]);
    expect(actions[0]?.elements.map((e) => e.action_id)).toEqual(['drift_log_it', 'drift_link_existing', 'drift_ignore']);
    expect(JSON.stringify(m.blocks)).toContain('`3` → `10`');
  });

  it('says what, where, when and from what to what, as the notification a phone shows', () => {
    expect(nudgeMessage([{ postId: 7, finding: finding(1, 'payments-api', '/spec/replicas') }]).text).toBe(
      'You changed Deployment shop/payments-api in prod-eu at 03:12 UTC (/spec/replicas 3 → 10). Log it?',
    );
    const secret: Finding = { ...finding(4, 'db', '/data/password'), ref: { group: '', version: 'v1', kind: 'Secret', namespace: 'shop', name: 'db' }, sensitive: true, desired: 'hmac-sha256:aaaa', live: 'hmac-sha256:bbbb' };
    expect(nudgeMessage([{ postId: 8, finding: secret }]).text).toMatch(/^You changed Secret shop\/db in prod-eu at 03:12 UTC \(\/data\/password changed \(fingerprint/);
  });
});
