import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findingsForNewChange, linkFindings, type LinkableFinding } from '../../src/linking/link.js';
import { changeNamesObject, refNamesObject, type DriftObject, type LinkableChange } from '../../src/linking/match.js';

const deploy = (name: string, extra: Partial<DriftObject> = {}): DriftObject => ({ cluster: 'prod', group: 'apps', kind: 'Deployment', namespace: 'shop', name, ...extra });
const finding = (id: number, object: DriftObject, writtenAt?: string): LinkableFinding => ({ id, object, writtenAt, firstSeen: '2026-11-30T03:20:00Z' });
/** `cluster: null` is a change logged without one. */
const change = (id: number, resources: LinkableChange['resources'], createdAt = '2026-11-30T03:15:00Z', cluster: string | null = 'prod'): LinkableChange => ({
  id,
  cluster: cluster ?? undefined,
  resources,
  createdAt,
});

describe('what a change names', () => {
  it('matches kind aliases through the canonical kind, with or without a group, and any namespace unless one was given', () => {
    const obj = deploy('web');
    expect(refNamesObject({ kind: 'deployment', name: 'web' }, obj)).toBe(true);
    expect(refNamesObject({ kind: 'deployment', group: 'apps', name: 'web' }, obj)).toBe(true);
    expect(refNamesObject({ kind: 'deployment', group: 'extensions', name: 'web' }, obj)).toBe(false);
    expect(refNamesObject({ kind: 'deployment', name: 'web', namespace: 'shop' }, obj)).toBe(true);
    expect(refNamesObject({ kind: 'deployment', name: 'web', namespace: 'other' }, obj)).toBe(false);
    expect(refNamesObject({ kind: 'statefulset', name: 'web' }, obj)).toBe(false);
    expect(refNamesObject({ kind: 'deployment', name: 'web-2' }, obj)).toBe(false);
  });

  it('matches nodes, which have no namespace, and custom resources by group', () => {
    const node = { cluster: 'prod', group: '', kind: 'Node', name: 'ip-10-0-1-7' };
    expect(refNamesObject({ kind: 'node', name: 'ip-10-0-1-7' }, node)).toBe(true);
    expect(refNamesObject({ kind: 'node', name: 'ip-10-0-1-7', namespace: 'shop' }, node)).toBe(false);
    const rollout = { cluster: 'prod', group: 'argoproj.io', kind: 'Rollout', namespace: 'shop', name: 'web' };
    expect(refNamesObject({ kind: 'rollout', group: 'argoproj.io', name: 'web' }, rollout)).toBe(true);
    expect(refNamesObject({ kind: 'rollout', group: 'example.com', name: 'web' }, rollout)).toBe(false);
  });

  it('takes a change logged without a cluster as being about the only configured cluster, and never guesses among several', () => {
    const c = change(1, [{ kind: 'deployment', name: 'web' }], undefined, null);
    expect(changeNamesObject(c, deploy('web'), ['prod'])).toBe(true);
    expect(changeNamesObject(c, deploy('web'), ['prod', 'staging'])).toBe(false);
    expect(changeNamesObject(change(2, [{ kind: 'deployment', name: 'web' }], undefined, 'staging'), deploy('web'), ['prod', 'staging'])).toBe(false);
  });
});

