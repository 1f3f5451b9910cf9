import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFixCommand, type FixCommand, type ParseContext } from '../../src/ledger/fix-command.js';
import { ResourceRef } from '../../src/ledger/model.js';
import { slackTextCodec } from '../../src/slack/text-codec.js';

const NOW = new Date('2025-06-04T10:00:00.000Z');
const CLUSTERS = ['prod-eu', 'prod-us', 'arn:aws:eks:eu-west-1:1234:cluster/prod'];
const DAY = 24 * 60 * 60 * 1000;

function context(commandName?: string): ParseContext {
  return {
    now: NOW,
    clusters: CLUSTERS,
    channelName: 'inc-4821-payments',
    codec: slackTextCodec,
    ...(commandName === undefined ? {} : { commandName }),
  };
}

const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;

/** Controls and direction marks: stripped from prose, refused in names, never handed back. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const HIDDEN = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

/** The only markup plain text keeps: user mentions and channel references. */
const KEPT_MARKUP = /<@[UW][A-Z0-9]+>|<#[CGD][A-Z0-9]+>/g;

/**
 * Text handed back (description, reason, claim target) is plain: never a `<!` (nothing that could be
 * broadcast markup), and every `<` either starts a `<@U…>`/`<#C…>` token or came from a decoded `&lt;`.
 * (Slack always sends `<` as `&lt;`; a raw `<` outside any `<…>`, which only made-up input has, is text
 * too.)
 */
function assertPlainText(text: string, input: string): void {
  expect(text).not.toContain('<!');
  const count = (s: string, part: string) => s.split(part).length - 1;
  const typed = count(text.replace(KEPT_MARKUP, ''), '<');
  const stray = count(input.replace(/<[^<>]*>/g, ''), '<');
  expect(typed).toBeLessThanOrEqual(count(input, '&lt;') + stray);
}

