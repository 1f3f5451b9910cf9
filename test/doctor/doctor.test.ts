/**
 * `stopgap doctor` against the fake Slack and the fake Kubernetes API server: every problem named with
 * its fix, exit 0 only when all is well, and never a token in the output.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closedPort, startFakeKube, writeKubeconfig, type FakeKube } from '../../src/demo/fake-kube.js';
import { FAKE_BOT_SCOPES, startFakeSlack, type FakeSlack } from '../../src/demo/fake-slack.js';
import { BOT_SCOPES } from '../../src/doctor/slack-scopes.js';
import { requireBuiltCli, runBuiltCliAsync } from '../support/built-cli.js';
import { runCliCaptured, type CliResult } from '../support/cli.js';

const BOT_TOKEN = 'xoxb-1111-2222-doctorsecretbottoken';
const APP_TOKEN = 'xapp-1-A0STOPGAP-3333-doctorsecretapptoken';
const SIGNING_SECRET = 'doctor-signing-secret-value';

/** The bot scopes manifest.yml asks for: what an app installed from it is granted. */
const MANIFEST_SCOPES = (parse(readFileSync(fileURLToPath(new URL('../../manifest.yml', import.meta.url)), 'utf8')) as {
  oauth_config: { scopes: { bot: string[] } };
}).oauth_config.scopes.bot;

