/**
 * The demo's simulated world: a small shop on a simulated Kubernetes API server (the fake the tests
 * use, on loopback), its manifests directory as desired state, Slack's Web API played by a local fake
 * whose calls the console renders, and the real `serve` wiring (Bolt app, ledger, scanner, linker,
 * reminders, digest) on a temporary database, driven by a clock the demo advances. People act as Slack
 * and kubectl would make them: signed HTTP requests into the app, objects changed on the API server
 * with their managedFields, and the API server's audit events posted to the audit webhook.
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import type { KubeObject } from '../drift/types.js';
import { startServer, type Server } from '../main.js';
import { startFakeKube, writeKubeconfig } from './fake-kube.js';
import { startFakeSlack, type FakeSlack, type RecordedCall } from './fake-slack.js';
import { desiredConfigMap, desiredDeployment, desiredNode, desiredSecret, liveConfigMap, liveDeployment, liveNode, liveSecret } from './kube-objects.js';
import { kubectlEvent } from './kubectl-audit.js';
import { waitFor as waitUntil } from './wait.js';
import { LOG_CHANGE_ACTION_ID, LOG_CHANGE_BLOCK_IDS } from '../slack/views/log-change-modal.js';
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
  configData: Record<string, string>;
}

/** The node Bob cordons. */
export const NODE = 'ip-10-0-1-7';

export interface DemoWorld {
  readonly dir: string;
  readonly dbPath: string;
  readonly server: Server;
  readonly slack: FakeSlack;
  readonly clock: DemoClock;
  /** kubectl as a person runs it: the object changes on the API server, and the audit log says who. */
  kubectl: {
    scale(who: Person, deployment: string, replicas: number): Promise<void>;
    edit(who: Person, configMap: string, key: string, value: string): Promise<void>;
    cordon(who: Person, node: string): Promise<void>;
    uncordon(who: Person, node: string): Promise<void>;
  };
  /** A merge in the GitOps repository: the manifests directory changes. */
  git: { setReplicas(deployment: string, replicas: number): void };
  /** `/fix <text>` typed by a person in the incident channel; resolves with Slack's HTTP answer. */
  fix(who: Person, text: string): Promise<SlackHttpResponse>;
  /** A button or menu on a message the bot sent (a DM or a channel post), pressed by a person. */
  press(who: Person, call: RecordedCall, actionId: string, choice?: string): Promise<SlackHttpResponse>;
  /** Submits the "log a change" form the bot opened for a person, with what they typed. */
  submitLogForm(who: Person, opened: RecordedCall, values: { description: string; incident?: string }): Promise<SlackHttpResponse>;
  /** Runs what the schedules would run at the clock's time: drift posts and nudges, reminders (decided and sent), and the digest when asked. */
  tick(opts?: { digest?: boolean; reminders?: boolean }): Promise<void>;
  /** Resolves once `check` returns a value, polling; rejects after `timeoutMs` naming `what`. */
  waitFor<T>(check: () => T | undefined | false | null, what: string, timeoutMs?: number): Promise<T>;
  close(opts?: { keepDatabase?: boolean }): Promise<void>;
}

interface InputBlock {
  type: string;
  block_id?: string;
  element?: { type: string; action_id: string; initial_value?: string; initial_option?: unknown; initial_user?: string; initial_date?: string };
}

const typed = (value: string) => ({ [LOG_CHANGE_ACTION_ID]: { type: 'plain_text_input', value } });

/** A form's state as Slack submits it when nobody changed it: each input's initial value. */
function stateOf(blocks: readonly InputBlock[]): Record<string, Record<string, Record<string, unknown>>> {
  const state: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const b of blocks) {
    const e = b.element;
    if (b.type !== 'input' || !b.block_id || !e) continue;
    const value =
      e.type === 'plain_text_input'
        ? { value: e.initial_value ?? null }
        : e.type === 'static_select'
          ? { selected_option: e.initial_option ?? null }
          : e.type === 'users_select'
            ? { selected_user: e.initial_user ?? null }
            : e.type === 'datepicker'
              ? { selected_date: e.initial_date ?? null }
              : {};
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
  const shop: Shop = { replicas: { checkout: 3, 'payments-api': 2 }, configData: { LOG_LEVEL: 'info', EXPRESS_PAY: 'enabled' } };
  const secretData = { STRIPE_KEY: 'sk_live_demo_not_a_real_key_4242' };

  const writeManifests = () => {
    const objects: KubeObject[] = [
      ...Object.entries(shop.replicas).map(([name, replicas]) => desiredDeployment({ name, replicas })),
      desiredConfigMap({ name: 'checkout-config', data: shop.configData }),
      desiredSecret({ name: 'checkout-keys', data: secretData }),
      desiredNode(NODE),
      desiredNode('ip-10-0-1-8'),
    ];
    writeFileSync(join(manifests, 'shop.yaml'), objects.map((o) => stringify(o)).join('---\n'));
  };
  mkdirSync(manifests, { recursive: true });
  writeManifests();

  const kube = await startFakeKube();
  // The live cluster as it was applied: no drift yet.
  for (const [name, replicas] of Object.entries(shop.replicas)) kube.put(liveDeployment({ name, replicas }));
  kube.put(liveConfigMap({ name: 'checkout-config', data: shop.configData }));
  kube.put(liveSecret({ name: 'checkout-keys', data: secretData }));
  kube.put(liveNode(NODE));
  kube.put(liveNode('ip-10-0-1-8'));
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
    kubectl: {
      async scale(who, deployment, replicas) {
        const time = at();
        kube.put(liveDeployment({ name: deployment, replicas: shop.replicas[deployment], liveReplicas: replicas, scaledBy: { manager: 'kubectl', time } }));
        await audit(kubectlEvent('scale', { user: who.email, at: time, name: deployment, replicas }));
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
    submitLogForm: (who, opened, values) => {
      const view = opened.view as { private_metadata?: string; callback_id?: string; blocks?: InputBlock[] };
      return sendInteraction(
        url,
        SIGNING_SECRET,
        ownViewSubmission({
          callbackId: view.callback_id ?? 'log_change',
          ...(view.private_metadata !== undefined ? { privateMetadata: view.private_metadata } : {}),
          user: { id: who.id, name: who.name },
          // What Slack sends: every input as the form showed it, with what the person typed over it.
          stateValues: {
            ...stateOf(view.blocks ?? []),
            [LOG_CHANGE_BLOCK_IDS.description]: typed(values.description),
            ...(values.incident ? { [LOG_CHANGE_BLOCK_IDS.incident]: typed(values.incident) } : {}),
          },
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
