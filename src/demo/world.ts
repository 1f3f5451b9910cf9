/**
 * The demo's simulated world: a small shop on a simulated Kubernetes API server (the fake the tests
 * use, on loopback), its manifests directory as desired state, Slack's Web API played by a local fake
 * whose calls the console renders, and the real `serve` wiring (Bolt app, ledger, scanner, linker,
 * reminders, digest) on a temporary database, driven by a clock the demo advances. People act as Slack
 * and kubectl would make them: signed HTTP requests into the app, objects changed on the API server
 * with their managedFields, and the API server's audit events posted to the audit webhook.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import type { KubeObject } from '../drift/types.js';
import type { Names } from './console.js';
import { startServer, type Server } from '../main.js';
import { startFakeKube, writeKubeconfig } from './fake-kube.js';
import { startFakeSlack, type FakeSlack, type RecordedCall } from './fake-slack.js';
import { desiredConfigMap, desiredDeployment, desiredNode, desiredSecret, liveConfigMap, liveDeployment, liveNode, liveSecret } from './kube-objects.js';
import { kubectlEvent } from './kubectl-audit.js';
import { waitFor as waitUntil } from './wait.js';
import { LOG_CHANGE_BLOCK_IDS, LOG_CHANGE_CALLBACK_ID } from '../slack/views/log-change-modal.js';
import { ownBlockActions, ownSlashCommandFields, ownViewSubmission, sendInteraction, sendSlashCommand, type SlackHttpResponse } from './slack-requests.js';

/** The demo's own credentials: random per run, never a real workspace's. */
const SIGNING_SECRET = `demo-signing-${Math.random().toString(36).slice(2)}`;
const BOT_TOKEN = `xoxb-demo-${Math.random().toString(36).slice(2)}`;
const AUDIT_TOKEN = `demo-audit-${Math.random().toString(36).slice(2)}-token`;

export const INCIDENT_CHANNEL = { id: 'C0INC4821', name: 'inc-4821-checkout' } as const;
export const PLATFORM_CHANNEL = { id: 'C0PLATFORM', name: 'platform' } as const;

export interface Person {
  id: string;
  name: string;
  email: string;
  tz: string;
}

export const PEOPLE = {
  alice: { id: 'U0ALICE01', name: 'alice', email: 'alice@shop.example', tz: 'Europe/Berlin' },
  bob: { id: 'U0BOB0001', name: 'bob', email: 'bob@shop.example', tz: 'Europe/London' },
} as const satisfies Record<string, Person>;

/** The demo's people and channels by name, as the console shows them. */
export const DEMO_NAMES: Names = {
  users: Object.fromEntries(Object.values(PEOPLE).map((p) => [p.id, p.name])),
  channels: { [INCIDENT_CHANNEL.id]: INCIDENT_CHANNEL.name, [PLATFORM_CHANNEL.id]: PLATFORM_CHANNEL.name },
};

/** A clock that runs with real time from a chosen start, and jumps when the demo says days pass. */
export interface DemoClock {
  now(): Date;
  /** Moves the clock forward to `at` (never back). */
  jumpTo(at: Date): void;
}

export function demoClock(start: Date): DemoClock {
  const realStart = Date.now();
  let offset = start.getTime() - realStart;
  return {
    now: () => new Date(Date.now() + offset),
    jumpTo: (at) => {
      offset = Math.max(offset, at.getTime() - Date.now());
    },
  };
}

/** The shop's desired state: what the manifests directory declares. */
interface Shop {
  /** Replicas per Deployment. */
  replicas: Record<string, number>;
  /** The `api` container's image per Deployment. */
  images: Record<string, string>;
  configData: Record<string, string>;
}

/** What people changed by hand on a Deployment, and with which field manager when. */
interface LiveDeployment {
  replicas?: number;
  image?: string;
  scaledBy?: { manager: string; time: string };
  imageSetBy?: { manager: string; time: string };
}

/** The names in the simulated shop, for commands and completion. */
export interface ShopNames {
  namespace: string;
  deployments: readonly string[];
  /** The one container each Deployment runs. */
  container: string;
  configMaps: readonly string[];
  nodes: readonly string[];
}

