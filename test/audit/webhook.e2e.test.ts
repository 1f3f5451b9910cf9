import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startTestApp, type TestApp } from '../support/app.js';
import { kubectlEvent } from '../../src/demo/kubectl-audit.js';

const TOKEN = 'audit-token-0123456789abcdef';
const EU_TOKEN = 'eu-only-token-0123456789abcdef';

// `POST /k8s/audit` on the running app, as kube-apiserver's webhook backend calls it.
describe('the Kubernetes audit webhook', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      env: { STOPGAP_AUDIT_TOKEN: TOKEN },
      config: `
clusters:
  - name: prod-eu
    context: nowhere
    auditToken: ${EU_TOKEN}
    kinds: [Deployment, ConfigMap, Node]
  - name: prod-us
    context: nowhere
    kinds: [Deployment, Secret]
audit:
  automationUsers: ['argocd-*']
  maxBodyBytes: 200000
drift:
  backoffInitialSeconds: 5
`,
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const post = (body: string | object, opts: { token?: string | null; query?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${app.url}/k8s/audit${opts.query ?? ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(opts.token === null ? {} : { authorization: `Bearer ${opts.token ?? TOKEN}` }), ...opts.headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const stored = () => app.server.db.prepare('SELECT cluster, audit_id, verb, resource, name, subresource, username, impersonated, field_manager FROM audit_events ORDER BY id').all();
  const list = (items: unknown[]) => ({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });

  it('refuses a missing or wrong token with 401 and stores nothing', async () => {
    expect((await post(list([kubectlEvent('scale')]), { token: null, query: '?cluster=prod-eu' })).status).toBe(401);
    expect((await post(list([kubectlEvent('scale')]), { token: 'x'.repeat(28), query: '?cluster=prod-eu' })).status).toBe(401);
    // prod-eu's own token is not prod-us's.
    expect((await post(list([kubectlEvent('scale')]), { token: EU_TOKEN, query: '?cluster=prod-us' })).status).toBe(401);
    expect(stored()).toEqual([]);
  });

  it('refuses an unknown cluster, an unnamed one when several share a token, malformed JSON and oversized bodies', async () => {
    expect((await post(list([kubectlEvent('scale')]), { query: '?cluster=mars' })).status).toBe(404);
    const unnamed = await post(list([kubectlEvent('scale')]));
    expect(unnamed.status).toBe(400);
    expect(await unnamed.text()).toContain('?cluster=NAME');
    expect((await post('{"items": [', { query: '?cluster=prod-eu' })).status).toBe(400);
    const big = list(Array.from({ length: 400 }, () => ({ ...kubectlEvent('scale'), padding: 'x'.repeat(1_000) })));
    expect((await post(big, { query: '?cluster=prod-eu' })).status).toBe(413);
    // A batch cut short: as JSON it is malformed (400); on the wire, the sender hangs up mid-body.
    const whole = JSON.stringify(list([kubectlEvent('scale'), kubectlEvent('edit')]));
    expect((await post(whole.slice(0, Math.floor(whole.length / 2)), { query: '?cluster=prod-eu' })).status).toBe(400);
    const { connect } = await import('node:net');
    const { port } = new URL(app.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`POST /k8s/audit?cluster=prod-eu HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${whole.length}\r\n\r\n${whole.slice(0, 100)}`);
        setImmediate(() => socket.destroy());
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    // Still serving, and nothing of any of it was stored.
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect(stored()).toEqual([]);
  });

  it('keeps the manual writes of a batch once, whatever the redeliveries, and answers what it did', async () => {
    const batch = list([
      kubectlEvent('scale', { auditId: 'a-1' }),
      kubectlEvent('edit', { auditId: 'a-2' }),
      { ...kubectlEvent('scale', { auditId: 'a-3' }), verb: 'get' },
      kubectlEvent('scale', { auditId: 'a-4', user: 'argocd-application-controller' }),
      { ...kubectlEvent('cordon', { auditId: 'a-5', user: 'system:admin' }), impersonatedUser: { username: 'bob@corp.example' } },
    ]);
    const first = await post(batch, { query: '?cluster=prod-eu' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ events: 5, kept: 3, stored: 3, skipped: 0 });
    const again = await post(batch, { query: '?cluster=prod-eu' });
    expect(await again.json()).toEqual({ events: 5, kept: 3, stored: 0, skipped: 0 });
    // The cluster's own token names the cluster without a parameter; out-of-order delivery is fine.
    const late = await post(list([kubectlEvent('set-image', { auditId: 'a-0', at: '2026-11-30T03:00:00Z' })]), { token: EU_TOKEN });
    expect(await late.json()).toMatchObject({ stored: 1 });
    expect(stored()).toEqual([
      { cluster: 'prod-eu', audit_id: 'a-1', verb: 'patch', resource: 'deployments', name: 'payments-api', subresource: 'scale', username: 'alice@corp.example', impersonated: null, field_manager: null },
      { cluster: 'prod-eu', audit_id: 'a-2', verb: 'patch', resource: 'configmaps', name: 'app-config', subresource: null, username: 'alice@corp.example', impersonated: null, field_manager: 'kubectl-edit' },
      { cluster: 'prod-eu', audit_id: 'a-5', verb: 'patch', resource: 'nodes', name: 'ip-10-0-1-7', subresource: null, username: 'system:admin', impersonated: 'bob@corp.example', field_manager: null },
      { cluster: 'prod-eu', audit_id: 'a-0', verb: 'patch', resource: 'deployments', name: 'checkout', subresource: null, username: 'alice@corp.example', impersonated: null, field_manager: 'kubectl-set' },
    ]);
    // Bodies are never stored, only the fields they changed: the scale's response (a Scale with its status) is gone.
    app.server.db.pragma('wal_checkpoint(TRUNCATE)');
    const dump = JSON.stringify(app.server.db.prepare('SELECT * FROM audit_events').all());
    expect(dump).not.toContain('autoscaling/v1');
    const changed = (id: string) => app.server.db.prepare("SELECT changed_json AS c FROM audit_events WHERE audit_id = ?").pluck().get(id);
    expect(JSON.parse(changed('a-1') as string)).toEqual([{ path: '/spec/replicas', value: '12' }]);
    expect(JSON.parse(changed('a-2') as string)).toEqual([{ path: '/data/LOG_LEVEL', value: '"debug"' }]);
    expect(JSON.parse(changed('a-0') as string)).toEqual([{ path: '/spec/template/spec/containers/name=api/image', value: '"registry.example.com/checkout:0.9.7"' }]);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/stopgap_audit_batches_total\{outcome="accepted"\} 3/);
    expect(metrics).toMatch(/stopgap_audit_batches_total\{outcome="refused_401"\} 3/);
  });

  it('keeps nothing of a Secret\'s data, or of any request or response body', async () => {
    const value = 'hunter2-db-password';
    const secret = {
      ...kubectlEvent('edit', { auditId: 's-1' }),
      requestURI: '/api/v1/namespaces/shop/secrets/db?fieldManager=kubectl-edit',
      objectRef: { resource: 'secrets', namespace: 'shop', name: 'db', apiVersion: 'v1' },
      requestObject: { data: { password: Buffer.from(value).toString('base64') }, stringData: { password: value } },
      responseObject: { kind: 'Secret', metadata: { name: 'db' }, data: { password: Buffer.from(value).toString('base64') } },
    };
    // Secrets are not among prod-eu's watched kinds; a credential-named ConfigMap key is kept as a fingerprint.
    const configMap = { ...kubectlEvent('edit', { auditId: 's-2' }), requestObject: { data: { DB_PASSWORD: value } } };
    expect(await (await post(list([secret, configMap]), { query: '?cluster=prod-eu' })).json()).toMatchObject({ kept: 1, stored: 1 });
    // prod-us watches Secrets: the write is kept, its changed fields named, their values only fingerprints.
    expect(await (await post(list([secret]), { query: '?cluster=prod-us' })).json()).toMatchObject({ kept: 1, stored: 1 });
    const fields = JSON.parse(app.server.db.prepare("SELECT changed_json FROM audit_events WHERE cluster = 'prod-us' AND audit_id = 's-1'").pluck().get() as string) as { path: string; value: string }[];
    expect(fields.map((f) => f.path)).toEqual(['/data/password', '/stringData/password']);
    for (const f of fields) expect(f.value).toMatch(/^hmac-sha256:[0-9a-f]{16}$/);
    app.server.db.pragma('wal_checkpoint(TRUNCATE)');
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(app.dbPath);
    expect(bytes.includes(Buffer.from(value))).toBe(false);
    expect(bytes.includes(Buffer.from(Buffer.from(value).toString('base64')))).toBe(false);
    expect(app.logs()).not.toContain(value);
  });

  it('never logs the tokens', () => {
    expect(app.logs()).not.toContain(TOKEN);
    expect(app.logs()).not.toContain(EU_TOKEN);
  });
});

describe('the audit webhook on its own port (audit.port)', () => {
  let app: TestApp;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    app = await startTestApp({ env: { STOPGAP_AUDIT_TOKEN: TOKEN }, config: `clusters:\n  - name: prod-eu\n    context: nowhere\ndrift:\n  backoffInitialSeconds: 5\naudit:\n  port: ${port}\n` });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('answers there, and not beside Slack\'s endpoint', async () => {
    const send = (base: string) =>
      fetch(`${base}/k8s/audit`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify([kubectlEvent('scale', { auditId: 'p-1' })]) });
    const own = await send(`http://127.0.0.1:${port}`);
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ stored: 1 });
    expect((await send(app.url)).status).toBe(404);
  });
});
