import { describe, expect, it } from 'vitest';
import { extractChangeDraft } from '../../src/ledger/change-draft.js';
import { ctx, logged, parse } from '../support/fix-parse.js';

describe('parseFixCommand: logging a change from free text', () => {
  it('reads resource, namespace, incident and @cluster from a scale', () => {
    expect(logged('scaled deploy/payments-api -n shop to 12 replicas for INC-4821 @prod-eu')).toEqual({
      description: 'scaled deploy/payments-api to 12 replicas for INC-4821',
      resources: [{ kind: 'deployment', name: 'payments-api', namespace: 'shop' }],
      cluster: 'prod-eu',
      incident: 'INC-4821',
    });
  });

  it('keeps an explicit API group, and a mention is the owner only after `for` or `owner`', () => {
    expect(logged('rolled back deployment.apps/checkout image to v1.4.2 <@U024BE7LH>')).toEqual({
      description: 'rolled back deployment.apps/checkout image to v1.4.2 <@U024BE7LH>',
      resources: [{ kind: 'deployment', group: 'apps', name: 'checkout' }],
    });
    expect(logged('patched deployments.apps/checkout for <@W0123ABC|alice> cc <@U999>')).toMatchObject({
      description: 'patched deployments.apps/checkout for <@W0123ABC> cc <@U999>',
      owner: 'W0123ABC',
    });
  });

  it('takes the incident from an INC ref before the channel, normalised to upper case', () => {
    expect(logged('raised limits on deploy/x for inc-77', { channelName: 'inc-4821-payments' }).incident).toBe(
      'INC-77',
    );
    expect(logged('raised limits on deploy/x', { channelName: 'inc-4821-payments' }).incident).toBe(
      '#inc-4821-payments',
    );
    expect(logged('raised limits on deploy/x', { channelName: '#incident_9' }).incident).toBe('#incident_9');
    expect(logged('raised limits on deploy/x', { channelName: 'payments-team' }).incident).toBeUndefined();
    expect(logged('raised limits on deploy/x', { channelName: 'princess' }).incident).toBeUndefined();
  });

  it('honours a configured incident channel pattern, even a global one', () => {
    const pattern = /^sev\d-/g;
    expect(logged('x', { channelName: 'sev1-db', incidentChannelPattern: pattern }).incident).toBe('#sev1-db');
    expect(logged('x', { channelName: 'sev1-db', incidentChannelPattern: pattern }).incident).toBe('#sev1-db');
    expect(logged('x', { channelName: 'inc-1', incidentChannelPattern: pattern }).incident).toBeUndefined();
  });

  it('takes the incident from an incident channel mentioned in the text', () => {
    expect(logged('see <#C0123|inc-900-db> for context', { channelName: 'random' })).toMatchObject({
      description: 'see <#C0123> for context',
      incident: '#inc-900-db',
    });
  });

  it('leaves @words that are not configured clusters in the text', () => {
    expect(logged('restarted deploy/web @unknown @Prod-EU')).toEqual({
      description: 'restarted deploy/web @unknown',
      resources: [{ kind: 'deployment', name: 'web' }],
      cluster: 'prod-eu',
    });
  });

  it('accepts --context and dashes that autocorrect turned into an em dash', () => {
    expect(logged('restarted deploy/web --context=staging').cluster).toBe('staging');
    expect(logged('restarted deploy/web —cluster prod-us').cluster).toBe('prod-us');
  });

  it('accepts any --cluster when no clusters are configured', () => {
    expect(logged('restarted deploy/web --cluster kind-dev', { clusters: [] }).cluster).toBe('kind-dev');
  });

  it('collapses whitespace', () => {
    expect(logged('  scaled\n\n deploy/web\t\tto 3  ').description).toBe('scaled deploy/web to 3');
  });
});