/** Throws (so the property fails with the reason) unless `cmd`, parsed from `input`, is well-formed. */
function assertWellFormed(cmd: FixCommand, input: string, commandName = '/fix'): void {
  switch (cmd.type) {
    case 'error':
      expect(cmd.message.trim()).not.toBe('');
      expect(cmd.example.startsWith(`${commandName} `)).toBe(true);
      return;
    case 'log': {
      const d = cmd.draft;
      expect(d.description).toBe(d.description.trim());
      expect(d.description.length).toBeGreaterThan(0);
      expect(d.description.length).toBeLessThanOrEqual(3000);
      expect(/\s{2}|\n/.test(d.description)).toBe(false);
      expect(d.description).not.toMatch(HIDDEN);
      assertPlainText(d.description, input);
      for (const r of d.resources) {
        expect(ResourceRef.safeParse(r).success).toBe(true);
        expect(r.kind).toBe(r.kind.toLowerCase());
        expect(r.name.split('.').every((l) => DNS_LABEL.test(l))).toBe(true);
        if (r.kind === 'node') expect(r.namespace).toBeUndefined();
        if (r.namespace !== undefined) expect(DNS_LABEL.test(r.namespace)).toBe(true);
      }
      if (d.cluster !== undefined) expect(CLUSTERS).toContain(d.cluster);
      for (const r of d.resources) expect(`${r.kind}/${r.name}/${r.namespace ?? ''}`).not.toMatch(HIDDEN);
      if (d.owner !== undefined) expect(d.owner).toMatch(/^[UW][A-Z0-9]+$/);
      if (d.incident !== undefined) expect(d.incident).toMatch(/^(?:INC-\d+|#\S+)$/);
      return;
    }
    case 'list':
      expect(['mine', 'all', 'overdue']).toContain(cmd.scope);
      return;
    case 'show':
    case 'codify':
    case 'reverted':
      expect(Number.isSafeInteger(cmd.id) && cmd.id > 0).toBe(true);
      return;
    case 'codified': {
      expect(cmd.id).toBeGreaterThan(0);
      const url = new URL(cmd.url);
      expect(['http:', 'https:']).toContain(url.protocol);
      expect(url.hostname).not.toBe('');
      return;
    }
    case 'dismiss':
      expect(cmd.id).toBeGreaterThan(0);
      expect(cmd.reason.trim()).not.toBe('');
      expect(cmd.reason.length).toBeLessThanOrEqual(1000);
      expect(cmd.reason).not.toMatch(HIDDEN);
      assertPlainText(cmd.reason, input);
      return;
    case 'snooze': {
      const until = Date.parse(cmd.until);
      expect(until).toBeGreaterThan(NOW.getTime());
      expect(until - NOW.getTime()).toBeLessThanOrEqual(90 * DAY);
      return;
    }
    case 'assign':
      expect(cmd.userId).toMatch(/^[UW][A-Z0-9]+$/);
      return;
    case 'claim':
      expect(cmd.id).toBeGreaterThan(0);
      if ('finding' in cmd.target) expect(cmd.target.finding).toBeGreaterThan(0);
      else expect(cmd.target.resource.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      return;
    case 'unclaim':
      if ('finding' in cmd.target) expect(cmd.target.finding).toBeGreaterThan(0);
      else expect(cmd.target.resource.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      return;
    case 'drift':
      if (cmd.cluster !== undefined) expect(cmd.cluster).not.toBe('');
      return;
    case 'help':
      if (cmd.topic !== undefined) expect(cmd.topic).not.toBe('');
      return;
    case 'open_modal':
      return;
  }
}

const grammarToken = fc.constantFrom(
  'log', 'list', 'show', 'codify', 'codified', 'reverted', 'dismiss', 'snooze', 'assign', 'claim', 'unclaim', 'drift', 'D-3', 'help', 'LIST',
  'mine', 'all', 'overdue', 'SG-12', 'sg-0', '#7', 'SG-', 'SG-x', '12', '999999999999',
  '-n', 'shop', '--namespace', '--namespace=data', '-n=', '--cluster', '--cluster=prod-eu', '--context',
  '—cluster', '@prod-eu', '@unknown', '@', 'ns/shop', 'ns/Shop', 'namespace/',
  'deploy/payments-api', 'deployment.apps/x', 'sts/db-0', 'node/ip-10-0-1-7', 'no/', '/x', 'cm/app-config',
  'rollout.argoproj.io/web', 'a/b/c', 'github.com/x', 'deploy/a,svc/b', '`deploy/web`', '(pod/x),',
  '<@U024BE7LH>', '<@U123|bob>', '<@>', '<!here>', '<!channel>', '<!subteam^S1|@sre>', '<#C123|inc-9-db>',
  '<https://github.com/acme/infra/pull/881>', '<https://x.io|label with spaces>', '<http://a.b/c|a.b/c>',
  'https://github.com/acme/infra/pull/881', 'ftp://x', 'javascript:alert(1)', 'https://u:p@h/x',
  '3d', '1w', '12h', '0h', '91d', '2 weeks', 'tomorrow', 'monday', 'next', '2025-06-20', '2024-01-01',
  '2025-02-30', '2025-06-10T09:00:00Z', 'INC-4821', 'inc-12', '&amp;', '&lt;', '&gt;', '&', '<', '>', '|',
  '*bold*', '_it_', '~s~', '```', '\n', '\t', '\u00a0', '\u200b', '🔥', 'é', '\ud800', '',
  '\u0000', '\u202e', '\u2066', '\u200f', '\u0085', 'deploy/we\u202eb', 'SG-1\u202e2', 'owner', 'for', 'owner:',
  'close', 'closed', 'revert', 'codify', 'done', 'resolve', 'fixed', 'undo', 'delete', 'cancel', 'ack',
  'reverted-SG-12', 'close-#3', '&lt;!channel&gt;', '&lt;!here', '&lt;@U1&gt;', '&amp;lt;', '&lt;#C1&gt;',
);

const soup = fc
  .array(fc.oneof(grammarToken, fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 })), {
    maxLength: 40,
  })
  .chain((tokens) =>
    fc
      .array(fc.constantFrom(' ', '  ', '\n', '\t', ''), { minLength: tokens.length, maxLength: tokens.length })
      .map((seps) => tokens.map((t, i) => `${t}${seps[i] ?? ' '}`).join('')),
  );

const anyText = fc.oneof(
  soup,
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: fc.constantFrom('<', '>', '|', '@', '!', '#', '&', ';', '/', '-', ' ', 'a', 'U1'), maxLength: 300 }),
  fc.string({ maxLength: 5000, unit: fc.constantFrom('a', ' ', 'deploy/x ', 'é', '<@U1> ', '-n s ') }),
  fc.tuple(grammarToken, fc.string({ unit: 'binary', minLength: 2900, maxLength: 5000 })).map(([k, s]) => `${k} ${s}`),
);

describe('parseFixCommand properties', () => {
  it('never throws and always returns a well-formed command or a helpful error', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        assertWellFormed(parseFixCommand(text, context()), text);
      }),
      { numRuns: 2000 },
    );
  });

  it('uses the installed command name in every example', () => {
    fc.assert(
      fc.property(soup, fc.constantFrom('/fix', '/stopgap', '/tmp-fix'), (text, name) => {
        assertWellFormed(parseFixCommand(text, context(name)), text, name);
      }),
      { numRuns: 500 },
    );
  });

  it('logs anything that does not start with a keyword, with a description of at most 3000 characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 5000 }), (tail) => {
        const cmd = parseFixCommand(`restarted ${tail}`, context());
        expect(['log', 'error']).toContain(cmd.type);
        if (cmd.type === 'log') expect(cmd.draft.description.startsWith('restarted')).toBe(true);
        if (cmd.type === 'error') expect(cmd.message).toMatch(/characters?|cluster|namespace|owners/);
      }),
      { numRuns: 300 },
    );
  });
});

