import { describe, expect, it } from 'vitest';
import { logged, parse } from '../support/fix-parse.js';

describe('parseFixCommand: dispatch', () => {
  it('opens the modal when there is no text', () => {
    expect(parse('')).toEqual({ type: 'open_modal' });
    expect(parse('   \n\t ')).toEqual({ type: 'open_modal' });
    expect(parse('log')).toEqual({ type: 'open_modal' });
  });

  it('treats the first word as a subcommand whatever its case', () => {
    expect(parse('LIST all')).toEqual({ type: 'list', scope: 'all' });
    expect(parse('Show SG-4')).toEqual({ type: 'show', id: 4 });
  });

  it('logs free text that does not start with a keyword', () => {
    expect(parse('listed all pods in crashloop and deleted pod/web-0')).toMatchObject({ type: 'log' });
    expect(parse('restarted the payments api')).toEqual({
      type: 'log',
      draft: { description: 'restarted the payments api', resources: [] },
    });
  });

  it('logs text that starts with a keyword when written after `log`', () => {
    expect(logged('log list of pods deleted: pod/web-0 pod/web-1 -n shop')).toEqual({
      description: 'list of pods deleted: pod/web-0 pod/web-1',
      resources: [
        { kind: 'pod', name: 'web-0', namespace: 'shop' },
        { kind: 'pod', name: 'web-1', namespace: 'shop' },
      ],
    });
    expect(logged('LOG show must go on: scaled deploy/web to 3').description).toBe(
      'show must go on: scaled deploy/web to 3',
    );
  });
});

describe('parseFixCommand: list', () => {
  it('defaults to mine and accepts each scope', () => {
    expect(parse('list')).toEqual({ type: 'list', scope: 'mine' });
    expect(parse('list mine')).toEqual({ type: 'list', scope: 'mine' });
    expect(parse('list all')).toEqual({ type: 'list', scope: 'all' });
    expect(parse('list OVERDUE')).toEqual({ type: 'list', scope: 'overdue' });
  });

  it('names the valid scopes for an unknown one', () => {
    expect(parse('list open')).toEqual({
      type: 'error',
      message: 'Unknown list `open`: choose mine, all or overdue. To log a change that starts with “list”, write /fix log list …',
      example: '/fix list overdue',
    });
  });

  it('rejects extra words', () => {
    expect(parse('list all please')).toEqual({
      type: 'error',
      message: '/fix list takes a scope; remove `please`.',
      example: '/fix list overdue',
    });
  });
});

describe('parseFixCommand: codify', () => {
  it('takes one change ID', () => {
    expect(parse('codify SG-12')).toEqual({ type: 'codify', id: 12 });
    expect(parse('Codify #3')).toEqual({ type: 'codify', id: 3 });
    expect(parse('codify SG-4', { commandName: '/stopgap' })).toEqual({ type: 'codify', id: 4 });
  });

  it('asks for a missing or bad ID, and refuses more arguments', () => {
    expect(parse('codify')).toEqual({ type: 'error', message: 'Which change should become a patch? Give its ID.', example: '/fix codify SG-12' });
    expect(parse('codify payments')).toMatchObject({ type: 'error', message: expect.stringContaining('`payments` is not a change ID'), example: '/fix codify SG-12' });
    expect(parse('codify SG-1 SG-2')).toEqual({ type: 'error', message: '/fix codify takes a change ID; remove `SG-2`.', example: '/fix codify SG-12' });
  });

  it('points a PR link at `codified`: the person has the PR already', () => {
    expect(parse('codify SG-9 <https://github.com/acme/infra/pull/7>')).toMatchObject({
      type: 'error',
      message: expect.stringContaining('use /fix codified SG-9 <PR URL>'),
      example: '/fix codified SG-9 https://github.com/acme/infra/pull/881',
    });
  });
});

