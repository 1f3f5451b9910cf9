import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCliCaptured } from '../support/cli.js';
import type { Harness } from '../k8s/helpers.js';
import { harness } from '../k8s/helpers.js';
import { liveDeployment } from '../../src/demo/kube-objects.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

function scan(clusters: Record<string, unknown>[]) {
  const config = join(h.dir, 'stopgap.yml');
  writeFileSync(config, stringify({ clusters }));
  return runCliCaptured(['scan'], { STOPGAP_DB: join(h.dir, 'cli.db'), STOPGAP_CONFIG: config });
}

function prod(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'prod', context: 'fake', kubeconfig: h.kubeconfig, kinds: ['Deployment', 'Secret'], ...extra };
}

describe('stopgap scan never says "No drift found" about what it could not scan', () => {
  it('a kind that could not be listed: says the scan is incomplete, names the kind, exits 2', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    h.fake.inject('secrets', { type: 'status', code: 403, on: 'any', times: 100 });
    const r = await scan([prod()]);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toMatch(/no drift found/i);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('Incomplete scan: no drift in what was scanned, but 1 kind could not be scanned and may hide drift:');
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^Cluster prod: Secret was not scanned: .*(403|forbidden)/i)]);
  });

  it('a cluster that could not be reached: says the scan is incomplete, names the cluster, exits 2', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    const r = await scan([prod({ name: 'broken', context: 'dead' }), prod()]);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toMatch(/no drift found/i);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('Incomplete scan: no drift in what was scanned, but 1 cluster could not be scanned and may hide drift:');
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^Cluster broken was not scanned: /)]);
  });

  it('a complete scan without drift still says "No drift found." and exits 0', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    const r = await scan([prod()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('No drift found.\n');
  });
});