describe('plain text', () => {
  it('hands back what the user typed: Slack\'s entities decoded, no `<!` markup', () => {
    const typed = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '&', '<', '>', '!', ';', 'l', 't', 'g', 'm', 'p'), minLength: 1, maxLength: 80 });
    const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    fc.assert(
      fc.property(typed, fc.constantFrom('', 'dismiss SG-4 '), (text, prefix) => {
        const input = `${prefix}restarted ${slackEscape(text)}`;
        const cmd = parseFixCommand(input, context());
        const expected = `restarted ${text}`.replace(/\s+/g, ' ').trim().replace(/<!/g, '<\u2060!');
        const got = cmd.type === 'log' ? cmd.draft.description : cmd.type === 'dismiss' ? cmd.reason : undefined;
        expect(got).toBe(expected);
        assertWellFormed(cmd, input);
      }),
      { numRuns: 1000 },
    );
  });
});

// `codify` is a subcommand (a patch), not a near miss.
const NEAR_MISS_VERBS = ['close', 'closed', 'revert', 'done', 'resolve', 'resolved', 'fixed', 'undo', 'delete', 'remove', 'cancel', 'ack'];

describe('near misses', () => {
  it('refuses `<verb> <change ID>` with a hint at the subcommand, and `log` still logs it', () => {
    const verb = fc.tuple(fc.constantFrom(...NEAR_MISS_VERBS), fc.boolean()).map(([v, upper]) => (upper ? v.toUpperCase() : v));
    const id = fc.tuple(fc.constantFrom('SG-', 'sg-', '#'), fc.integer({ min: 1, max: 999_999_999 })).map(([p, n]) => `${p}${n}`);
    const tail = fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { maxLength: 4 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(verb, id, tail, fc.constantFrom('/fix', '/stopgap', 'tmp-fix'), (v, i, t, name) => {
        const text = `${v} ${i} ${t}`;
        const cmd = parseFixCommand(text, context(name));
        const shown = name.startsWith('/') ? name : `/${name}`;
        if (cmd.type !== 'error') throw new Error(`expected an error for ${JSON.stringify(text)}: ${JSON.stringify(cmd)}`);
        expect(cmd.message).toContain(`\`${v.toLowerCase()}\` is not a ${shown} subcommand.`);
        expect(cmd.message).toContain(`\`${shown} log ${v} ${i} …\``);
        expect(cmd.example.startsWith(`${shown} `)).toBe(true);
        expect(cmd.example).toContain(`SG-${Number(i.replace(/^\D+/, ''))}`);
        expect(parseFixCommand(`log ${text}`, context(name))).toMatchObject({ type: 'log', draft: { description: text.trim() } });
      }),
      { numRuns: 500 },
    );
  });
});

const duration = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.constantFrom('h', 'd', 'w', ' days', ' weeks', 'hours', 'm', 'y')).map(
    ([n, u]) => `${n}${u}`,
  ),
  fc.integer({ min: -400, max: 400 }).map((days) => new Date(NOW.getTime() + days * DAY).toISOString().slice(0, 10)),
  fc.integer({ min: -400, max: 400 }).map((hours) => new Date(NOW.getTime() + hours * 3600_000).toISOString()),
  fc.constantFrom('tomorrow', 'next week', 'monday', 'next fri', 'SUNDAY', 'yesterday', 'today', 'soon'),
  fc.string({ maxLength: 20 }),
);