describe('parseFixCommand: show and reverted', () => {
  it('accepts the usual ID spellings', () => {
    expect(parse('show SG-12')).toEqual({ type: 'show', id: 12 });
    expect(parse('show sg-12')).toEqual({ type: 'show', id: 12 });
    expect(parse('show #12')).toEqual({ type: 'show', id: 12 });
    expect(parse('show `SG-12`.')).toEqual({ type: 'show', id: 12 });
    expect(parse('reverted SG-7')).toEqual({ type: 'reverted', id: 7 });
  });

  it('asks for a missing ID', () => {
    expect(parse('show')).toEqual({ type: 'error', message: 'Which change? Give its ID.', example: '/fix show SG-12' });
    expect(parse('reverted')).toEqual({
      type: 'error',
      message: 'Which change was reverted? Give its ID.',
      example: '/fix reverted SG-12',
    });
  });

  it('says what is wrong with a bad ID', () => {
    expect(parse('show SG-x')).toEqual({
      type: 'error',
      message: '`SG-x` is not a change ID; IDs look like SG-12. To log a change that starts with “show”, write /fix log show …',
      example: '/fix show SG-12',
    });
    expect(parse('reverted SG-0')).toMatchObject({
      type: 'error',
      message: expect.stringContaining('`SG-0` is not a change ID'),
    });
  });

  it('rejects a second ID instead of ignoring it', () => {
    expect(parse('reverted SG-1 SG-2')).toEqual({
      type: 'error',
      message: '/fix reverted takes a change ID; remove `SG-2`.',
      example: '/fix reverted SG-12',
    });
  });
});

describe('parseFixCommand: codified', () => {
  const example = '/fix codified SG-12 https://github.com/acme/infra/pull/881';

  it('takes an ID and a PR or commit URL, also as a Slack link', () => {
    expect(parse('codified SG-12 https://github.com/acme/infra/pull/881')).toEqual({
      type: 'codified',
      id: 12,
      url: 'https://github.com/acme/infra/pull/881',
    });
    expect(parse('codified SG-12 <https://gitlab.acme.io/infra/-/commit/9f1c2ab?x=1&amp;y=2|the fix>')).toEqual({
      type: 'codified',
      id: 12,
      url: 'https://gitlab.acme.io/infra/-/commit/9f1c2ab?x=1&y=2',
    });
  });

  it('keeps a closing parenthesis or bracket that belongs to the URL', () => {
    expect(parse('codified SG-1 (https://wiki.acme.io/Fix_(db)).')).toEqual({
      type: 'codified',
      id: 1,
      url: 'https://wiki.acme.io/Fix_(db)',
    });
    expect(parse('codified SG-1 [https://github.com/acme/infra/pull/1?sig=[redacted]].')).toEqual({
      type: 'codified',
      id: 1,
      url: 'https://github.com/acme/infra/pull/1?sig=[redacted]',
    });
  });

  it('asks for the ID and the URL', () => {
    expect(parse('codified')).toEqual({
      type: 'error',
      message: 'Which change is codified? Give its ID and the PR or commit URL.',
      example,
    });
    expect(parse('codified SG-12')).toEqual({
      type: 'error',
      message: 'Give the URL of the PR or commit that codifies SG-12.',
      example,
    });
  });

  it('rejects what is not a full http(s) link', () => {
    expect(parse('codified SG-12 github.com/x')).toEqual({
      type: 'error',
      message: '`github.com/x` is not a link: give the full PR or commit URL',
      example,
    });
    expect(parse('codified SG-12 ftp://github.com/x')).toEqual({
      type: 'error',
      message: '`ftp://github.com/x` is not an http(s) link: give the full PR or commit URL',
      example,
    });
    expect(parse('codified SG-12 javascript:alert(1)')).toMatchObject({
      message: '`javascript:alert(1)` is not an http(s) link: give the full PR or commit URL',
    });
    expect(parse('codified SG-12 https://')).toMatchObject({
      message: '`https://` is not a link: give the full PR or commit URL',
    });
    expect(parse('codified SG-12 https://ghp_secret@github.com/acme/infra/pull/1')).toMatchObject({
      message: 'That link contains credentials: give the plain PR or commit URL',
    });
    expect(parse('codified SG-12 https://github.com/acme/infra/pull/881 merged')).toMatchObject({
      message: '/fix codified takes a change ID and one URL; remove `merged`.',
    });
  });
});

