import { describe, expect, it } from 'vitest';
import { extractChangeDraft } from '../../src/ledger/change-draft.js';
import { registerKnownSecrets } from '../../src/redact.js';
import { slackTextCodec } from '../../src/slack/text-codec.js';
import { ctx, logged, parse } from '../support/fix-parse.js';

describe('slackTextCodec', () => {
  it('masks a whole link that follows a credential name: Slack linked the secret itself', () => {
    expect(slackTextCodec.redact('rotated api_key=<https://h.example.com/s3cretPart9x|h.example.com/s3cretPart9x> today')).toBe('rotated api_key=[redacted] today');
    expect(slackTextCodec.redact('see <https://docs.example.com/runbook|the runbook>')).toBe('see <https://docs.example.com/runbook|the runbook>');
  });

  it('marks text: mentions and channel references kept bare, links and broadcasts resolved, the rest escaped', () => {
    expect(
      slackTextCodec.mark('hi <@U024BE7LH|bob> in <#C0123ABC|inc-9-db> see <https://x.io/?a=1&amp;b=2|the doc> <!here> <!subteam^S1|@sre> a < b & c', 'label'),
    ).toEqual({
      text: 'hi <@U024BE7LH> in <#C0123ABC> see the doc @here @sre a &lt; b &amp; c',
      channels: ['inc-9-db'],
    });
    expect(slackTextCodec.mark('<https://x.io/?a=1&amp;b=2|the doc>', 'url')).toEqual({ text: 'https://x.io/?a=1&amp;b=2', channels: [] });
  });

  it('decodes marked text once, and breaks a typed `<!` so that it never broadcasts', () => {
    expect(slackTextCodec.plain('a &lt; b &amp;lt; &lt;!channel&gt; <@U1AA>')).toBe('a < b &lt; <\u2060!channel> <@U1AA>');
    // A URL's characters are decoded as they are: no word joiner inside a link.
    expect(slackTextCodec.decode('https://x.io/?a=1&amp;b=&lt;!')).toBe('https://x.io/?a=1&b=<!');
  });

  it('masks a link target and its label apart', () => {
    expect(slackTextCodec.redact('read <https://x.io/?token=abc123|the doc> and <https://x.io/?token=abc123>')).toBe(
      'read <https://x.io/?token=[redacted]|the doc> and <https://x.io/?token=[redacted]>',
    );
  });

  it('tells a broadcast or user group from a mention of one person', () => {
    expect(slackTextCodec.isGroupMention('<!here>')).toBe(true);
    expect(slackTextCodec.isGroupMention('<!subteam^S1|@sre>')).toBe(true);
    expect(slackTextCodec.isGroupMention('<@U1AA>')).toBe(false);
    expect(slackTextCodec.isGroupMention('@here')).toBe(false);
  });
});

