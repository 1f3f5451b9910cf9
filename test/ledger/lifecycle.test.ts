import { describe, expect, it } from 'vitest';
import { applyAction, type ActionContext } from '../../src/ledger/lifecycle.js';
import type { Change } from '../../src/ledger/model.js';
import { registerKnownSecrets } from '../../src/redact.js';

const NOW = new Date('2026-06-01T10:00:00.000Z');
const BY_OWNER: ActionContext = { by: 'U0ALICE', now: NOW, isAdmin: false };

function change(over: Partial<Change> = {}): Change {
  return {
    id: 3,
    key: 'SG-3',
    description: 'scaled deploy/api to 6',
    actor: 'U0ALICE',
    owner: 'U0ALICE',
    cluster: null,
    resources: [],
    incident: null,
    channelId: null,
    source: 'command',
    status: 'open',
    verified: false,
    prUrl: null,
    reason: null,
    messageLink: null,
    createdAt: '2026-05-30T10:00:00.000Z',
    dueAt: '2026-06-06T10:00:00.000Z',
    snoozedUntil: null,
    closedAt: null,
    updatedAt: '2026-05-30T10:00:00.000Z',
    ...over,
  };
}

describe('applyAction checks what a person typed, whatever the surface', () => {
  it.each(['2027-02-30T10:00:00.000Z', '2026-13-01T00:00:00Z', '2026-06-31T00:00:00Z', 'next tuesday', ''])(
    'refuses to snooze until %j instead of rolling it over or ignoring it',
    (until) => {
      expect(applyAction(change(), { type: 'snooze', until }, BY_OWNER)).toMatchObject({ ok: false, code: 'invalid' });
    },
  );

  it('snoozes until a real future time, stored in UTC', () => {
    expect(applyAction(change(), { type: 'snooze', until: '2026-06-03T12:00:00+02:00' }, BY_OWNER)).toEqual({
      ok: true,
      eventType: 'snoozed',
      patch: { snoozedUntil: '2026-06-03T10:00:00.000Z' },
    });
    expect(applyAction(change(), { type: 'snooze', until: NOW.toISOString() }, BY_OWNER)).toMatchObject({
      ok: false,
      message: 'A snooze must end in the future.',
    });
  });

  it('strips hidden characters from a reason, refuses an empty or too long one', () => {
    expect(applyAction(change(), { type: 'dismiss', reason: ' node\u0000 pool \u202ereplaced ' }, BY_OWNER)).toMatchObject({
      ok: true,
      patch: { reason: 'node pool replaced' },
    });
    expect(applyAction(change(), { type: 'dismiss', reason: '\u202e\u0000 ' }, BY_OWNER)).toMatchObject({
      ok: false,
      message: 'Say why SG-3 needs no reconciliation.',
    });
    expect(applyAction(change(), { type: 'dismiss', reason: 'r'.repeat(2340) }, BY_OWNER)).toMatchObject({
      ok: false,
      code: 'invalid',
      message: 'The reason is 2,340 characters; the limit is 1,000. Shorten it.',
    });
    expect(applyAction(change({ status: 'dismissed' }), { type: 'reopen', reason: 'x'.repeat(1001) }, BY_OWNER)).toMatchObject({
      ok: false,
      message: 'The reason is 1,001 characters; the limit is 1,000. Shorten it.',
    });
  });

  it('holds a PR URL to its limit and refuses one with a hidden character', () => {
    expect(applyAction(change(), { type: 'codified', prUrl: `https://github.com/a/b/pull/1?${'q'.repeat(1000)}` }, BY_OWNER)).toMatchObject({
      ok: false,
      message: 'The PR URL is 1,030 characters; the limit is 1,000. Shorten it.',
    });
    expect(applyAction(change(), { type: 'codified', prUrl: 'https://github.com/a/\u202eb/pull/1' }, BY_OWNER)).toMatchObject({
      ok: false,
      message: expect.stringContaining('U+202E'),
    });
    expect(applyAction(change(), { type: 'codified', prUrl: 'https://github.com/a/b/pull/1' }, BY_OWNER)).toMatchObject({
      ok: true,
      patch: { prUrl: 'https://github.com/a/b/pull/1' },
    });
  });

  it('masks the app’s own secrets in reasons and PR URLs', () => {
    registerKnownSecrets(['lifecycle-known-secret-0c0c']);
    const dismissed = applyAction(change(), { type: 'dismiss', reason: 'pasted lifecycle-known-secret-0c0c oops' }, BY_OWNER);
    expect(dismissed).toMatchObject({ ok: true, patch: { reason: 'pasted [redacted] oops' } });
    const codified = applyAction(change(), { type: 'codified', prUrl: 'https://github.com/a/b/pull/1?t=lifecycle-known-secret-0c0c' }, BY_OWNER);
    expect(JSON.stringify(codified)).not.toContain('lifecycle-known-secret');
  });

  it('refuses an owner ID past its limit', () => {
    expect(applyAction(change(), { type: 'assign', owner: `U${'A'.repeat(64)}` }, BY_OWNER)).toMatchObject({
      ok: false,
      message: 'The owner is 65 characters; the limit is 64. Shorten it.',
    });
  });
});

describe('closing: a person\'s word, and the scanner\'s proof', () => {
  const PR = 'https://github.com/acme/infra/pull/4';

  it('puts a change in review when a person says codified or reverted while its drift is still live', () => {
    const live = { ...BY_OWNER, liveDrift: true };
    expect(applyAction(change(), { type: 'codified', prUrl: PR }, live)).toEqual({ ok: true, eventType: 'codified_claimed', patch: { status: 'in_review', prUrl: PR } });
    expect(applyAction(change(), { type: 'reverted' }, live)).toEqual({ ok: true, eventType: 'reverted_claimed', patch: { status: 'in_review' } });
  });

  it('closes a change with no live drift on a person\'s word, unverified', () => {
    expect(applyAction(change(), { type: 'codified', prUrl: PR }, BY_OWNER)).toEqual({
      ok: true,
      eventType: 'codified',
      patch: { status: 'codified', verified: false, prUrl: PR, closedAt: NOW.toISOString() },
    });
    expect(applyAction(change({ status: 'in_review' }), { type: 'reverted' }, BY_OWNER)).toMatchObject({ ok: true, patch: { status: 'reverted', verified: false } });
  });

  it('lets only the scanner close a change as verified, and only with evidence', () => {
    const evidence = [{ finding: 7, cluster: 'prod', object: 'Deployment.apps/shop/web', path: '/spec/replicas', resolution: 'reverted', resolvedAt: NOW.toISOString() }];
    const admin: ActionContext = { by: 'U0ADMIN', now: NOW, isAdmin: true };
    expect(applyAction(change(), { type: 'reconciled', outcome: 'reverted', evidence }, admin)).toMatchObject({ ok: false, code: 'forbidden' });
    const scanner: ActionContext = { by: 'stopgap', now: NOW, isAdmin: true };
    expect(applyAction(change({ status: 'in_review' }), { type: 'reconciled', outcome: 'reverted', evidence }, scanner)).toEqual({
      ok: true,
      eventType: 'verified_reverted',
      patch: { status: 'reverted', verified: true, closedAt: NOW.toISOString() },
    });
    expect(applyAction(change(), { type: 'reconciled', outcome: 'codified', evidence: [] }, scanner)).toMatchObject({ ok: false, code: 'invalid' });
    expect(applyAction(change({ status: 'dismissed' }), { type: 'reconciled', outcome: 'codified', evidence }, scanner)).toMatchObject({ ok: false, code: 'illegal_transition' });
  });
});