describe('parseFixCommand: dismiss', () => {
  const example = '/fix dismiss SG-12 node pool was replaced, nothing to codify';

  it('takes the rest as the reason', () => {
    expect(parse('dismiss SG-3 node pool   was replaced &amp; drained <!channel>')).toEqual({
      type: 'dismiss',
      id: 3,
      reason: 'node pool was replaced & drained @channel',
    });
  });

  it('needs an ID and a reason', () => {
    expect(parse('dismiss')).toEqual({
      type: 'error',
      message: 'Which change? Give its ID and why it needs no reconciliation.',
      example,
    });
    expect(parse('dismiss SG-3')).toEqual({
      type: 'error',
      message: 'Say why SG-3 needs no reconciliation.',
      example,
    });
    expect(parse('dismiss it, was a test')).toMatchObject({ message: expect.stringMatching(/^`it,` is not a change ID/) });
  });
});

describe('parseFixCommand: snooze', () => {
  const example = '/fix snooze SG-12 3d';

  it.each([
    ['3d', '2025-06-07T10:00:00.000Z'],
    ['1w', '2025-06-11T10:00:00.000Z'],
    ['2w', '2025-06-18T10:00:00.000Z'],
    ['12h', '2025-06-04T22:00:00.000Z'],
    ['for 2 days', '2025-06-06T10:00:00.000Z'],
    ['tomorrow', '2025-06-05T10:00:00.000Z'],
    // Without the person's zone, a weekday or a date is that UTC day from 00:00 (Slack passes the zone).
    ['monday', '2025-06-09T00:00:00.000Z'],
    ['until Friday', '2025-06-06T00:00:00.000Z'],
    ['wednesday', '2025-06-11T00:00:00.000Z'],
    ['2025-06-20', '2025-06-20T00:00:00.000Z'],
    ['90d', '2025-09-02T10:00:00.000Z'],
  ])('snoozes for %s', (when, until) => {
    expect(parse(`snooze SG-5 ${when}`)).toEqual({ type: 'snooze', id: 5, until });
  });

  it('needs an ID and a duration', () => {
    expect(parse('snooze')).toEqual({
      type: 'error',
      message: 'Which change? Give its ID and how long to snooze it.',
      example,
    });
    expect(parse('snooze SG-5')).toEqual({
      type: 'error',
      message: 'How long should SG-5 be snoozed? Give 3d, 1w, 12h or a date.',
      example,
    });
  });

  it('rejects what is not a duration, the past and more than 90 days', () => {
    expect(parse('snooze SG-5 3x')).toEqual({
      type: 'error',
      message: '`3x` is not a duration: use 3d, 1w, 12h, a weekday or a date like 2025-06-11.',
      example,
    });
    expect(parse('snooze SG-5 2025-02-30')).toMatchObject({ message: expect.stringMatching(/^`2025-02-30` is not a duration/) });
    expect(parse('snooze SG-5 2024-01-01')).toEqual({
      type: 'error',
      message: '`2024-01-01` is not in the future: snooze until a later time.',
      example,
    });
    expect(parse('snooze SG-5 0h')).toMatchObject({ message: '`0h` is not in the future: snooze until a later time.' });
    const tooFar = {
      type: 'error',
      message: 'Snooze for at most 90 days; if SG-5 needs no reconciliation, dismiss it with a reason.',
      example,
    };
    expect(parse('snooze SG-5 13w')).toEqual(tooFar);
    expect(parse('snooze SG-5 2026-01-01')).toEqual(tooFar);
    expect(parse(`snooze SG-5 ${'9'.repeat(30)}d`)).toEqual(tooFar);
  });
});