describe('Slack text through the /fix grammar', () => {
  it('reads refs that Slack turned into links', () => {
    expect(
      logged('paused <http://rollout.argoproj.io/web|rollout.argoproj.io/web> in prod'),
    ).toEqual({
      description: 'paused rollout.argoproj.io/web in prod',
      resources: [{ kind: 'rollout', group: 'argoproj.io', name: 'web' }],
    });
  });

  it('neutralises broadcasts to plain text, decodes entities and leaves no `<!` markup', () => {
    const { description } = logged('<!here> restarted deploy/web &amp; <!subteam^S012|@sre> &lt;!channel&gt; a&lt;b');
    // A `<!channel>` typed as text reads the same but carries a word joiner, so it is never a broadcast.
    expect(description).toBe('@here restarted deploy/web & @sre <\u2060!channel> a<b');
    expect(description).not.toContain('<!');
    expect(logged('pinged <!channel> and <!everyone|everyone>').description).toBe('pinged @channel and @everyone');
  });

  it('returns plain text: entities decoded once, mentions and channels kept, links as their label', () => {
    expect(logged('set a &lt; b &amp;&amp; c &gt; d on deploy/web').description).toBe('set a < b && c > d on deploy/web');
    // `&amp;lt;` is what Slack sends for a typed `&lt;`: decoded once, it stays `&lt;`.
    expect(logged('escaped &amp;lt;div&amp;gt; in cm/app').description).toBe('escaped &lt;div&gt; in cm/app');
    expect(
      logged('told <@U024BE7LH|bob> in <#C0123ABC|ops> about <https://x.io/a?b=1&amp;c=2|the A&amp;B doc> and <https://y.io>')
        .description,
    ).toBe('told <@U024BE7LH> in <#C0123ABC> about the A&B doc and https://y.io');
    // A typed `<@U1>` is text Slack escaped: decoded, but not taken as the owner.
    expect(logged('restarted deploy/web for &lt;@U024BE7LH&gt;')).toEqual({
      description: 'restarted deploy/web for <@U024BE7LH>',
      resources: [{ kind: 'deployment', name: 'web' }],
    });
  });

  it('keeps a typed channel link with a label as readable text; a real one loses its label', () => {
    // Typed, Slack escapes it: stored as typed, and the views show it as text (see mrkdwn.ts).
    expect(logged('moved traffic, see &lt;#C0GEN|click me&gt;').description).toBe('moved traffic, see <#C0GEN|click me>');
    // Picked from Slack's list: a reference to the channel, which Slack shows by its real name.
    expect(logged('moved traffic, see <#C0GEN|general>').description).toBe('moved traffic, see <#C0GEN>');
  });

  it('decodes a --cluster name when no clusters are configured', () => {
    expect(logged('restarted deploy/web --cluster a&amp;b', { clusters: [] }).cluster).toBe('a&b');
  });

  it('echoes input in error messages as plain text', () => {
    expect(parse('show a&amp;b&lt;c')).toMatchObject({
      type: 'error',
      message: expect.stringMatching(/^`a&b<c` is not a change ID/),
    });
    expect(parse('reverted SG-1 &lt;SG-2&gt;')).toMatchObject({
      message: '/fix reverted takes a change ID; remove `<SG-2>`.',
    });
    expect(parse('snooze SG-1 &lt;3d')).toMatchObject({ message: expect.stringMatching(/^`<3d` is not a duration/) });
    expect(parse('scaled deploy/web -n a&amp;b')).toMatchObject({
      message: "`a&b` is not a namespace name: use lower-case letters, digits and '-'.",
    });
    expect(parse('scaled deploy/web --cluster a&amp;b')).toMatchObject({
      message: "Unknown cluster 'a&b'; configured clusters: prod-eu, prod-us, staging.",
    });
  });

  it('returns the reason as plain text', () => {
    expect(parse('dismiss SG-3 limits &lt;= 2Gi per <@U024BE7LH|bob>, see <https://x.io|the doc> &lt;!here&gt;')).toEqual({
      type: 'dismiss',
      id: 3,
      reason: 'limits <= 2Gi per <@U024BE7LH>, see the doc <\u2060!here>',
    });
  });
});

describe('secrets pasted into /fix text', () => {
  const secret = 'fixparser-known-secret-7f7f0a';
  registerKnownSecrets([secret]);

  it('masks them in everything the parser hands back or echoes', () => {
    const results = [
      parse(`restarted deploy/web with ${secret} in the env`),
      parse(`restarted deploy/${secret} -n shop`),
      parse(`restarted deploy/web --cluster ${secret}`, { clusters: [] }),
      parse(`dismiss SG-3 pasted ${secret} by mistake`),
      parse(`codified SG-3 https://github.com/acme/infra/pull/1?t=${secret}`),
      parse(`show ${secret}`),
      parse(`snooze SG-3 ${secret}`),
      parse(`claim ${secret}`),
      parse(`help ${secret}`),
      parse(`restarted deploy/web with password=hunter2-ish and ${[...secret].join(' ')}`),
    ];
    for (const result of results) {
      expect(JSON.stringify(result)).not.toContain(secret);
      expect(JSON.stringify(result)).not.toContain('hunter2');
    }
    expect(results[0]).toMatchObject({ type: 'log', draft: { description: 'restarted deploy/web with [redacted] in the env' } });
    expect(extractChangeDraft(`restarted deploy/web with ${secret}`, ctx()).description).toBe('restarted deploy/web with [redacted]');
  });

  it('masks inside Slack links without breaking them', () => {
    expect(logged('read <https://x.io/?token=abc123|the doc> again').description).toBe('read the doc again');
    expect(logged('read <https://x.io/?token=abc123> again').description).toBe('read https://x.io/?token=[redacted] again');
    expect(logged(`read <https://x.io/|${secret}> again`).description).toBe('read [redacted] again');
  });
});