const root = mkdtempSync(join(tmpdir(), 'stopgap-doctor-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

let slack: FakeSlack;
let kube: FakeKube;
beforeAll(async () => {
  slack = await startFakeSlack();
  kube = await startFakeKube();
});
afterAll(async () => {
  await slack?.close();
  await kube?.close();
});
beforeEach(() => {
  slack.reset();
  slack.setScopes(MANIFEST_SCOPES);
  slack.setChannel('C0PLATFORM', 'platform');
  slack.setChannel('C0PAY', 'payments');
  kube.clearFaults();
});

interface Workspace {
  dir: string;
  env: Record<string, string>;
}

interface WorkspaceOptions {
  /** The clusters: entries, as YAML lines; default one cluster `prod` on the fake with a manifests directory. */
  clusters?: (kubeconfig: string) => string;
  server?: string;
  socketMode?: boolean;
}

const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata: { name: checkout, namespace: shop }
spec: { replicas: 3 }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: checkout-config, namespace: shop }
data: { LOG_LEVEL: info }
`;

/** A stopgap.yml, a kubeconfig and a manifests directory in a fresh directory, and the environment serve would run with. */
function workspace(options: WorkspaceOptions = {}): Workspace {
  const dir = join(root, `w${++n}`);
  mkdirSync(join(dir, 'manifests'), { recursive: true });
  writeFileSync(join(dir, 'manifests', 'shop.yaml'), MANIFESTS);
  const kubeconfig = writeKubeconfig([{ name: 'prod-ctx', server: options.server ?? kube.url, token: kube.token }], { dir });
  const clusters =
    options.clusters?.(kubeconfig) ??
    `  - name: prod
    context: prod-ctx
    kubeconfig: ${kubeconfig}
    desired: { type: directory, path: ./manifests }
    namespaces: [shop]
`;
  writeFileSync(
    join(dir, 'stopgap.yml'),
    `defaultChannel: C0PLATFORM
teams:
  - name: payments
    channel: C0PAY
    match: [{ namespace: pay }]
clusters:
${clusters}`,
  );
  const env: Record<string, string> = {
    STOPGAP_CONFIG: join(dir, 'stopgap.yml'),
    STOPGAP_DB: join(dir, 'data', 'stopgap.db'),
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: slack.apiUrl,
  };
  if (options.socketMode) env['SLACK_APP_TOKEN'] = APP_TOKEN;
  else env['SLACK_SIGNING_SECRET'] = SIGNING_SECRET;
  return { dir, env };
}

function problems(r: Pick<CliResult, 'stdout'>): string[] {
  return r.stdout.split('\n').filter((l) => l.trimStart().startsWith('PROBLEM'));
}

function expectNoSecrets(r: Pick<CliResult, 'stdout' | 'stderr'>): void {
  for (const secret of [BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, kube.token]) {
    expect(r.stdout).not.toContain(secret);
    expect(r.stderr).not.toContain(secret);
  }
}

async function doctor(w: Workspace, ...args: string[]): Promise<CliResult> {
  const r = await runCliCaptured(['doctor', ...args], w.env);
  expectNoSecrets(r);
  return r;
}

describe('stopgap doctor: a configuration that works', () => {
  it('passes every check, exits 0, and asks RBAC about list and watch on every configured kind in every configured namespace', async () => {
    const reviewsBefore = kube.accessReviews.length;
    const r = await doctor(workspace());
    expect(r.stderr).toBe('');
    expect(problems(r)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}ok {7}SLACK_BOT_TOKEN \(xoxb-… sha256:[0-9a-f]{8}\) is valid: @stopgap in Stopgap Test \(T0FAKE\)$/m);
    expect(r.stdout).toContain(`the bot token has all ${MANIFEST_SCOPES.length} scopes manifest.yml asks for`);
    expect(r.stdout).toContain('#platform (C0PLATFORM): the bot is a member (defaultChannel)');
    expect(r.stdout).toContain('#payments (C0PAY): the bot is a member (team payments)');
    expect(r.stdout).toContain('12 of the configured kinds served');
    expect(r.stdout).toContain('RBAC allows list and watch on all 12 kinds (namespaced kinds in shop)');
    expect(r.stdout).toMatch(/manifests: 2 objects read from .*manifests/);
    expect(r.stdout).toMatch(/All \d+ checks passed\.$/m);
    // Grouped by area, in this order.
    const areas = r.stdout.split('\n').filter((l) => /^\S/.test(l) && !l.startsWith('All'));
    expect(areas).toEqual(['Configuration', 'Slack', 'Slack channels', 'Cluster prod']);

    const reviews = kube.accessReviews.slice(reviewsBefore);
    // The 11 namespaced default kinds in namespace shop, Node cluster-wide; each for list and for watch.
    expect(reviews).toHaveLength(24);
    expect(reviews).toContainEqual({ verb: 'watch', group: 'apps', resource: 'deployments', namespace: 'shop', allowed: true });
    expect(reviews).toContainEqual({ verb: 'list', group: '', resource: 'nodes', namespace: '', allowed: true });
    expect(new Set(reviews.map((v) => v.verb))).toEqual(new Set(['list', 'watch']));
    // The channels were looked up with the bot token; nothing was posted.
    expect(slack.callsTo('conversations.info').map((c) => c.fields.channel).sort()).toEqual(['C0PAY', 'C0PLATFORM']);
    expect(slack.callsTo('chat.postMessage')).toEqual([]);
  });

  it('checks the app token in Socket Mode through apps.connections.open, without opening the socket', async () => {
    slack.respondWith('apps.connections.open', () => ({ ok: true, url: 'wss://127.0.0.1:1/never-opened' }));
    const r = await doctor(workspace({ socketMode: true }));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok {7}Socket Mode: SLACK_APP_TOKEN \(xapp-… sha256:[0-9a-f]{8}\) is valid/);
    expect(slack.callsTo('apps.connections.open').map((c) => c.token)).toEqual([APP_TOKEN]);
  });

  it('counts a public channel the bot is not in as fine while chat:write.public is granted', async () => {
    slack.setChannel('C0PAY', 'payments', { member: false });
    const r = await doctor(workspace());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('#payments (C0PAY): the bot is not a member, and posts there with chat:write.public (team payments)');
  });
});

describe('stopgap doctor: Slack problems, each named with its fix', () => {
  it('names every missing scope with why it is needed and how to fix it', async () => {
    slack.setScopes(MANIFEST_SCOPES.filter((s) => s !== 'users:read.email' && s !== 'im:write'));
    const r = await doctor(workspace());
    expect(r.code).toBe(1);
    const lines = problems(r);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/the bot token lacks the im:write scope, needed for direct messages to owners.* Fix: add im:write under OAuth & Permissions → Bot Token Scopes .*reinstall the app/);
    expect(lines[1]).toMatch(/the bot token lacks the users:read\.email scope, needed for finding who made drift by the e-mail address.* Fix: add users:read\.email .*reinstall the app/);
    expect(r.stdout).toMatch(/2 problems found; \d+ checks passed\.$/m);
  });

  it('names a channel the bot cannot post in and says to /invite the bot', async () => {
    slack.setChannel('C0PAY', 'payments', { member: false, private: true });
    const r = await doctor(workspace());
    expect(r.code).toBe(1);
    expect(problems(r)).toEqual([
      '  PROBLEM  the bot is not a member of #payments (C0PAY) (team payments), so it cannot post there. Fix: /invite @stopgap in #payments',
    ]);
  });

  it('names a public channel the bot is not in when chat:write.public is missing, besides the scope itself', async () => {
    slack.setScopes(MANIFEST_SCOPES.filter((s) => s !== 'chat:write.public'));
    slack.setChannel('C0PLATFORM', 'platform', { member: false });
    const r = await doctor(workspace());
    expect(r.code).toBe(1);
    expect(problems(r).join('\n')).toContain('the bot token lacks the chat:write.public scope');
    expect(problems(r).join('\n')).toContain('the bot is not a member of #platform (C0PLATFORM) (defaultChannel), so it cannot post there. Fix: /invite @stopgap in #platform');
  });

  it('names a channel Slack cannot find (private without the bot, or a wrong ID) and an archived one', async () => {
    slack.setChannel('C0PAY', 'payments', { error: 'channel_not_found' });
    slack.setChannel('C0PLATFORM', 'platform', { archived: true });
    const r = await doctor(workspace());
    expect(r.code).toBe(1);
    const text = problems(r).join('\n');
    expect(text).toContain('channel C0PAY (team payments) was not found: it is private and the bot is not in it, or the ID is wrong. Fix: /invite @stopgap in that channel, or correct the ID in stopgap.yml');
    expect(text).toContain('#platform (C0PLATFORM) (defaultChannel) is archived: nothing can be posted there. Fix: unarchive it');
  });

  it('names a rejected bot token (invalid_auth) and leaves the channels unchecked', async () => {
    slack.failAlways('auth.test', { error: 'invalid_auth' });
    const r = await doctor(workspace());
    expect(r.code).toBe(1);
    expect(problems(r)).toHaveLength(1);
    expect(problems(r)[0]).toMatch(
      /SLACK_BOT_TOKEN \(xoxb-… sha256:[0-9a-f]{8}\) was rejected: Slack answered invalid_auth\. Fix: copy the Bot User OAuth Token \(xoxb-\.\.\.\) from the app's OAuth & Permissions page into SLACK_BOT_TOKEN/,
    );
    expect(r.stdout).toContain('2 configured channels not checked: the bot token must work first');
    expect(slack.callsTo('conversations.info')).toEqual([]);
  });

  it('names an app token without connections:write, and one Slack rejects', async () => {
    slack.respondWith('apps.connections.open', () => ({ ok: false, error: 'missing_scope', needed: 'connections:write' }));
    let r = await doctor(workspace({ socketMode: true }));
    expect(r.code).toBe(1);
    expect(problems(r)[0]).toMatch(/SLACK_APP_TOKEN \(xapp-… sha256:[0-9a-f]{8}\) lacks the connections:write scope Socket Mode needs\. Fix: under Basic Information → App-Level Tokens/);
    slack.respondWith('apps.connections.open', () => ({ ok: false, error: 'invalid_auth' }));
    r = await doctor(workspace({ socketMode: true }));
    expect(problems(r)[0]).toMatch(/SLACK_APP_TOKEN \(xapp-… sha256:[0-9a-f]{8}\) was rejected: Slack answered invalid_auth/);
  });

  it('names a Slack that does not answer, within the timeout', async () => {
    const dead = await closedPort();
    const w = workspace();
    w.env['SLACK_API_URL'] = `http://127.0.0.1:${dead}/api/`;
    const r = await doctor(w);
    expect(r.code).toBe(1);
    expect(problems(r)[0]).toMatch(/cannot check SLACK_BOT_TOKEN at http:\/\/127\.0\.0\.1:\d+\/api\/: Slack could not be reached .*Fix: check the network/);
  });
});