describe('parseFixCommand: assign', () => {
  const example = '/fix assign SG-12 @alice';

  it('takes the user ID from a mention', () => {
    expect(parse('assign SG-9 <@U024BE7LH>')).toEqual({ type: 'assign', id: 9, userId: 'U024BE7LH' });
    expect(parse('assign SG-9 <@U024BE7LH|bob>')).toEqual({ type: 'assign', id: 9, userId: 'U024BE7LH' });
  });

  it('needs an ID and a person', () => {
    expect(parse('assign')).toEqual({
      type: 'error',
      message: 'Which change? Give its ID and mention the new owner.',
      example,
    });
    expect(parse('assign SG-9')).toEqual({ type: 'error', message: 'Who should own SG-9? Mention them.', example });
  });

  it('rejects plain names, groups and several people', () => {
    expect(parse('assign SG-9 @bob')).toEqual({
      type: 'error',
      message: '`@bob` is not a Slack mention: type @ and pick the new owner from the list.',
      example,
    });
    expect(parse('assign SG-9 <!subteam^S0614TZR7|@sre>')).toEqual({
      type: 'error',
      message: 'Assign SG-9 to one person, not a group.',
      example,
    });
    expect(parse('assign SG-9 <!here>')).toMatchObject({ message: 'Assign SG-9 to one person, not a group.' });
    expect(parse('assign SG-9 bob <!here>')).toMatchObject({ message: expect.stringMatching(/^`bob` is not a Slack mention/) });
    expect(parse('assign SG-9 <@U1AA> <@U2BB>')).toMatchObject({ message: 'Assign SG-9 to one person only.' });
  });
});

describe('parseFixCommand: claim and help', () => {
  it('claims a finding or the drift of one resource for a change', () => {
    expect(parse('claim D-17 SG-4')).toEqual({ type: 'claim', target: { finding: 17 }, id: 4 });
    expect(parse('claim d-17 #4')).toEqual({ type: 'claim', target: { finding: 17 }, id: 4 });
    expect(parse('claim deploy/payments-api -n shop SG-12')).toEqual({
      type: 'claim',
      target: { resource: { kind: 'deployment', name: 'payments-api', namespace: 'shop' } },
      id: 12,
    });
    expect(parse('claim node/ip-10-0-1-7 --cluster prod-eu SG-3', { clusters: ['prod-eu', 'staging'] })).toEqual({
      type: 'claim',
      target: { resource: { kind: 'node', name: 'ip-10-0-1-7' }, cluster: 'prod-eu' },
      id: 3,
    });
  });

  it('says what is missing or wrong in a claim, with an example', () => {
    expect(parse('claim')).toEqual({
      type: 'error',
      message: 'What do you claim? Give the drift finding or the resource, then the change it belongs to.',
      example: '/fix claim deploy/payments-api -n shop SG-12',
    });
    expect(parse('claim D-17')).toMatchObject({ type: 'error', message: 'Which change does `D-17` belong to? End with its ID.' });
    expect(parse('claim D-17 later')).toMatchObject({ type: 'error', message: expect.stringMatching(/^`later` is not a change ID/) });
    expect(parse('claim the thing SG-4')).toMatchObject({ type: 'error', message: expect.stringContaining('names no drift finding or resource') });
    expect(parse('claim deploy/a deploy/b SG-4')).toMatchObject({ type: 'error', message: 'Name one resource at a time.' });
    expect(parse('claim deploy/web --cluster nowhere SG-4', { clusters: ['prod-eu'] })).toMatchObject({ type: 'error', message: expect.stringContaining('nowhere') });
  });

  it('unclaims a finding or a resource, and lists drift for one configured cluster or all', () => {
    expect(parse('unclaim D-9')).toEqual({ type: 'unclaim', target: { finding: 9 } });
    expect(parse('unclaim cm/app-config -n shop')).toEqual({ type: 'unclaim', target: { resource: { kind: 'configmap', name: 'app-config', namespace: 'shop' } } });
    expect(parse('unclaim')).toMatchObject({ type: 'error', message: 'What do you unclaim? Give the drift finding or the resource.' });
    expect(parse('drift')).toEqual({ type: 'drift' });
    expect(parse('drift prod-eu', { clusters: ['prod-eu'] })).toEqual({ type: 'drift', cluster: 'prod-eu' });
    expect(parse('drift mars', { clusters: ['prod-eu'] })).toMatchObject({ type: 'error', message: '`mars` is not a configured cluster. Configured clusters: prod-eu.' });
    expect(parse('drift a b')).toMatchObject({ type: 'error', message: '/fix drift takes at most a cluster name; remove `b`.' });
  });

  it('gives help, with an optional topic', () => {
    expect(parse('help')).toEqual({ type: 'help' });
    expect(parse('help Snooze')).toEqual({ type: 'help', topic: 'snooze' });
    expect(parse('help &lt;x&gt;')).toEqual({ type: 'help', topic: '<x>' });
  });
});

