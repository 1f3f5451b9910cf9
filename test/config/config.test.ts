import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FileConfig, loadConfig, loadFileConfig, loadServeConfig } from '../../src/config/config.js';
import { StopgapError } from '../../src/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function file(content: string): string {
  const d = mkdtempSync(join(tmpdir(), 'stopgap-cfg-'));
  dirs.push(d);
  const p = join(d, 'stopgap.yml');
  writeFileSync(p, content);
  return p;
}
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StopgapError);
    return (err as StopgapError).message.split('\n');
  }
  throw new Error('expected a configuration error');
}

describe('configuration', () => {
  it('the stopgap.yml example in the README is valid', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const parsed = FileConfig.safeParse(parse(block as string));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(parsed.data?.clusters[0]?.name).toBe('prod-eu');
  });

  it('defaults everything when no file is given', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, dbPath: './data/stopgap.db', logLevel: 'info' });
    expect(c.file).toMatchObject({ admins: [], defaultDueDays: 7, clusters: [] });
    expect(c.file.drift.trustedManagers).toEqual(['kube-controller-manager']);
  });

  it('picks HTTP mode with a signing secret and Socket Mode with an app token', () => {
    expect(loadServeConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'abcdefghij' }).slack.mode).toBe('http');
    expect(loadServeConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-A-1' }).slack.mode).toBe('socket');
  });

  it('names every bad variable at once, with what to do', () => {
    const lines = problems(() => loadServeConfig({ SLACK_BOT_TOKEN: 'xoxp-user-token', SLACK_API_URL: 'not a url', PORT: '99999' }));
    expect(lines.some((l) => l.startsWith('SLACK_BOT_TOKEN') && l.includes('xoxb-'))).toBe(true);
    expect(lines.some((l) => l.startsWith('SLACK_API_URL'))).toBe(true);
    expect(lines.some((l) => l.startsWith('PORT') && l.includes('0 to 65535'))).toBe(true);
    expect(lines.some((l) => l.includes('SLACK_SIGNING_SECRET or SLACK_APP_TOKEN'))).toBe(true);
    expect(lines.join('\n')).not.toContain('xoxp-user-token');
  });

  it('treats empty variables as unset', () => {
    const lines = problems(() => loadServeConfig({ SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: '  ' }));
    expect(lines[0]).toContain('SLACK_BOT_TOKEN: not set');
  });

  it('reports a config file that is missing, not YAML, or wrong, with file and field', () => {
    expect(problems(() => loadFileConfig('/nonexistent/stopgap.yml'))[0]).toContain('cannot read /nonexistent/stopgap.yml (ENOENT)');
    const bad = file('admins: [\n');
    expect(problems(() => loadFileConfig(bad))[0]).toContain(`${bad}:2:1: not valid YAML`);
    const wrong = file('clusters:\n  - name: "bad name!"\n    desired: { type: git }\ndrift:\n  ignore:\n    - pointers: [spec/replicas]\n');
    const lines = problems(() => loadFileConfig(wrong));
    expect(lines.some((l) => l.includes('clusters[0].name'))).toBe(true);
    expect(lines.some((l) => l.includes('clusters[0].desired'))).toBe(true);
    expect(lines.some((l) => l.includes('drift.ignore[0].pointers[0]') && l.includes('starts with /'))).toBe(true);
  });

  it('rejects misspelt keys at every level instead of silently ignoring them', () => {
    const p = file('clusters:\n  - name: prod\n    contxt: prod-eu\ndrift:\n  ignore:\n    - kind: Deployment\n      pointer: [/spec/replicas]\n');
    const text = problems(() => loadFileConfig(p)).join('\n');
    expect(text).toMatch(/stopgap\.yml:3: clusters\[0\]\.contxt: unknown key/);
    expect(text).toMatch(/stopgap\.yml:7: drift\.ignore\[0\]\.pointer: unknown key/);
  });

  it('rejects two clusters with the same name', () => {
    const p = file('clusters:\n  - name: prod\n  - name: prod\n    context: other\n');
    expect(problems(() => loadFileConfig(p)).join('\n')).toContain("clusters[1].name: cluster name 'prod' is used twice");
  });

  it('rejects an invalid incident channel pattern', () => {
    const p = file("incidentChannelPattern: '(['\n");
    expect(problems(() => loadFileConfig(p)).join('\n')).toContain('incidentChannelPattern: not a valid regular expression');
  });
});