describe('stopgap doctor: cluster problems, each named with its fix', () => {
  it('names each kind and verb RBAC denies, with where and what to grant', async () => {
    kube.denyAccess({ resource: 'deployments', verb: 'watch' });
    kube.denyAccess({ resource: 'configmaps', namespace: 'shop' });
    const r = await doctor(workspace());
    expect(r.code).toBe(1);
    expect(problems(r)).toEqual([
      '  PROBLEM  RBAC denies watch on Deployment (deployments.apps) in namespace shop: its drift cannot be watched. Fix: grant get, list and watch on deployments.apps to the identity of kubeconfig context prod-ctx (a Role and RoleBinding in shop, or a ClusterRole)',
      '  PROBLEM  RBAC denies list and watch on ConfigMap (configmaps) in namespace shop: its drift cannot be watched. Fix: grant get, list and watch on configmaps to the identity of kubeconfig context prod-ctx (a Role and RoleBinding in shop, or a ClusterRole)',
    ]);
  });

  it('names RBAC denied cluster-wide for a cluster-scoped kind, and in all namespaces when none are configured', async () => {
    kube.denyAccess({ resource: 'nodes', verb: 'list' });
    kube.denyAccess({ resource: 'secrets', verb: 'watch' });
    const r = await doctor(
      workspace({
        clusters: (kubeconfig) => `  - name: prod
    context: prod-ctx
    kubeconfig: ${kubeconfig}
    kinds: [Secret, Node]
`,
      }),
    );
    expect(r.code).toBe(1);
    expect(problems(r).map((l) => l.split(': its drift')[0])).toEqual([
      '  PROBLEM  RBAC denies watch on Secret (secrets) in all namespaces',
      '  PROBLEM  RBAC denies list on Node (nodes) cluster-wide',
    ]);
    expect(problems(r)[1]).toContain('(a ClusterRole and ClusterRoleBinding)');
  });

  it('names a cluster that is down (nothing listening) and finishes at once', async () => {
    const dead = await closedPort();
    const started = performance.now();
    const r = await doctor(workspace({ server: `http://127.0.0.1:${dead}` }));
    const took = performance.now() - started;
    expect(r.code).toBe(1);
    expect(problems(r)).toEqual([
      `  PROBLEM  the API server at http://127.0.0.1:${dead} cannot be used: GET /api on http://127.0.0.1:${dead}: ECONNREFUSED. Fix: check that the cluster is up and reachable from here (VPN, firewall, proxy) and that the kubeconfig context points at it`,
    ]);
    // The manifests are still checked: one broken part never hides another.
    expect(r.stdout).toMatch(/manifests: 2 objects read/);
    expect(took).toBeLessThan(5_000);
  });

  it('names a kind the cluster does not serve', async () => {
    const r = await doctor(
      workspace({
        clusters: (kubeconfig) => `  - name: prod
    context: prod-ctx
    kubeconfig: ${kubeconfig}
    kinds: [Deployment, argoproj.io/v1alpha1/Rollout]
`,
      }),
    );
    expect(r.code).toBe(1);
    expect(problems(r)).toEqual([
      `  PROBLEM  the cluster does not serve argoproj.io/v1alpha1/Rollout. Fix: correct "kinds" in cluster prod's entry (e.g. apps/v1/Deployment), or install its CRD`,
    ]);
    expect(r.stdout).toContain('RBAC allows list and watch on the one kind');
  });

  it('names a review the API server does not answer, within --timeout', async () => {
    kube.inject('selfsubjectaccessreviews', { type: 'stall', times: Number.POSITIVE_INFINITY });
    const started = performance.now();
    const r = await doctor(workspace(), '--timeout', '1');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(r.code).toBe(1);
    expect(problems(r)).toEqual([
      '  PROBLEM  cannot check RBAC with SelfSubjectAccessReview: no answer within 1 s. Fix: check that the cluster answers (see above) and that this identity may create selfsubjectaccessreviews (every authenticated user may, by default)',
    ]);
  });

  it('names a manifests directory that does not exist, and one that is a file', async () => {
    const w = workspace({
      clusters: (kubeconfig) => `  - name: prod
    context: prod-ctx
    kubeconfig: ${kubeconfig}
    desired: { type: directory, path: ./no-such-dir }
  - name: stage
    context: prod-ctx
    kubeconfig: ${kubeconfig}
    desired: { type: directory, path: ./manifests/shop.yaml }
`,
    });
    const r = await doctor(w);
    expect(r.code).toBe(1);
    expect(problems(r)).toEqual([
      `  PROBLEM  the manifests directory ${join(w.dir, 'no-such-dir')} cannot be read (ENOENT). Fix: point desired.path of cluster prod at a readable directory (a relative path is read from stopgap.yml's directory)`,
      `  PROBLEM  the manifests directory ${join(w.dir, 'manifests', 'shop.yaml')} cannot be read (ENOTDIR). Fix: point desired.path of cluster stage at a readable directory (a relative path is read from stopgap.yml's directory)`,
    ]);
  });

  it('names each manifest that does not parse, with its file and line, and an empty directory', async () => {
    const w = workspace({
      clusters: (kubeconfig) => `  - name: prod
    context: prod-ctx
    kubeconfig: ${kubeconfig}
    desired: { type: directory, path: ./manifests }
  - name: stage
    context: prod-ctx
    kubeconfig: ${kubeconfig}
    desired: { type: directory, path: ./empty }
`,
    });
    writeFileSync(join(w.dir, 'manifests', 'broken.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x\n');
    mkdirSync(join(w.dir, 'empty'));
    const r = await doctor(w);
    expect(r.code).toBe(1);
    const lines = problems(r);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`PROBLEM {2}manifest ${join(w.dir, 'manifests', 'broken.yaml').replace(/[.]/g, '\\.')}:\\d+: .+ Fix: correct the file`));
    expect(lines[1]).toContain(`the manifests directory ${join(w.dir, 'empty')} holds no Kubernetes objects: nothing would be compared. Fix: point desired.path at manifests`);
    // The file that parses still counts.
    expect(r.stdout).toMatch(/manifests: 2 objects read from/);
  });
});