describe('parseFixCommand: log errors', () => {
  it('rejects an unknown --cluster, naming the configured ones', () => {
    expect(parse('cordoned node/ip-10-0-1-7 --cluster prod-ap')).toEqual({
      type: 'error',
      message: "Unknown cluster 'prod-ap'; configured clusters: prod-eu, prod-us, staging.",
      example: '/fix cordoned node/ip-10-0-1-7 --cluster prod-eu',
    });
  });

  it('asks for a description when only options were given', () => {
    expect(parse('--cluster prod-eu')).toEqual({
      type: 'error',
      message: 'Describe what you changed.',
      example: '/fix scaled deploy/payments-api -n shop to 12 replicas for INC-4821',
    });
    expect(parse('@prod-eu')).toMatchObject({ type: 'error', message: 'Describe what you changed.' });
  });

  it('rejects a description over 3000 characters', () => {
    expect(parse(`scaled deploy/web ${'x'.repeat(3000)}`)).toEqual({
      type: 'error',
      message: 'The description is 3,018 characters; the limit is 3,000. Shorten it.',
      example: '/fix scaled deploy/payments-api -n shop to 12 replicas for INC-4821',
    });
  });

  it('rejects a flag without a value, or a bad namespace', () => {
    expect(parse('scaled deploy/web -n')).toEqual({
      type: 'error',
      message: '-n needs a namespace, e.g. -n shop.',
      example: '/fix scaled deploy/payments-api -n shop to 12 replicas',
    });
    expect(parse('scaled deploy/web -n Shop')).toEqual({
      type: 'error',
      message: "`Shop` is not a namespace name: use lower-case letters, digits and '-'.",
      example: '/fix scaled deploy/payments-api -n shop to 12 replicas',
    });
    expect(parse('scaled deploy/web --cluster --namespace shop')).toEqual({
      type: 'error',
      message: '--cluster needs a cluster name.',
      example: '/fix cordoned node/ip-10-0-1-7 --cluster prod-eu',
    });
  });

  it('refuses to guess between several namespaces or clusters', () => {
    expect(parse('scaled deploy/a -n shop and deploy/b -n data')).toEqual({
      type: 'error',
      message: 'Several namespaces given (shop, data): log one change per namespace.',
      example: '/fix scaled deploy/payments-api -n shop to 12 replicas',
    });
    expect(parse('scaled deploy/a @prod-eu --cluster prod-us')).toMatchObject({
      type: 'error',
      message: 'Several clusters given (prod-eu, prod-us): log one change per cluster.',
    });
  });

  it('reports every problem at once', () => {
    expect(parse('--cluster nope')).toMatchObject({
      type: 'error',
      message: "Unknown cluster 'nope'; configured clusters: prod-eu, prod-us, staging. Describe what you changed.",
    });
  });
});

describe('extractChangeDraft', () => {
  it('returns problems instead of throwing', () => {
    expect(extractChangeDraft('--cluster x', ctx({ clusters: ['a', 'b'] }))).toEqual({
      description: '',
      resources: [],
      problems: ["Unknown cluster 'x'; configured clusters: a, b.", 'Describe what you changed.'],
    });
  });

  it('returns a clean draft with no problems', () => {
    expect(extractChangeDraft('deleted pod/web-0 -n shop', ctx())).toEqual({
      description: 'deleted pod/web-0',
      resources: [{ kind: 'pod', name: 'web-0', namespace: 'shop' }],
      problems: [],
    });
  });
});

describe('ownership comes only from `owner @x` or `for @x`', () => {
  it('does not make someone mentioned in passing the owner', () => {
    for (const text of [
      'restarted deploy/api after <@U0BOB|bob> asked',
      'restarted deploy/api after @bob asked',
      '<@U0BOB> restarted deploy/api',
      'restarted deploy/api, cc <@U0BOB>',
      "restarted deploy/api for <@U0BOB>'s team",
    ]) {
      const draft = logged(text);
      expect(draft.owner).toBeUndefined();
      expect(draft.resources).toEqual([{ kind: 'deployment', name: 'api' }]);
    }
    expect(logged('restarted deploy/api after <@U0BOB|bob> asked').description).toBe('restarted deploy/api after <@U0BOB> asked');
  });

  it.each([
    'restarted deploy/api owner <@U0BOB>',
    'restarted deploy/api, owner: <@U0BOB|bob>',
    'restarted deploy/api Owner=<@U0BOB|bob>',
    'restarted deploy/api for <@U0BOB>, who will codify it',
    '(for <@U0BOB>) restarted deploy/api after <@U0CAROL> asked',
  ])('takes the owner from %s', (text) => {
    expect(logged(text).owner).toBe('U0BOB');
  });

  it('prefers `owner` over `for`, and refuses two different owners', () => {
    expect(logged('restarted deploy/api for <@U0CAROL> owner <@U0BOB>').owner).toBe('U0BOB');
    expect(logged('restarted deploy/api owner <@U0BOB> and owner <@U0BOB>').owner).toBe('U0BOB');
    expect(parse('restarted deploy/api owner <@U0BOB> and owner <@U0CAROL>')).toEqual({
      type: 'error',
      message: 'Several owners given (<@U0BOB>, <@U0CAROL>): name one with owner @someone.',
      example: '/fix restarted deploy/payments-api -n shop owner @alice',
    });
  });
});