describe('subcommand arguments', () => {
  it('snoozes only into the next 90 days, and explains anything else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), duration, (id, when) => {
        const cmd = parseFixCommand(`snooze SG-${id} ${when}`, context());
        expect(['snooze', 'error']).toContain(cmd.type);
        assertWellFormed(cmd, `snooze SG-${id} ${when}`);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts only http(s) links with a host as a codifying URL', () => {
    const url = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.webUrl().map((u) => `<${u}>`),
      fc.webUrl().map((u) => `<${u}|the PR>`),
      fc.string({ maxLength: 40 }),
      fc.constantFrom('https://', 'http:///x', 'file:///etc/passwd', 'mailto:a@b.c', 'github.com/acme/x/pull/1'),
    );
    fc.assert(
      fc.property(url, (u) => {
        const cmd = parseFixCommand(`codified SG-3 ${u}`, context());
        expect(['codified', 'error']).toContain(cmd.type);
        assertWellFormed(cmd, `codified SG-3 ${u}`);
      }),
      { numRuns: 1000 },
    );
  });

  it('assigns only to a single Slack user', () => {
    const who = fc.oneof(
      fc.stringMatching(/^[UW][A-Z0-9]{2,10}$/).map((id) => `<@${id}>`),
      fc.tuple(fc.stringMatching(/^U[A-Z0-9]{2,10}$/), fc.string({ maxLength: 10 })).map(([id, n]) => `<@${id}|${n}>`),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(who, (w) => {
        const cmd = parseFixCommand(`assign SG-3 ${w}`, context());
        expect(['assign', 'error']).toContain(cmd.type);
        assertWellFormed(cmd, `assign SG-3 ${w}`);
      }),
      { numRuns: 1000 },
    );
  });
});

// Aliases as people type them, with the canonical kind and whether it lives in a namespace.
const ALIASES: Array<[string, string, boolean]> = [
  ['deploy', 'deployment', true], ['deployment', 'deployment', true], ['deployments', 'deployment', true],
  ['sts', 'statefulset', true], ['statefulset', 'statefulset', true], ['ds', 'daemonset', true],
  ['daemonset', 'daemonset', true], ['cm', 'configmap', true], ['configmap', 'configmap', true],
  ['secret', 'secret', true], ['svc', 'service', true], ['service', 'service', true], ['ing', 'ingress', true],
  ['ingress', 'ingress', true], ['hpa', 'horizontalpodautoscaler', true], ['pdb', 'poddisruptionbudget', true],
  ['cj', 'cronjob', true], ['cronjob', 'cronjob', true], ['job', 'job', true], ['pod', 'pod', true],
  ['po', 'pod', true], ['node', 'node', false], ['no', 'node', false], ['netpol', 'networkpolicy', true],
];

const dnsLabel = fc.stringMatching(/^[a-z0-9](?:[-a-z0-9]{0,10}[a-z0-9])?$/);
const dnsName = fc.array(dnsLabel, { minLength: 1, maxLength: 3 }).map((labels) => labels.join('.'));
const generatedRef = fc.record({
  alias: fc.constantFrom(...ALIASES),
  group: fc.option(fc.constantFrom('apps', 'batch', 'networking.k8s.io'), { nil: undefined }),
  name: dnsName,
  wrap: fc.constantFrom(['', ''], ['`', '`'], ['(', ')'], ['', ','], ['', '.'], ['*', '*'], ['', ':']),
});
const filler = fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { maxLength: 3 }).map((w) => w.join(' '));

describe('resource refs round-trip', () => {
  it('extracts every valid ref embedded in free text, with the namespace where it applies', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(generatedRef, filler), { minLength: 1, maxLength: 6 }),
        fc.option(dnsLabel, { nil: undefined }),
        fc.constantFrom('-n', '--namespace', 'ns/'),
        fc.boolean(),
        (parts, namespace, nsForm, nsFirst) => {
          const body = parts
            .map(([r, words]) => {
              const kind = r.group === undefined ? r.alias[0] : `${r.alias[0]}.${r.group}`;
              return `${r.wrap[0]}${kind}/${r.name}${r.wrap[1]} ${words}`;
            })
            .join(' ');
          const nsText = namespace === undefined ? '' : nsForm === 'ns/' ? `ns/${namespace}` : `${nsForm} ${namespace}`;
          const text = nsFirst ? `changed ${nsText} ${body}` : `changed ${body} ${nsText}`;
          const cmd = parseFixCommand(text, context());
          if (cmd.type !== 'log') throw new Error(`expected a log for ${JSON.stringify(text)}: ${JSON.stringify(cmd)}`);
          const anyNamespaced = parts.some(([r]) => r.alias[2]);
          for (const [r] of parts) {
            const expected: ResourceRef = { kind: r.alias[1], name: r.name };
            if (r.group !== undefined) expected.group = r.group;
            if (namespace !== undefined && r.alias[2]) expected.namespace = namespace;
            expect(cmd.draft.resources).toContainEqual(expected);
          }
          expect(cmd.draft.resources.length).toBeLessThanOrEqual(parts.length);
          // Refs stay readable in the description; a namespace nothing took is kept too.
          for (const [r] of parts) expect(cmd.draft.description).toContain(`/${r.name}`);
          if (namespace !== undefined && (!anyNamespaced || nsForm === 'ns/')) {
            expect(cmd.draft.description).toContain(namespace);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