describe('linking findings to open changes', () => {
  it('links a finding to the one change that names its object', () => {
    const decisions = linkFindings(
      [finding(10, deploy('web')), finding(11, deploy('api'))],
      [change(1, [{ kind: 'deployment', name: 'web' }]), change(2, [{ kind: 'configmap', name: 'api' }])],
      ['prod'],
    );
    expect(decisions).toEqual([{ findingId: 10, outcome: 'linked', changeId: 1 }]);
  });

  it('picks, of several, the change logged closest to when the field was written', () => {
    const refs = [{ kind: 'deployment', name: 'web' }];
    const changes = [change(1, refs, '2026-11-30T01:00:00Z'), change(2, refs, '2026-11-30T03:14:00Z'), change(3, refs, '2026-11-30T06:00:00Z')];
    expect(linkFindings([finding(10, deploy('web'), '2026-11-30T03:12:00Z')], changes, ['prod'])).toEqual([{ findingId: 10, outcome: 'linked', changeId: 2 }]);
    // Without a write time, the time the scanner first saw it stands in.
    expect(linkFindings([{ id: 11, object: deploy('web'), firstSeen: '2026-11-30T05:30:00Z' }], changes, ['prod'])).toEqual([
      { findingId: 11, outcome: 'linked', changeId: 3 },
    ]);
  });

  it('never guesses between two equally good changes: the decision is ambiguous and names both', () => {
    const refs = [{ kind: 'deployment', name: 'web' }];
    const decisions = linkFindings(
      [finding(10, deploy('web'), '2026-11-30T03:12:00Z')],
      [change(4, refs, '2026-11-30T03:10:00Z'), change(2, refs, '2026-11-30T03:14:00Z'), change(9, refs, '2026-11-30T09:00:00Z')],
      ['prod'],
    );
    expect(decisions).toEqual([{ findingId: 10, outcome: 'ambiguous', changeIds: [2, 4] }]);
  });

  it('never links across clusters', () => {
    const decisions = linkFindings([finding(10, deploy('web', { cluster: 'staging' }))], [change(1, [{ kind: 'deployment', name: 'web' }], undefined, 'prod')], ['prod', 'staging']);
    expect(decisions).toEqual([]);
  });

  it('gives a new change the unlinked findings it names, unless an older change explains them better', () => {
    const refs = [{ kind: 'deployment', name: 'web' }];
    const older = change(1, refs, '2026-11-30T03:11:00Z');
    const newer = change(2, [...refs, { kind: 'configmap', name: 'web-config' }], '2026-11-30T08:00:00Z');
    const cm = { cluster: 'prod', group: '', kind: 'ConfigMap', namespace: 'shop', name: 'web-config' };
    const result = findingsForNewChange(newer, [finding(10, deploy('web'), '2026-11-30T03:12:00Z'), finding(11, cm, '2026-11-30T07:58:00Z')], [older, newer], ['prod']);
    expect(result).toEqual({ linked: [11], ambiguous: [] });
  });

  it('links 10,000 findings against 10,000 open changes in one pass (the index keeps it linear)', () => {
    const changes = Array.from({ length: 10_000 }, (_, i) => change(i + 1, [{ kind: 'deployment', name: `app-${i}` }]));
    const findings = Array.from({ length: 10_000 }, (_, i) => finding(i + 1, deploy(`app-${(i * 7) % 10_000}`)));
    const decisions = linkFindings(findings, changes, ['prod']);
    expect(decisions).toHaveLength(10_000);
    expect(decisions.every((d) => d.outcome === 'linked' && d.changeId === ((d.findingId - 1) * 7) % 10_000 + 1)).toBe(true);
  });
});

describe('linking properties', () => {
  const names = fc.constantFrom('web', 'api', 'db', 'ip-10-0-1-7');
  const clusters = fc.constantFrom('prod', 'staging', 'dev');
  const kinds = fc.constantFrom(['deployment', 'Deployment', 'apps'], ['configmap', 'ConfigMap', ''], ['node', 'Node', '']);
  const minute = fc.integer({ min: 0, max: 600 }).map((m) => new Date(Date.UTC(2026, 10, 30, 0, m)).toISOString());
  const anyChange = fc.record({
    cluster: fc.option(clusters, { nil: undefined }),
    kind: kinds,
    name: names,
    createdAt: minute,
  });
  const anyFinding = fc.record({ cluster: clusters, kind: kinds, name: names, writtenAt: fc.option(minute, { nil: undefined }), firstSeen: minute });
  const input = fc.record({
    changes: fc.array(anyChange, { maxLength: 12 }),
    findings: fc.array(anyFinding, { maxLength: 12 }),
    configured: fc.subarray(['prod', 'staging', 'dev'], { minLength: 1 }),
  });
  type Raw = typeof input extends fc.Arbitrary<infer T> ? T : never;
  const build = (i: Raw) => ({
    changes: i.changes.map((c, n) => change(n + 1, [{ kind: c.kind[0]!, name: c.name }], c.createdAt, c.cluster ?? null)),
    findings: i.findings.map((f, n) => ({
      id: n + 100,
      object: { cluster: f.cluster, group: f.kind[2]!, kind: f.kind[1]!, ...(f.kind[0] === 'node' ? {} : { namespace: 'shop' }), name: f.name },
      writtenAt: f.writtenAt,
      firstSeen: f.firstSeen,
    })),
  });

  it('is deterministic: the same changes and findings in any order give the same decisions', () => {
    fc.assert(
      fc.property(input, fc.infiniteStream(fc.nat()), (raw, seeds) => {
        const { changes, findings } = build(raw);
        const shuffle = <T,>(xs: T[]) => xs.map((x) => ({ x, k: seeds.next().value as number })).sort((a, b) => a.k - b.k).map((p) => p.x);
        expect(linkFindings(shuffle(findings), shuffle(changes), raw.configured)).toEqual(linkFindings(findings, changes, raw.configured));
      }),
    );
  });

  it('never links a finding to a change on another cluster, nor to one that does not name its object', () => {
    fc.assert(
      fc.property(input, (raw) => {
        const { changes, findings } = build(raw);
        for (const d of linkFindings(findings, changes, raw.configured)) {
          const f = findings.find((x) => x.id === d.findingId)!;
          const ids = d.outcome === 'linked' ? [d.changeId] : d.changeIds;
          for (const id of ids) {
            const c = changes.find((x) => x.id === id)!;
            expect(c.cluster === undefined ? raw.configured.length === 1 && raw.configured[0] === f.object.cluster : c.cluster === f.object.cluster).toBe(true);
            expect(changeNamesObject(c, f.object, raw.configured)).toBe(true);
          }
        }
      }),
    );
  });
});
