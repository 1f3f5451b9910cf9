import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runScan } from '../../src/commands/scan.js';
import type { CliIo } from '../../src/commands/io.js';
import { runCliCaptured } from '../support/cli.js';
import { kubectlEvent } from '../../src/demo/kubectl-audit.js';
import { listActiveFindings, listResolvedFindings } from '../../src/store/findings-store.js';
import { openMigratedDb } from '../../src/store/db.js';
import type { Harness } from './helpers.js';
import { harness } from './helpers.js';
import { desiredSecret, liveConfigMap, liveDeployment, liveSecret } from '../../src/demo/kube-objects.js';

const SCALED = { manager: 'kubectl', time: '2025-03-02T09:58:00Z' };

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

function config(value: unknown): string {
  const path = join(h.dir, 'stopgap.yml');
  writeFileSync(path, typeof value === 'string' ? value : stringify(value));
  return path;
}

async function scan(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: CliIo = { stdout, stderr, env: { STOPGAP_DB: join(h.dir, 'cli.db'), ...env } };
  const code = await runScan(argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function prod(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'prod', context: 'fake', kubeconfig: h.kubeconfig, kinds: ['Deployment', 'Secret'], ...extra };
}

describe('stopgap scan', () => {
  it('exits 2 and says how to configure a cluster when none is configured', async () => {
    const r = await scan([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No clusters configured');
    expect(r.stderr).toContain('STOPGAP_CONFIG');
    expect(r.stderr).toContain('--context');
  });

  it('exits 2 with one line per configuration problem', async () => {
    const path = config({ clusters: [{ name: 'prod', desired: { type: 'git' } }], drift: { pageSize: -1 } });
    const r = await scan([], { STOPGAP_CONFIG: path });
    expect(r.code).toBe(2);
    const problems = r.stderr.split('\n').filter((l) => l.startsWith('  - '));
    expect(problems).toEqual([
      expect.stringContaining('clusters[0].desired.type'),
      expect.stringContaining('drift.pageSize'),
    ]);
  });

  it('reads its settings as serve and migrate do: the same problems, named the same way', async () => {
    const env = { STOPGAP_CONFIG: config({ admins: ['bob'], clusters: [prod()] }), PORT: 'eighty' };
    const r = await scan([], env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const migrate = await runCliCaptured(['migrate'], { STOPGAP_DB: join(h.dir, 'cli.db'), ...env });
    expect(migrate.code).toBe(2);
    expect(r.stderr).toBe(migrate.stderr.replace('stopgap migrate:', 'stopgap scan:'));
    expect(r.stderr).toContain('  - PORT: ');
    expect(r.stderr).toMatch(new RegExp(`  - ${env.STOPGAP_CONFIG}:\\d+: admins\\[0\\]: a Slack user ID looks like U024BE7LH`));

    const missing = await scan([], { STOPGAP_CONFIG: join(h.dir, 'nope.yml') });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`STOPGAP_CONFIG: cannot read ${join(h.dir, 'nope.yml')} (ENOENT)`);
  });

  it('exits 2 with one line naming an unknown option or a stray argument', async () => {
    for (const [argv, problem] of [
      [['--all'], "unknown option '--all'"],
      [['prod'], "unexpected argument 'prod'"],
      [['--json=yes'], '--json takes no value'],
      [['--context'], '--context needs a value'],
    ] as const) {
      const r = await scan([...argv]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`stopgap scan: ${problem}. Run 'stopgap scan --help'.\n`);
    }
  });

  it('exits 0 when every cluster is in sync, with a progress line per cluster and kind', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    const r = await scan([], { STOPGAP_CONFIG: config({ clusters: [prod()] }) });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('No drift found.');
    expect(r.stderr).toMatch(/^scan prod: apps\/v1\/Deployment: 1 objects, 0 findings/m);
    expect(r.stderr).toMatch(/^scan prod: v1\/Secret: 0 objects, 0 findings/m);
  });

  it('exits 1 and prints a table of findings with manager and time when drift is found', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    const r = await scan([], { STOPGAP_CONFIG: config({ clusters: [prod()] }) });
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CLUSTER\s+OBJECT\s+PATH\s+DESIRED\s+LIVE\s+MANAGER\s+WHEN$/);
    expect(lines[1]).toMatch(/^prod\s+Deployment\.apps\/web -n shop\s+\/spec\/replicas\s+3\s+8\s+kubectl \(manual\)\s+2025-03-02T09:58:00Z$/);
    expect(lines.at(-1)).toBe('1 finding.');
  });

  it('prints findings as JSON with --json, Secret values only as fingerprints', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    const secret = { name: 'db', data: { password: 'desired-S3cret' }, liveData: { password: 'live-S3cret' }, editedBy: { manager: 'kubectl-edit', time: SCALED.time } };
    const live = liveSecret(secret);
    (live['metadata'] as Record<string, unknown>)['annotations'] = {
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(desiredSecret(secret)),
    };
    h.fake.put(live);
    const r = await scan(['--json'], { STOPGAP_CONFIG: config({ clusters: [prod()] }) });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { inSync: boolean; complete: boolean; clusters: unknown[]; findings: Record<string, unknown>[] };
    expect(out.inSync).toBe(false);
    expect(out.complete).toBe(true);
    expect(out.clusters).toEqual([expect.objectContaining({ name: 'prod', ok: true, error: null })]);
    expect(out.findings).toEqual([
      expect.objectContaining({ kind: 'Secret', name: 'db', path: '/data/password', sensitive: true, manager: 'kubectl-edit', live: expect.stringMatching(/^hmac-sha256:/) }),
      expect.objectContaining({
        cluster: 'prod',
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
        namespace: 'shop',
        name: 'web',
        path: '/spec/replicas',
        difference: 'changed',
        desired: 3,
        live: 8,
        manager: 'kubectl',
        time: SCALED.time,
        managerClass: 'manual',
      }),
    ]);
    for (const text of [r.stdout, r.stderr]) {
      expect(text).not.toContain('live-S3cret');
      expect(text).not.toContain(Buffer.from('live-S3cret').toString('base64'));
    }
  });

  it('names who made a finding in --json when the audit log reported the write', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    const path = config({ clusters: [prod()] });
    const log = join(h.dir, 'audit.log');
    writeFileSync(log, `${JSON.stringify(kubectlEvent('scale', { user: 'alice@corp.example', at: '2025-03-02T09:57:59Z', name: 'web' }))}\n`);
    expect((await runCliCaptured(['audit', 'ingest', log, '--cluster', 'prod'], { STOPGAP_DB: join(h.dir, 'cli.db'), STOPGAP_CONFIG: path })).code).toBe(0);
    const r = await scan(['--json'], { STOPGAP_CONFIG: path });
    const out = JSON.parse(r.stdout) as { findings: Record<string, unknown>[] };
    expect(out.findings).toEqual([expect.objectContaining({ path: '/spec/replicas', person: { username: 'alice@corp.example', via: null } })]);
  });

  it('reports a broken cluster on stderr and in the output, still scans the others, and exits 2', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    const path = config({ clusters: [prod({ name: 'broken', context: 'dead' }), prod()] });
    const r = await scan(['--json'], { STOPGAP_CONFIG: path });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^scan broken: FAILED: .*ECONNREFUSED/m);
    const out = JSON.parse(r.stdout) as { complete: boolean; clusters: { name: string; ok: boolean; error: { code: string } | null }[]; findings: { cluster: string }[] };
    expect(out.complete).toBe(false);
    expect(out.clusters.map((c) => [c.name, c.ok, c.error?.code ?? null])).toEqual([
      ['broken', false, 'cluster_unreachable'],
      ['prod', true, null],
    ]);
    expect(out.findings.map((f) => f.cluster)).toEqual(['prod']);

    const human = await scan([], { STOPGAP_CONFIG: path });
    expect(human.code).toBe(2);
    expect(human.stdout).toContain('Cluster broken was not scanned');
    expect(human.stdout).toContain('/spec/replicas');
  });

  it('--context scans only the cluster using that context', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    const path = config({ clusters: [prod({ name: 'broken', context: 'dead' }), prod()] });
    const r = await scan(['--context', 'fake'], { STOPGAP_CONFIG: path });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('broken');
  });

  it('--context with no configured cluster scans that kubeconfig context ad hoc', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    const r = await scan(['--context=fake', '--json'], { KUBECONFIG: h.kubeconfig });
    // Default kinds: every one the fake serves is scanned.
    expect(r.stderr).toMatch(/^scan fake: v1\/Node: 0 objects/m);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { findings: { cluster: string }[] }).findings.map((f) => f.cluster)).toEqual(['fake']);
  });

  it('exits 2 with one line naming the problem for an empty or unusable --context', async () => {
    for (const argv of [['--context='], ['--context', ''], ['--context', '!!!']]) {
      const r = await scan(argv, { KUBECONFIG: h.kubeconfig });
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^stopgap scan: --context/);
      expect(r.stderr).not.toMatch(/ZodError|"code"|invalid_string|\bat /);
    }
    const r = await scan(['--context', '!!!'], { KUBECONFIG: h.kubeconfig });
    expect(r.stderr).toContain('"!!!"');
    expect(r.stderr).toContain('stopgap.yml');
  });

  it('--context names an ad hoc cluster after the context, dropping characters a name cannot hold', async () => {
    const r = await scan(['--context', 'fake', '--json'], { KUBECONFIG: h.kubeconfig });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { clusters: { name: string }[] }).clusters.map((c) => c.name)).toEqual(['fake']);
  });

  it('prints and exits only on what this pass scanned: findings of kinds and namespaces removed from config are cleared', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    h.fake.put(liveConfigMap({ name: 'flags', namespace: 'staging', data: { a: '1' }, liveData: { a: '2' }, editedBy: SCALED }));
    const all = await scan([], { STOPGAP_CONFIG: config({ clusters: [prod({ kinds: ['Deployment', 'ConfigMap'] })] }) });
    expect(all.code).toBe(1);
    expect(all.stdout).toContain('2 findings.');

    // Deployment leaves the config: only the ConfigMap drift is news, the Deployment finding is over.
    const configMaps = await scan(['--json'], { STOPGAP_CONFIG: config({ clusters: [prod({ kinds: ['ConfigMap'] })] }) });
    expect(configMaps.code).toBe(1);
    expect((JSON.parse(configMaps.stdout) as { findings: { kind: string }[] }).findings.map((f) => f.kind)).toEqual(['ConfigMap']);

    // And staging leaves it too: nothing left to report, exit 0, for good.
    const shopOnly = config({ clusters: [prod({ kinds: ['ConfigMap'], namespaces: ['shop'] })] });
    for (let i = 0; i < 2; i++) {
      const r = await scan([], { STOPGAP_CONFIG: shopOnly });
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('No drift found.');
    }
    const db = openMigratedDb(join(h.dir, 'cli.db'));
    try {
      expect(listActiveFindings(db)).toEqual([]);
      expect(listResolvedFindings(db, new Date(0)).map((f) => [f.ref.kind, f.resolution]).sort()).toEqual([
        ['ConfigMap', 'cleared'],
        ['Deployment', 'cleared'],
      ]);
    } finally {
      db.close();
    }
  });

  it('reads a relative kubeconfig path from the config file directory', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 8, scaledBy: SCALED }));
    const r = await scan([], { STOPGAP_CONFIG: config({ clusters: [prod({ kubeconfig: './kubeconfig.yaml' })] }) });
    expect(r.stderr).not.toContain('FAILED');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('/spec/replicas');
  });
});
