/**
 * `stopgap config check` and `stopgap config schema`: the check names every problem with its path and
 * line through the loader serve uses; the schema, generated from the same zod definitions, accepts the
 * project's example configurations and rejects a broken one, as an editor would with ajv.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli.js';
import { REPO_ROOT } from '../support/built-cli.js';
import { configFiles } from '../support/config-file.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const BROKEN = `admins: [bob]
defaultDueDays: 0
clusters:
  - name: prod
    desired: { type: directory }
  - context: staging
nagging:
  every: 5 minutes
  workingDays: [mon, funday]
retention:
  scanRuns: 2d
shutdownTimeout: forever
bogus: 1
teams:
  - name: payments
    channel: C0PAYMENTS
`;

/** Every problem BROKEN has, as `line: path: what`. */
const EXPECTED = [
  /^1: admins\[0\]: a Slack user ID looks like U024BE7LH/,
  /^2: defaultDueDays: Too small/,
  /^5: clusters\[0\]\.desired\.path: required$/,
  /^6: clusters\[1\]\.name: required$/,
  /^8: nagging\.every: '5 minutes' is not a duration/,
  /^9: nagging\.workingDays\[1\]: /,
  /^11: retention\.scanRuns: keep scan runs at least 7d$/,
  /^12: shutdownTimeout: 'forever' is not a duration/,
  /^13: bogus: unknown key; check its spelling/,
  /^15: teams\[0\]\.match: required$/,
];

function examples(): { name: string; config: unknown }[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const block = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  const out = [{ name: 'README.md', config: parse(block ?? 'missing') as unknown }];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry === 'stopgap.yml') out.push({ name: path.slice(REPO_ROOT.length), config: parse(readFileSync(path, 'utf8')) as unknown });
    }
  };
  walk(join(REPO_ROOT, 'deploy'));
  return out;
}

describe('stopgap config schema', () => {
  it('prints a draft-07 JSON Schema that accepts every example stopgap.yml and rejects a broken one', async () => {
    const r = await runCliCaptured(['config', 'schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const all = examples();
    expect(all.map((e) => e.name)).toContain('README.md');
    expect(all.length, 'the deploy/ examples are checked too').toBeGreaterThan(1);
    for (const { name, config } of all) expect(validate(config), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    expect(validate({})).toBe(true);
    expect(validate(parse(BROKEN))).toBe(false);
    const paths = (validate.errors ?? []).map((e) => e.instancePath);
    for (const p of ['/admins/0', '/defaultDueDays', '/clusters/0/desired', '/clusters/1', '/nagging/every']) expect(paths, p).toContain(p);
    expect(validate.errors?.some((e) => e.keyword === 'additionalProperties' && e.params.additionalProperty === 'bogus')).toBe(true);
  });

  it('describes durations as people write them and knows the lifecycle keys', async () => {
    const schema = JSON.parse((await runCliCaptured(['config', 'schema'])).stdout) as { properties: Record<string, { properties?: Record<string, unknown> }> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['clusters', 'teams', 'nagging', 'digest', 'audit', 'drift', 'retention', 'shutdownTimeout']));
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(validate({ retention: { scanRuns: '30d', resolvedFindings: '12w' }, shutdownTimeout: '20s', nagging: { every: '1d' } })).toBe(true);
  });
});

describe('stopgap config check', () => {
  const { load } = configFiles();
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-config-check-'));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('names every problem with its line and path, and exits 2', async () => {
    const path = file('broken.yml', BROKEN);
    const r = await runCliCaptured(['config', 'check', '--config', path]);
    expect(r.code).toBe(2);
    const lines = r.stdout.trimEnd().split('\n');
    const problems = lines.map((l) => {
      expect(l.startsWith(`${path}:`), l).toBe(true);
      return l.slice(path.length + 1);
    });
    for (const pattern of EXPECTED) expect(problems.filter((p) => pattern.test(p)), String(pattern)).toHaveLength(1);
    expect(problems).toHaveLength(EXPECTED.length);
    expect(r.stderr).toContain(`${path} has ${EXPECTED.length} problems`);
  });

  it('accepts a valid file, read from STOPGAP_CONFIG as serve reads it', async () => {
    const path = file('ok.yml', 'clusters:\n  - name: prod\nteams:\n  - { name: pay, channel: C0PAYMENTS, match: [{ namespace: pay }] }\nretention: { scanRuns: 30d }\n');
    const r = await runCliCaptured(['config', 'check'], { STOPGAP_CONFIG: path });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(`OK: ${path} is valid (1 cluster, 1 team)\n`);
    expect(load('retention: { scanRuns: 30d }\n').retention).toEqual({ scanRuns: 30 * 86_400_000, resolvedFindings: 90 * 86_400_000 });
    expect(load('').shutdownTimeout).toBe(10_000);
  });

  it('reports every YAML syntax error with its line and column', async () => {
    const path = file('syntax.yml', 'admins: [U024BE7LH]\nadmins: []\nclusters: [\n');
    const r = await runCliCaptured(['config', 'check', '--config', path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(new RegExp(`^${path}:2:1: not valid YAML: Map keys must be unique`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^${path}:4:1: not valid YAML: `, 'm'));
  });

  it('says what to do with no file, a missing file, or a wrong action', async () => {
    expect(await runCliCaptured(['config', 'check'])).toMatchObject({ code: 2, stderr: "stopgap config: no file to check: give --config FILE or set STOPGAP_CONFIG. Run 'stopgap config --help'.\n" });
    const missing = await runCliCaptured(['config', 'check', '--config', join(dir, 'nope.yml')]);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toContain('nope.yml (no such file)');
    expect((await runCliCaptured(['config', 'lint'])).stderr).toContain("unknown action 'lint'; 'check' or 'schema'");
    expect((await runCliCaptured(['config'])).code).toBe(2);
    const help = await runCliCaptured(['config', 'check', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: stopgap config check [--config FILE]');
  });
});