/** The node Bob cordons. */
export const NODE = 'ip-10-0-1-7';
const NODES = [NODE, 'ip-10-0-1-8'];
/** The shop's one ConfigMap. */
const CONFIG_MAP = 'checkout-config';

export interface DemoWorld {
  readonly dir: string;
  readonly dbPath: string;
  readonly server: Server;
  readonly slack: FakeSlack;
  readonly clock: DemoClock;
  /** kubectl as a person runs it: the object changes on the API server, and the audit log says who. */
  kubectl: {
    scale(who: Person, deployment: string, replicas: number): Promise<void>;
    setImage(who: Person, deployment: string, image: string): Promise<void>;
    edit(who: Person, configMap: string, key: string, value: string): Promise<void>;
    cordon(who: Person, node: string): Promise<void>;
    uncordon(who: Person, node: string): Promise<void>;
  };
  /** A merge in the GitOps repository: the manifests directory changes. */
  git: {
    setReplicas(deployment: string, replicas: number): void;
    setImage(deployment: string, image: string): void;
    setConfig(configMap: string, key: string, value: string): void;
  };
  /** The names of what exists in the shop. */
  readonly names: ShopNames;
  /** `/fix <text>` typed by a person in the incident channel; resolves with Slack's HTTP answer. */
  fix(who: Person, text: string): Promise<SlackHttpResponse>;
  /** A button or menu on a message the bot sent (a DM or a channel post), pressed by a person. */
  press(who: Person, call: RecordedCall, actionId: string, choice?: string): Promise<SlackHttpResponse>;
  /**
   * Submits a form the bot opened for a person: `text` goes into its main input (the description of
   * "Log a change", the only input of the others; a choice's label or value for a menu), `more` into
   * other inputs by block id; the rest is submitted as the form showed it.
   */
  submitForm(who: Person, opened: RecordedCall, text: string, more?: Record<string, string>): Promise<SlackHttpResponse>;
  /** Runs what the schedules would run at the clock's time: drift posts and nudges, reminders (decided and sent), and the digest when asked. */
  tick(opts?: { digest?: boolean; reminders?: boolean }): Promise<void>;
  /**
   * Time passes until `at`: the schedules run as serve's would, on every hour boundary crossed and at
   * `at` itself (drift posts and nudges, reminders decided and sent, the digest when one is due).
   */
  advance(at: Date): Promise<void>;
  /** Resolves once `check` returns a value, polling; rejects after `timeoutMs` naming `what`. */
  waitFor<T>(check: () => T | undefined | false | null, what: string, timeoutMs?: number): Promise<T>;
  close(opts?: { keepDatabase?: boolean }): Promise<void>;
}

interface Option {
  text: { text: string };
  value: string;
}

interface InputBlock {
  type: string;
  block_id?: string;
  optional?: boolean;
  element?: { type: string; action_id: string; initial_value?: string; initial_option?: Option; initial_user?: string; initial_date?: string; options?: Option[] };
}

const HOUR_MS = 3_600_000;

type FormState = Record<string, Record<string, Record<string, unknown>>>;

/** One input's state as Slack submits it: `typed` over it when given, else its initial value. */
function inputState(element: NonNullable<InputBlock['element']>, typed?: string): Record<string, unknown> | string {
  switch (element.type) {
    case 'plain_text_input':
    case 'url_text_input':
      return { value: typed ?? element.initial_value ?? null };
    case 'datepicker':
      return { selected_date: typed ?? element.initial_date ?? null };
    case 'users_select':
      return { selected_user: typed ?? element.initial_user ?? null };
    case 'static_select': {
      if (typed === undefined) return { selected_option: element.initial_option ?? null };
      const want = typed.toLowerCase();
      const option = element.options?.find((o) => o.value.toLowerCase() === want || o.text.text.toLowerCase().includes(want));
      if (!option) return `'${typed}' is not one of ${(element.options ?? []).map((o) => o.text.text).join(', ') || 'its choices'}`;
      return { selected_option: option };
    }
    default:
      return {};
  }
}