describe('a renamed command', () => {
  it('uses the installed name in examples and hints', () => {
    expect(parse('show', { commandName: '/stopgap' })).toEqual({
      type: 'error',
      message: 'Which change? Give its ID.',
      example: '/stopgap show SG-12',
    });
    expect(parse('list nope', { commandName: 'tempfix' })).toEqual({
      type: 'error',
      message: 'Unknown list `nope`: choose mine, all or overdue. To log a change that starts with “list”, write /tempfix log list …',
      example: '/tempfix list overdue',
    });
    expect(parse('--cluster prod-eu', { commandName: '/sg' })).toMatchObject({
      example: '/sg scaled deploy/payments-api -n shop to 12 replicas for INC-4821',
    });
  });
});

describe('hostile input', () => {
  it('clips echoed input and keeps it inside its code span', () => {
    const cmd = parse(`show ${'`'.repeat(5)}${'a'.repeat(200)}`);
    expect(cmd.type).toBe('error');
    if (cmd.type !== 'error') return;
    expect(cmd.message.length).toBeLessThan(250);
    expect(cmd.message).toContain('…');
  });

  it('survives unbalanced markup and odd unicode', () => {
    for (const t of ['<', '>', '<<@U1>', '<@>', '<!>', '<#>', '<|>', '&', '\u0000', '\ud800', '𝔡𝔢𝔭𝔩𝔬𝔶/x']) {
      expect(() => parse(t)).not.toThrow();
      expect(() => parse(`snooze SG-1 ${t}`)).not.toThrow();
      expect(() => parse(`codified SG-1 ${t}`)).not.toThrow();
    }
  });
});

describe('length limits', () => {
  it('names the limit of each field a person types', () => {
    expect(parse(`dismiss SG-3 ${'r'.repeat(2340)}`)).toEqual({
      type: 'error',
      message: 'The reason is 2,340 characters; the limit is 1,000. Shorten it.',
      example: '/fix dismiss SG-12 node pool was replaced, nothing to codify',
    });
    expect(parse(`dismiss SG-3 ${'r'.repeat(1000)}`)).toMatchObject({ type: 'dismiss' });
    expect(parse(`codified SG-3 https://github.com/acme/infra/pull/881?x=${'a'.repeat(1000)}`)).toMatchObject({
      type: 'error',
      message: 'The PR URL is 1,041 characters; the limit is 1,000. Shorten it.',
    });
    expect(parse(`restarted deploy/web --cluster ${'c'.repeat(151)}`, { clusters: [] })).toMatchObject({
      type: 'error',
      message: 'The cluster name is 151 characters; the limit is 150. Shorten it.',
    });
    expect(logged(`restarted deploy/web --cluster ${'c'.repeat(150)}`, { clusters: [] }).cluster).toHaveLength(150);
    const longId = `U${'A'.repeat(64)}`;
    expect(parse(`assign SG-3 <@${longId}>`)).toMatchObject({ type: 'error', message: 'The owner is 65 characters; the limit is 64. Shorten it.' });
    expect(parse(`restarted deploy/web owner <@${longId}>`)).toMatchObject({ type: 'error', message: 'The owner is 65 characters; the limit is 64. Shorten it.' });
    expect(parse(`restarted deploy/web see <#C0123|inc-${'x'.repeat(200)}>`, { channelName: 'random' })).toMatchObject({
      type: 'error',
      message: 'The incident is 205 characters; the limit is 200. Shorten it.',
    });
  });

  it('holds the resources parsed from the text to the resource list limit', () => {
    const refs = Array.from({ length: 35 }, (_, i) => `deploy/${'a'.repeat(60)}-${i}`).join(' ');
    const cmd = parse(`restarted ${refs}`);
    expect(cmd).toMatchObject({ type: 'error', message: expect.stringMatching(/^The resource list is 2,\d{3} characters; the limit is 2,000\. Shorten it\.$/) });
  });
});

describe('hidden characters', () => {
  it('strips controls and direction marks from the description', () => {
    expect(logged('restarted\u0000 deploy/web \u202Eafter the \u2066incident\u2069\u200F \u0007\u009b')).toEqual({
      description: 'restarted deploy/web after the incident',
      resources: [{ kind: 'deployment', name: 'web' }],
    });
    expect(parse('dismiss SG-3 node\u0000 pool \u202Ereplaced')).toEqual({ type: 'dismiss', id: 3, reason: 'node pool replaced' });
  });

  it('refuses a description that is empty once they are stripped', () => {
    expect(parse('\u202E\u0000\u2066')).toEqual({
      type: 'error',
      message: 'Describe what you changed: once invisible and control characters are taken out, nothing is left.',
      example: '/fix scaled deploy/payments-api -n shop to 12 replicas for INC-4821',
    });
    expect(parse('dismiss SG-3 \u202E\u0000')).toMatchObject({ type: 'error', message: 'Say why SG-3 needs no reconciliation.' });
  });

  it('refuses a name with a hidden character rather than guess what it was', () => {
    const refused = (text: string) => {
      const cmd = parse(text);
      if (cmd.type !== 'error') throw new Error(`expected a refusal of ${JSON.stringify(text)}, got ${JSON.stringify(cmd)}`);
      return cmd.message;
    };
    expect(refused('restarted deploy/we\u202Eb -n shop')).toBe(
      '`deploy/web` contains an invisible or control character (U+202E) that can make text read differently than it is; type it again without it.',
    );
    expect(refused('restarted deploy/web --cluster prod\u0000-eu')).toMatch(/^`prod-eu` contains .*\(U\+0000\)/);
    expect(refused('restarted deploy/web -n sh\u2066op')).toMatch(/\(U\+2066\)/);
    expect(refused('restarted deploy/web for INC-48\u202E21')).toMatch(/^`INC-4821` contains/);
    expect(refused('show SG-1\u202E2')).toMatch(/^`SG-12` contains .*\(U\+202E\)/);
    expect(refused('snooze SG-12 3\u0000d')).toMatch(/\(U\+0000\)/);
    expect(refused('assign SG-12 <@U0BOB>\u202E')).toMatch(/\(U\+202E\)/);
    expect(refused('codified SG-12 https://github.com/acme/\u202Einfra/pull/1')).toMatch(/\(U\+202E\)/);
    expect(refused('dismiss SG-1\u20672 no longer needed')).toMatch(/\(U\+2067\)/);
    expect(refused('claim deploy/\u202Eapi')).toMatch(/\(U\+202E\)/);
  });

  it('strips the plain left-to-right and right-to-left marks even from names', () => {
    expect(logged('restarted deploy/web\u200E -n \u200Fshop')).toEqual({
      description: 'restarted deploy/web',
      resources: [{ kind: 'deployment', name: 'web', namespace: 'shop' }],
    });
  });
});
