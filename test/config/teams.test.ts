import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/config/duration.js';
import { channelFor, teamFor } from '../../src/config/teams.js';
import { configFiles } from '../support/config-file.js';

const { load, problem: problems } = configFiles();

const TEAMS = `
defaultChannel: C0DEFAULT1
teams:
  - name: payments
    channel: C0PAYMENTS
    members: [U024BE7LH]
    match:
      - { cluster: prod-*, namespace: pay* }
      - { kind: Secret, namespace: vault }
  - name: platform
    channel: C0PLATFORM
    match:
      - { kind: node }
      - { cluster: '*', namespace: kube-* }
drift:
  unclaimedAfter: 45s
`;

describe('teams and the default channel', () => {
  it('routes an object or a change to the first team whose match covers it, else the default channel', () => {
    const file = load(TEAMS);
    expect(file.defaultChannel).toBe('C0DEFAULT1');
    expect(teamFor(file.teams, { cluster: 'prod-eu', namespace: 'payments', kind: 'Deployment' })?.name).toBe('payments');
    expect(teamFor(file.teams, { cluster: 'staging', namespace: 'vault', kind: 'secret' })?.name).toBe('payments');
    // Kinds compare without case: the Kind from the cluster and the /fix spelling are the same thing.
    expect(teamFor(file.teams, { cluster: 'prod-eu', kind: 'Node' })?.name).toBe('platform');
    // A criterion the subject has no value for does not match: a node has no namespace.
    expect(teamFor(file.teams, { cluster: 'prod-eu', kind: 'Node', namespace: undefined })?.name).toBe('platform');
    // As stored (a cluster-scoped finding's namespace is '') or read (a change with no cluster is null): no value.
    expect(teamFor(file.teams, { cluster: 'prod-eu', kind: 'Node', namespace: '' })?.name).toBe('platform');
    expect(teamFor(file.teams, { cluster: null, namespace: 'payments', kind: 'Deployment' })).toBeUndefined();
    expect(teamFor(file.teams, { kind: 'Deployment', namespace: 'payments' })).toBeUndefined();
    expect(channelFor(file.teams, file.defaultChannel, { cluster: 'staging', namespace: 'shop', kind: 'ConfigMap' })).toBe('C0DEFAULT1');
    expect(channelFor(file.teams, undefined, { cluster: 'staging', namespace: 'shop' })).toBeUndefined();
  });

  it('reads durations with their unit and defaults unclaimedAfter to ten minutes', () => {
    expect(load(TEAMS).drift.unclaimedAfter).toBe(45_000);
    expect(load('{}').drift.unclaimedAfter).toBe(600_000);
    expect(load('drift: { unclaimedAfter: 2h }').drift.unclaimedAfter).toBe(7_200_000);
    expect(formatDuration(600_000)).toBe('10m');
    expect(formatDuration(45_000)).toBe('45s');
  });

  it('names each mistake with the fix: channel names, bad durations, duplicate teams, empty matches, unknown keys', () => {
    const msg = problems(`
defaultChannel: '#incidents'
teams:
  - { name: a, channel: C0AAAAAAA, match: [] }
  - { name: a, channel: general, match: [{ namespace: x }] }
  - { name: b, channel: C0BBBBBBB, match: [{ namspace: x }] }
drift: { unclaimedAfter: 3 days }
`);
    expect(msg).toContain('defaultChannel: a Slack channel ID looks like C024BE91L');
    expect(msg).toContain('teams[0].match: give at least one match entry');
    expect(msg).toContain("teams[1].name: team name 'a' is used twice");
    expect(msg).toContain('teams[1].channel: a Slack channel ID');
    expect(msg).toMatch(/teams\[2\]\.match\[0\]\.namspace: unknown key/);
    expect(msg).toContain("drift.unclaimedAfter: '3 days' is not a duration; write a number and a unit, e.g. 30s, 10m, 2h");
    expect(problems('drift: { unclaimedAfter: 2d }')).toContain("'2d' is not a duration");
    expect(problems('drift: { unclaimedAfter: 0s }')).toContain('drift.unclaimedAfter: must be longer than zero');
  });
});
