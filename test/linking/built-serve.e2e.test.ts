import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort, serveEnv, TEST_SIGNING_SECRET } from '../support/app.js';
import { requireBuiltCli, spawnCli, type CliProcess } from '../support/built-cli.js';
import { startFakeKube, writeKubeconfig, type FakeKube } from '../../src/demo/fake-kube.js';
import { startFakeSlack, type FakeSlack, type RecordedCall } from '../../src/demo/fake-slack.js';
import { logChangeStateValues, ownBlockActions, ownSlashCommandFields, ownViewSubmission, sendInteraction, sendSlashCommand } from '../support/slack-signing.js';
import { waitFor } from '../k8s/helpers.js';
import { desiredConfigMap, desiredDeployment, liveConfigMap, liveDeployment } from '../../src/demo/kube-objects.js';
import { kubectlEvent } from '../../src/demo/kubectl-audit.js';

const AUDIT_TOKEN = 'built-serve-audit-token-0123';

// The same story as the in-process suites, against `node dist/src/cli.js serve` in its own process: a
// change logged before its drift is linked and closes verified when the cluster is put back; drift
// nobody logged, audited as Alice's, is posted and put to her by DM.
describe('the built serve: linking, unclaimed drift, the audit nudge, verified closes', () => {
  let fake: FakeKube;
  let slack: FakeSlack;
  let server: CliProcess;
  let dir: string;
  let url: string;
  const text = (c: RecordedCall) => `${c.fields.text ?? ''}\n${JSON.stringify(c.blocks ?? '')}`;
  const query = <T,>(sql: string, ...args: unknown[]): T | undefined => {
    const db = new Database(join(dir, 'stopgap.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).get(...args) as T | undefined;
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    requireBuiltCli();
    dir = mkdtempSync(join(tmpdir(), 'stopgap-built-'));
    const manifests = join(dir, 'manifests');
    mkdirSync(manifests);
    writeFileSync(join(manifests, 'shop.yaml'), [desiredDeployment({ name: 'payments-api', replicas: 3 }), desiredConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info' } })].map((o) => stringify(o)).join('---\n'));
    fake = await startFakeKube();
    fake.put(liveDeployment({ name: 'payments-api', replicas: 3 }));
    fake.put(liveConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info' } }));
    slack = await startFakeSlack();
    writeFileSync(
      join(dir, 'stopgap.yml'),
      `defaultChannel: C0DRIFT001\naudit:\n  users: { alice@corp.example: U0ALICE01 }\nclusters:\n  - name: prod-eu\n    context: prod\n    desired: { type: directory, path: ${JSON.stringify(manifests)} }\n    kinds: [Deployment, ConfigMap]\ndrift:\n  unclaimedAfter: 1s\n  backoffInitialSeconds: 0.05\n  backoffMaxSeconds: 0.2\n  requestTimeoutSeconds: 2\n`,
    );
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = spawnCli(['serve'], {
      ...serveEnv({ slackApiUrl: slack.apiUrl, dbPath: join(dir, 'stopgap.db'), port, logLevel: 'info' }),
      STOPGAP_CONFIG: join(dir, 'stopgap.yml'),
      STOPGAP_AUDIT_TOKEN: AUDIT_TOKEN,
      KUBECONFIG: writeKubeconfig([{ name: 'prod', server: fake.url, token: fake.token }], { dir }),
    });
    await waitFor(() => (server.stdout().match(/drift kind listed/g)?.length ?? 0) >= 2 || server.child.exitCode !== null, 'first lists', 15_000);
    expect(server.child.exitCode).toBeNull();
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    if (server) await server.exited;
    await slack?.close();
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('links, posts, nudges and closes', async () => {
    const logged = await sendSlashCommand(url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: 'scaled deploy/payments-api -n shop to 12 for INC-9', user_id: 'U0ALICE01', response_url: slack.responseUrl('b1') }));
    expect(logged.status).toBe(200);
    expect(JSON.stringify(logged.json)).toContain('SG-1');

    const t = new Date(Date.now() - 1_000).toISOString();
    fake.put(liveDeployment({ name: 'payments-api', replicas: 3, liveReplicas: 12, scaledBy: { manager: 'kubectl', time: t } }));
    await waitFor(() => query<{ change_id: number }>('SELECT change_id FROM drift_links'), 'scale linked to SG-1', 10_000);

    // Drift nobody logged, which the audit log says Alice made.
    const audited = await fetch(`${url}/k8s/audit?cluster=prod-eu`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${AUDIT_TOKEN}` },
      body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: [kubectlEvent('edit', { user: 'alice@corp.example', at: t })] }),
    });
    expect(await audited.json()).toMatchObject({ stored: 1 });
    fake.put(liveConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info' }, liveData: { LOG_LEVEL: 'debug' }, editedBy: { manager: 'kubectl-edit', time: t } }));
    const post = await slack.waitForCall('chat.postMessage', (c) => c.fields.channel === 'C0DRIFT001' && text(c).includes('app-config'), 10_000);
    expect(text(post)).toContain('by <@U0ALICE01>');
    const nudge = await slack.waitForCall('chat.postMessage', (c) => c.fields.channel === 'U0ALICE01' && text(c).includes('You changed'), 10_000);
    expect(text(nudge)).toContain('ConfigMap shop/app-config');

    // Alice presses "Log it" in the DM: the form opens filled in, and the change she logs takes the drift.
    const value = /"value":"(drift-post:\d+)"/.exec(text(nudge))?.[1];
    expect(value).toBeDefined();
    const click = await sendInteraction(url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: 'drift_log_it', value, blockId: 'nudge', user: { id: 'U0ALICE01' }, container: 'view' }));
    expect(click.status).toBe(200);
    const opened = await slack.waitForCall('views.open', (c) => JSON.stringify(c.view).includes('app-config'), 10_000);
    const submit = await sendInteraction(
      url,
      TEST_SIGNING_SECRET,
      ownViewSubmission({
        callbackId: 'log_change',
        privateMetadata: (opened.view as { private_metadata: string }).private_metadata,
        user: { id: 'U0ALICE01' },
        stateValues: logChangeStateValues({ description: 'LOG_LEVEL debug while chasing INC-9', resources: 'configmap/app-config', namespace: 'shop', cluster: 'prod-eu' }),
      }),
    );
    expect(submit.status).toBe(200);
    await waitFor(() => query<{ change_id: number }>("SELECT l.change_id FROM drift_links l JOIN drift_findings f ON f.id = l.finding_id WHERE f.name = 'app-config'"), 'edit linked to SG-2', 10_000);
    expect(query("SELECT l.change_id, l.linked_by FROM drift_links l JOIN drift_findings f ON f.id = l.finding_id WHERE f.name = 'app-config'")).toEqual({ change_id: 2, linked_by: 'U0ALICE01' });

    // Put back by hand: SG-1 closes as reverted, verified.
    fake.put(liveDeployment({ name: 'payments-api', replicas: 3 }));
    await waitFor(() => query<{ status: string; verified: number }>("SELECT status, verified FROM changes WHERE id = 1 AND status = 'reverted'"), 'SG-1 reverted', 10_000);
    expect(query('SELECT status, verified FROM changes WHERE id = 1')).toEqual({ status: 'reverted', verified: 1 });
    expect(server.stdout()).not.toContain(AUDIT_TOKEN);
  });
});
