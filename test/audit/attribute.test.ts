import { describe, expect, it } from 'vitest';
import { attributeFinding, type AuditedWrite } from '../../src/audit/attribute.js';

const finding = (time: string, manager = 'kubectl-edit', subresource?: string) => ({
  ref: { group: '', kind: 'ConfigMap', namespace: 'shop', name: 'app-config' },
  attribution: { manager, time, ...(subresource ? { subresource } : {}) },
  firstSeen: '2026-11-30T03:20:00Z',
});
const write = (at: string, username: string, extra: Partial<AuditedWrite> = {}): AuditedWrite => ({ resource: 'configmaps', apiGroup: '', namespace: 'shop', name: 'app-config', username, at, ...extra });

describe('who made a drifted field', () => {
  it('picks the write at or just before the field was written, preferring the one whose field manager agrees', () => {
    const writes = [
      write('2026-11-30T03:11:00Z', 'carol', { fieldManager: 'kubectl-label' }),
      write('2026-11-30T03:11:50Z', 'dave', { fieldManager: 'kubectl-annotate' }),
      write('2026-11-30T03:10:00Z', 'alice', { fieldManager: 'kubectl-edit' }),
    ];
    expect(attributeFinding(finding('2026-11-30T03:12:00Z'), writes)).toEqual({ username: 'alice', at: '2026-11-30T03:10:00Z' });
    // Without agreement, the closest in time.
    expect(attributeFinding(finding('2026-11-30T03:12:00Z', 'kubectl-patch'), writes)?.username).toBe('dave');
  });

  it('ignores writes after the field was written (beyond clock skew), long before it, or to another object', () => {
    expect(attributeFinding(finding('2026-11-30T03:12:00Z'), [write('2026-11-30T03:12:30Z', 'late')])).toBeUndefined();
    expect(attributeFinding(finding('2026-11-30T03:12:00Z'), [write('2026-11-30T03:12:01Z', 'skewed')])?.username).toBe('skewed');
    expect(attributeFinding(finding('2026-11-30T03:12:00Z'), [write('2026-11-30T02:00:00Z', 'old')])).toBeUndefined();
    expect(attributeFinding(finding('2026-11-30T03:12:00Z'), [{ ...write('2026-11-30T03:11:00Z', 'other'), name: 'other-config' }])).toBeUndefined();
  });

  it('matches a scale by subresource and kubectl by its user agent, and names who acted as whom', () => {
    const scale = { ref: { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' }, attribution: { manager: 'kubectl', subresource: 'scale', time: '2026-11-30T03:12:00Z' }, firstSeen: '2026-11-30T03:12:05Z' };
    const writes: AuditedWrite[] = [
      { resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web', username: 'ci-bot', at: '2026-11-30T03:11:59Z', userAgent: 'helm/3.14' },
      { resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web', username: 'system:admin', impersonatedUser: 'bob', at: '2026-11-30T03:11:30Z', userAgent: 'kubectl/v1.31.0 (linux/amd64)', subresource: 'scale' },
    ];
    expect(attributeFinding(scale, writes)).toEqual({ username: 'bob', via: 'system:admin', at: '2026-11-30T03:11:30Z' });
  });
});

describe('who made a drifted field, by what the write changed', () => {
  it('prefers the write whose recorded body changed the drifted field over a closer one that changed another', () => {
    const drifted = { ...finding('2026-11-30T03:12:00Z'), path: '/data/LOG_LEVEL' };
    const writes = [
      write('2026-11-30T03:11:58Z', 'dave', { fieldManager: 'kubectl-edit', changedPaths: ['/data/FEATURE_X'] }),
      write('2026-11-30T03:09:00Z', 'alice', { fieldManager: 'kubectl-edit', changedPaths: ['/data/LOG_LEVEL'] }),
    ];
    expect(attributeFinding(drifted, writes)?.username).toBe('alice');
    // A write whose body holds the whole map (or a field inside the drifted one) explains it too.
    expect(attributeFinding(drifted, [writes[0] as AuditedWrite, write('2026-11-30T03:09:00Z', 'erin', { changedPaths: ['/data'] })])?.username).toBe('erin');
    // Without bodies, the earlier rules decide: the closest agreeing write.
    expect(attributeFinding(drifted, writes.map(({ changedPaths: _, ...w }) => w))?.username).toBe('dave');
  });
});
