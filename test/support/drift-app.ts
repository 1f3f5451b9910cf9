/**
 * `serve` watching one cluster (`prod-eu`, a fake API server) whose desired state is a manifests
 * directory, as the linking tests need it: the app started once the first lists are in, a way to rewrite
 * the manifests (a merge in git), and `/fix` over signed HTTP.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import type { KubeObject } from '../../src/drift/types.js';
import { startTestApp, TEST_SIGNING_SECRET, type TestApp } from './app.js';
import { startFakeKube, writeKubeconfig, type FakeKube } from '../../src/demo/fake-kube.js';
import { ownSlashCommandFields, sendSlashCommand } from './slack-signing.js';
import { waitFor } from '../k8s/helpers.js';

export interface DriftApp {
  app: TestApp;
  fake: FakeKube;
  /** Replaces the manifests directory's contents with these objects. */
  writeManifests(objects: KubeObject[]): void;
  /** Sends `/fix <text>` as `user`; returns the answer's text and blocks as one string. */
  fix(text: string, user?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startDriftApp(opts: {
  desired: KubeObject[];
  live: KubeObject[];
  /** stopgap.yml lines before `clusters:` (teams, defaultChannel, admins). */
  top?: string;
  /** Lines under `drift:` besides the fast back-off the tests need. */
  drift?: string;
  /** Kinds watched; default Deployment and ConfigMap. */
  kinds?: string[];
  /** More environment for serve (an audit token). */
  env?: Record<string, string>;
  /** serve's clock (reminders, the ledger's times); the real one by default. */
  now?: () => Date;
}): Promise<DriftApp> {
  const kinds = opts.kinds ?? ['Deployment', 'ConfigMap'];
  const manifests = mkdtempSync(join(tmpdir(), 'stopgap-manifests-'));
  const writeManifests = (objects: KubeObject[]) => writeFileSync(join(manifests, 'manifests.yaml'), objects.map((o) => stringify(o)).join('---\n'));
  writeManifests(opts.desired);
  const fake = await startFakeKube();
  for (const o of opts.live) fake.put(o);
  const app = await startTestApp({
    ...(opts.now ? { now: opts.now } : {}),
    env: { KUBECONFIG: writeKubeconfig([{ name: 'prod', server: fake.url, token: fake.token }]), ...opts.env },
    config: `
${opts.top ?? ''}
clusters:
  - name: prod-eu
    context: prod
    desired: { type: directory, path: ${JSON.stringify(manifests)} }
    kinds: [${kinds.join(', ')}]
drift:
  backoffInitialSeconds: 0.05
  backoffMaxSeconds: 0.2
  requestTimeoutSeconds: 2
${(opts.drift ?? '').split('\n').map((l) => `  ${l.trim()}`).join('\n')}
`,
  });
  // The watch is up once the first list of each kind is in.
  await waitFor(() => (app.logs().match(/drift kind listed/g)?.length ?? 0) >= kinds.length, 'first lists');
  let seq = 0;
  return {
    app,
    fake,
    writeManifests,
    fix: async (text, user = 'U0ALICE01') => {
      const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text, user_id: user, response_url: app.slack.responseUrl(`drift-${++seq}`) }));
      expect(res.status).toBe(200);
      const body = (res.json ?? {}) as { text?: string; blocks?: unknown };
      return `${body.text ?? ''}\n${JSON.stringify(body.blocks ?? '')}`;
    },
    close: async () => {
      await app.stop();
      await fake.close();
      rmSync(manifests, { recursive: true, force: true });
    },
  };
}