/** A form as Slack submits it, with `typed` values (by block id) over what it showed; or what cannot be typed. */
function fillForm(blocks: readonly InputBlock[], typed: Record<string, string>): FormState | string {
  const state: FormState = {};
  for (const b of blocks) {
    const e = b.element;
    if (b.type !== 'input' || !b.block_id || !e) continue;
    const value = inputState(e, typed[b.block_id]);
    if (typeof value === 'string') return value;
    state[b.block_id] = { [e.action_id]: { type: e.type, ...value } };
  }
  return state;
}

export async function startDemoWorld(opts: { start: Date }): Promise<DemoWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-demo-'));
  const manifests = join(dir, 'manifests');
  const dbPath = join(dir, 'stopgap.db');
  const configPath = join(dir, 'stopgap.yml');
  const clock = demoClock(opts.start);
  const shop: Shop = {
    replicas: { checkout: 3, 'payments-api': 2 },
    images: { checkout: 'registry.example.com/checkout:1.0.0', 'payments-api': 'registry.example.com/payments-api:1.0.0' },
    configData: { LOG_LEVEL: 'info', EXPRESS_PAY: 'enabled' },
  };
  const secretData = { STRIPE_KEY: 'sk_live_demo_not_a_real_key_4242' };

  const writeManifests = () => {
    const objects: KubeObject[] = [
      ...Object.entries(shop.replicas).map(([name, replicas]) => desiredDeployment({ name, replicas, image: shop.images[name] })),
      desiredConfigMap({ name: CONFIG_MAP, data: shop.configData }),
      desiredSecret({ name: 'checkout-keys', data: secretData }),
      ...NODES.map((n) => desiredNode(n)),
    ];
    writeFileSync(join(manifests, 'shop.yaml'), objects.map((o) => stringify(o)).join('---\n'));
  };
  mkdirSync(manifests, { recursive: true });
  writeManifests();
  // The manifests are a git checkout, as in real life, so a codify patch says plainly how to apply it
  // (without git on the machine, it asks where the directory sits in the repository instead).
  spawnSync('git', ['init', '-q'], { cwd: manifests, stdio: 'ignore' });

  const kube = await startFakeKube();
  // The live cluster as it was applied: no drift yet.
  const liveDeployments: Record<string, LiveDeployment> = {};
  const putDeployment = (name: string) => {
    const l = liveDeployments[name] ?? {};
    kube.put(
      liveDeployment({
        name,
        replicas: shop.replicas[name],
        image: shop.images[name],
        ...(l.replicas !== undefined ? { liveReplicas: l.replicas } : {}),
        ...(l.image !== undefined ? { liveImage: l.image } : {}),
        ...(l.scaledBy ? { scaledBy: l.scaledBy } : {}),
        ...(l.imageSetBy ? { imageSetBy: l.imageSetBy } : {}),
      }),
    );
  };
  for (const name of Object.keys(shop.replicas)) putDeployment(name);
  kube.put(liveConfigMap({ name: CONFIG_MAP, data: shop.configData }));
  kube.put(liveSecret({ name: 'checkout-keys', data: secretData }));
  for (const n of NODES) kube.put(liveNode(n));
  const kubeconfig = writeKubeconfig([{ name: 'shop-prod', server: kube.url, token: kube.token }], { dir });

  const slack = await startFakeSlack();
  slack.setChannel(INCIDENT_CHANNEL.id, INCIDENT_CHANNEL.name);
  slack.setChannel(PLATFORM_CHANNEL.id, PLATFORM_CHANNEL.name);
  for (const p of Object.values(PEOPLE)) slack.setUser(p.id, { name: p.name, realName: p.name[0]?.toUpperCase() + p.name.slice(1), tz: p.tz, email: p.email });

  writeFileSync(
    configPath,
    stringify({
      defaultChannel: INCIDENT_CHANNEL.id,
      audit: { users: Object.fromEntries(Object.values(PEOPLE).map((p) => [p.email, p.id])) },
      nagging: { escalateTo: PLATFORM_CHANNEL.id },
      clusters: [
        {
          name: 'shop-prod',
          context: 'shop-prod',
          kubeconfig,
          desired: { type: 'directory', path: manifests },
          kinds: ['Deployment', 'ConfigMap', 'Secret', 'Node'],
        },
      ],
      // Desired state is read again at every resync: each second here, so a merged PR shows at once.
      drift: { resyncSeconds: 1, backoffInitialSeconds: 0.05, backoffMaxSeconds: 0.5, requestTimeoutSeconds: 5 },
    }),
  );
  const logs = new PassThrough();
  const logFile = join(dir, 'stopgap.log');
  logs.pipe(createWriteStream(logFile));
  const server = await startServer({
    env: {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      PORT: '0',
      STOPGAP_DB: dbPath,
      STOPGAP_CONFIG: configPath,
      STOPGAP_AUDIT_TOKEN: AUDIT_TOKEN,
      LOG_LEVEL: 'info',
    },
    logDestination: logs,
    now: clock.now,
    schedules: false,
  });
  const url = `http://127.0.0.1:${server.port}`;
  let responses = 0;

  const waitFor = <T>(check: () => T | undefined | false | null, what: string, timeoutMs = 8_000): Promise<T> =>
    waitUntil(check, what, timeoutMs).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; the log is at ${logFile}`);
    });
  const audit = async (event: Record<string, unknown>) => {
    const res = await fetch(`${url}/k8s/audit?cluster=shop-prod`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${AUDIT_TOKEN}` },
      body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: [event] }),
    });
    if (res.status !== 200) throw new Error(`the audit webhook answered ${res.status}: ${await res.text()}`);
  };
  const at = () => clock.now().toISOString();
  let liveConfig = { ...shop.configData };

  return {
    dir,
    dbPath,
    server,
    slack,
    clock,
    names: { namespace: 'shop', deployments: Object.keys(shop.replicas), container: 'api', configMaps: [CONFIG_MAP], nodes: NODES },
    kubectl: {
      async scale(who, deployment, replicas) {
        const time = at();
        liveDeployments[deployment] = { ...liveDeployments[deployment], replicas, scaledBy: { manager: 'kubectl', time } };
        putDeployment(deployment);
        await audit(kubectlEvent('scale', { user: who.email, at: time, name: deployment, replicas }));
      },
      async setImage(who, deployment, image) {
        const time = at();
        liveDeployments[deployment] = { ...liveDeployments[deployment], image, imageSetBy: { manager: 'kubectl-set', time } };
        putDeployment(deployment);
        await audit(kubectlEvent('set-image', { user: who.email, at: time, name: deployment, image }));
      },
      async edit(who, configMap, key, value) {
        const time = at();
        liveConfig = { ...liveConfig, [key]: value };
        kube.put(liveConfigMap({ name: configMap, data: shop.configData, liveData: liveConfig, editedBy: { manager: 'kubectl-edit', time } }));
        await audit(kubectlEvent('edit', { user: who.email, at: time, name: configMap, data: { [key]: value } }));
      },
      async cordon(who, node) {
        const time = at();
        kube.put(liveNode(node, { manager: 'kubectl-cordon', time }));
        await audit(kubectlEvent('cordon', { user: who.email, at: time, name: node }));
      },
      async uncordon(who, node) {
        const time = at();
        kube.put(liveNode(node));
        await audit({ ...kubectlEvent('cordon', { user: who.email, at: time, name: node }), requestObject: { spec: { unschedulable: null } } });
      },
    },
    git: {
      setReplicas(deployment, replicas) {
        shop.replicas[deployment] = replicas;
        writeManifests();
      },
      setImage(deployment, image) {
        shop.images[deployment] = image;
        writeManifests();
      },
      setConfig(_configMap, key, value) {
        shop.configData = { ...shop.configData, [key]: value };
        writeManifests();
      },
    },
    fix: (who, text) =>
      sendSlashCommand(
        url,
        SIGNING_SECRET,
        ownSlashCommandFields({ text, user_id: who.id, user_name: who.name, channel_id: INCIDENT_CHANNEL.id, channel_name: INCIDENT_CHANNEL.name, response_url: slack.responseUrl(`fix-${++responses}`) }),
      ),
    press: (who, call, actionId, choice) => {
      const blocks = (call.blocks ?? []) as { block_id?: string; elements?: { action_id?: string; value?: string; options?: { value: string; text: unknown }[] }[] }[];
      for (const block of blocks) {
        for (const element of block.elements ?? []) {
          if (element.action_id !== actionId) continue;
          const option = choice === undefined ? undefined : element.options?.find((o) => o.value.endsWith(` ${choice}`) || o.value === choice);
          if (choice !== undefined && !option) throw new Error(`no choice '${choice}' on ${actionId}`);
          return sendInteraction(
            url,
            SIGNING_SECRET,
            ownBlockActions({
              actionId,
              ...(element.value !== undefined ? { value: element.value } : {}),
              ...(block.block_id ? { blockId: block.block_id } : {}),
              user: { id: who.id, name: who.name },
              channel: { id: call.fields.channel ?? INCIDENT_CHANNEL.id },
              container: 'message',
              messageTs: call.fields.ts ?? String(call.at / 1000),
              responseUrl: slack.responseUrl(`press-${++responses}`),
              ...(option ? { element: { type: 'static_select', selected_option: option } } : {}),
              messageBlocks: blocks,
            }),
          );
        }
      }
      throw new Error(`no ${actionId} on that message`);
    },
    submitForm: async (who, opened, text, more = {}) => {
      const view = opened.view as { private_metadata?: string; callback_id?: string; blocks?: InputBlock[] };
      const blocks = view.blocks ?? [];
      const inputs = blocks.filter((b) => b.type === 'input' && b.block_id);
      const main = view.callback_id === LOG_CHANGE_CALLBACK_ID ? LOG_CHANGE_BLOCK_IDS.description : inputs[0]?.block_id;
      const state = fillForm(blocks, { ...(main ? { [main]: text } : {}), ...more });
      if (typeof state === 'string') throw new Error(state);
      return sendInteraction(
        url,
        SIGNING_SECRET,
        ownViewSubmission({
          callbackId: view.callback_id ?? LOG_CHANGE_CALLBACK_ID,
          ...(view.private_metadata !== undefined ? { privateMetadata: view.private_metadata } : {}),
          user: { id: who.id, name: who.name },
          stateValues: state,
        }),
      );
    },
    async tick(tickOpts = {}) {
      if (tickOpts.digest) await server.digests.runDue();
      if (tickOpts.reminders === false) return;
      // As the schedule runs them, once a minute: three minutes' worth.
      for (let minute = 0; minute < 3; minute++) {
        if (minute > 0) clock.jumpTo(new Date(clock.now().getTime() + 60_000));
        await server.syncDriftNotices();
        await server.reminders.tick();
        await server.reminders.send();
      }
    },
    async advance(to) {
      for (let t = clock.now().getTime(); t < to.getTime(); ) {
        t = Math.min(to.getTime(), (Math.floor(t / HOUR_MS) + 1) * HOUR_MS);
        clock.jumpTo(new Date(t));
        await server.syncDriftNotices();
        await server.reminders.tick();
        await server.reminders.send();
        await server.digests.runDue({ update: false });
      }
    },
    waitFor,
    async close(closeOpts = {}) {
      await server.stop();
      await slack.close();
      await kube.close();
      logs.end();
      if (!closeOpts.keepDatabase) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Each change in the demo's ledger as the summary shows it: id, owner's name, status, verified. */
export interface ChangeRow {
  key: string;
  owner: string;
  status: string;
  verified: boolean;
  description: string;
}

export function changeRows(world: DemoWorld): ChangeRow[] {
  const rows: ChangeRow[] = [];
  for (let id = 1; id <= world.server.ledger.count(); id++) {
    const c = world.server.ledger.get(id);
    if (c) rows.push({ key: c.key, owner: DEMO_NAMES.users[c.owner] ?? c.owner, status: c.status, verified: c.verified, description: c.description });
  }
  return rows;
}

export function formatChangeRow(c: ChangeRow): string {
  return `  ${c.key.padEnd(5)} ${c.status.padEnd(9)} ${c.verified ? 'verified  ' : 'unverified'} @${c.owner.padEnd(6)} ${c.description}`;
}