describe('stopgap doctor: the command line', () => {
  it('--help prints the help and calls neither Slack nor a cluster', async () => {
    const before = kube.requests.length;
    const r = await doctor(workspace(), '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: stopgap doctor [--timeout SECONDS]');
    expect(slack.calls).toEqual([]);
    expect(kube.requests.length).toBe(before);
  });

  it('exits 2 naming each missing setting, as serve does, and checks nothing', async () => {
    const w = workspace();
    delete w.env['SLACK_BOT_TOKEN'];
    const r = await doctor(w);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('stopgap doctor: cannot continue:');
    expect(r.stderr).toContain('SLACK_BOT_TOKEN: not set');
    expect(slack.calls).toEqual([]);
  });

  it('exits 2 on a --timeout that is not a positive number of seconds', async () => {
    const r = await doctor(workspace(), '--timeout', 'soon');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("stopgap doctor: --timeout must be a number of seconds above 0 and at most 600, not 'soon'. Run 'stopgap doctor --help'.\n");
  });

  it('is listed by stopgap help', async () => {
    const r = await runCliCaptured(['help']);
    expect(r.stdout).toMatch(/^ {2}doctor {5}stopgap doctor/m);
  });
});

describe('stopgap doctor, built, in its own process', () => {
  let blackHole: Server;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    requireBuiltCli();
    // Accepts connections and never answers: a cluster behind a firewall that drops the replies.
    blackHole = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  });
  afterEach(() => {
    for (const s of sockets) s.destroy();
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => blackHole.close(() => resolve()));
  });

  it('names a cluster that never answers within --timeout and exits 1 instead of hanging', async () => {
    const address = blackHole.address() as { port: number };
    const w = workspace({ server: `http://127.0.0.1:${address.port}` });
    const started = performance.now();
    const r = await runBuiltCliAsync(['doctor', '--timeout', '1'], w.env);
    const took = performance.now() - started;
    expectNoSecrets(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(problems(r)).toEqual([
      `  PROBLEM  the API server at http://127.0.0.1:${address.port} cannot be used: GET /api on http://127.0.0.1:${address.port}: no response for 1000 ms. Fix: check that the cluster is up and reachable from here (VPN, firewall, proxy) and that the kubeconfig context points at it`,
    ]);
    // Well under the default 10 s timeout: --timeout was honoured, and nothing kept the process alive.
    expect(took).toBeLessThan(9_000);
  });

  it('exits 0 on a configuration that works', async () => {
    const r = await runBuiltCliAsync(['doctor'], workspace().env);
    expectNoSecrets(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/All \d+ checks passed\./);
  });
});

describe('the scopes doctor checks', () => {
  it('are exactly the bot scopes manifest.yml asks for, each with a reason', () => {
    expect(BOT_SCOPES.map((s) => s.scope).sort()).toEqual([...MANIFEST_SCOPES].sort());
    // The fake workspace's app was installed from the same manifest.
    expect([...FAKE_BOT_SCOPES].sort()).toEqual([...MANIFEST_SCOPES].sort());
    for (const s of BOT_SCOPES) expect(s.why.length).toBeGreaterThan(10);
  });

  it("are each explained in the README's install guide, and no other", () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const section = readme.slice(readme.indexOf('## Connect a Slack workspace'), readme.indexOf('### Checking it: `stopgap doctor`'));
    const rows = [...section.matchAll(/^\| `([a-z:.]+)` \| .+ \|$/gm)].map((m) => m[1]);
    expect(rows.sort()).toEqual(BOT_SCOPES.map((s) => s.scope).sort());
  });
});
