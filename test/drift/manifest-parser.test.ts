import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifestText } from '../../src/drift/manifest-parser.js';
import { directorySource, loadManifestDirectory, parseManifests, refOf } from '../../src/drift/sources/index.js';
import type { KubeObject } from '../../src/drift/types.js';
import { runCliCaptured } from '../support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'stopgap-parser-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function values(text: string): unknown[] {
  const parsed = parseManifestText(text);
  expect(parsed.problems).toEqual([]);
  return parsed.documents.map((d) => d.value);
}

describe('manifest parser: YAML 1.1 as Kubernetes (go-yaml v2) reads it', () => {
  it('reads yes/no/on/off/y/n as booleans and keeps quoted ones strings', () => {
    expect(values('a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: "yes"\n')).toEqual([{ a: true, b: false, c: true, d: false, e: true, f: 'yes' }]);
  });

  it('reads integers as Go does: 0644 and 0o644 are octal, hex, binary and underscores', () => {
    expect(values('a: 0644\nb: 0o644\nc: 0x1F\nd: -0b101\ne: 1_000\nf: "0644"\ng: 09\n')).toEqual([
      { a: 420, b: 420, c: 31, d: -5, e: 1000, f: '0644', g: 9 },
    ]);
  });

  it('keeps timestamps, base-60 numbers and a lone dot as the strings Kubernetes sees', () => {
    expect(values('a: 2024-01-01\nb: 2001-12-14t21:59:43.10-05:00\nc: 1:30\nd: .\ne: _1\n')).toEqual([
      { a: '2024-01-01', b: '2001-12-14t21:59:43.10-05:00', c: '1:30', d: '.', e: '_1' },
    ]);
  });

  it('reads floats, null and merge keys', () => {
    expect(values('a: .5\nb: 1.\nc: 1e3\nd: ~\nbase: &b {p: 1, q: 2}\nm: {<<: *b, q: 3}\n')).toEqual([
      { a: 0.5, b: 1, c: 1000, d: null, base: { p: 1, q: 2 }, m: { p: 1, q: 3 } },
    ]);
  });

  it('refuses values JSON cannot hold, naming the line', () => {
    const parsed = parseManifestText('a: 1\nb: .inf\n---\nc: !!binary aGk=\n');
    expect(parsed.documents).toEqual([]);
    expect(parsed.problems).toEqual([
      { line: 2, message: expect.stringMatching(/\.inf/) },
      { line: 4, message: expect.stringMatching(/!!binary/) },
    ]);
  });

  it('reads every document with its line; a broken one is a problem with its line and quotes nothing', () => {
    const parsed = parseManifestText('# head\na: 1\n---\n\nb: [hunter2-leak\n---\nc: "x\\qhunter2"\n---\nd: 4\n');
    expect(parsed.documents).toEqual([
      { value: { a: 1 }, line: 2 },
      { value: { d: 4 }, line: 9 },
    ]);
    expect(parsed.problems.map((p) => p.line)).toEqual([6, 7]);
    expect(JSON.stringify(parsed.problems)).not.toContain('hunter2');
  });

  it('gives the line of each item of a List', () => {
    const parsed = parseManifestText('kind: List\nitems:\n  - {a: 1}\n  -\n    b: 2\n');
    expect(parsed.documents).toEqual([{ value: { kind: 'List', items: [{ a: 1 }, { b: 2 }] }, line: 1, itemLines: [3, 5] }]);
  });

  it('refuses an alias bomb quickly, naming the document line', () => {
    const levels = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let n = 1; n <= 8; n++) levels.push(`a${n}: &a${n} [${Array.from({ length: 10 }, () => `*a${n - 1}`).join(', ')}]`);
    const started = Date.now();
    const parsed = parseManifestText(['ok: 1', '---', ...levels].join('\n'));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(parsed.documents).toEqual([{ value: { ok: 1 }, line: 1 }]);
    expect(parsed.problems).toEqual([{ line: 3, message: expect.stringMatching(/^too many aliases/) }]);
  });

  it('reads JSON strictly when asked, with the line of the error', () => {
    expect(parseManifestText('{"a": 1}', { json: true }).documents).toEqual([{ value: { a: 1 }, line: 1 }]);
    const trailing = parseManifestText('{\n  "a": 1,\n}\n', { json: true });
    expect(trailing.problems).toEqual([{ line: 3, message: expect.stringMatching(/^invalid JSON/) }]);
    // The same text as YAML is forgiven, as kubectl forgives it in a .yaml file.
    expect(parseManifestText('{\n  "a": 1,\n}\n').documents).toEqual([{ value: { a: 1 }, line: 1 }]);
  });
});

describe('the scanner and stopgap diff read a manifest as the same object', () => {
  const manifest = [
    'apiVersion: example.com/v1',
    'kind: Widget',
    'metadata: {name: w, namespace: shop}',
    'spec:',
    '  enabled: yes',
    '  paused: off',
    '  mode: 0644',
    '  modeO: 0o755',
    '  hex: 0x1F',
    '  big: 1_000',
    '  ratio: .5',
    '  duration: 1:30',
    '  date: 2024-01-01',
    '  dot: .',
    '  quoted: "0644"',
    '  base: &base {cpu: 100m, tier: web}',
    '  merged: {<<: *base, tier: api}',
    '',
  ].join('\n');
  const expected = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', namespace: 'shop' },
    spec: {
      enabled: true,
      paused: false,
      mode: 420,
      modeO: 493,
      hex: 31,
      big: 1000,
      ratio: 0.5,
      duration: '1:30',
      date: '2024-01-01',
      dot: '.',
      quoted: '0644',
      base: { cpu: '100m', tier: 'web' },
      merged: { cpu: '100m', tier: 'api' },
    },
  };
  const dir = join(tmp, 'manifests');
  const file = join(dir, 'widget.yaml');
  mkdirSync(dir);
  writeFileSync(file, manifest);

  function live(name: string, spec: Record<string, unknown> = {}): string {
    const path = join(tmp, `${name}.json`);
    writeFileSync(path, JSON.stringify({ ...expected, spec: { ...expected.spec, ...spec } }));
    return path;
  }

  it('the directory source (what the scanner compares) yields the Kubernetes reading', async () => {
    const source = directorySource(await loadManifestDirectory(dir));
    expect(source.problems).toEqual([]);
    const object = JSON.parse(JSON.stringify(expected)) as KubeObject;
    const ref = refOf(object);
    expect(ref && source.lookup(object, ref)).toEqual({ status: 'declared', desired: expected, live: object });
  });

  it('stopgap diff reads that same object: in sync with it, drift wherever another YAML reading differs', async () => {
    const same = await runCliCaptured(['diff', '--desired', file, '--live', live('same'), '--json']);
    expect(same.stderr).toBe('');
    expect(JSON.parse(same.stdout)).toEqual({ inSync: true, differences: [] });
    expect(same.code).toBe(0);
    // What a YAML 1.2 reader, or a YAML 1.1 reader with base-60 numbers and timestamps, would make of it.
    const other = await runCliCaptured([
      'diff',
      '--desired',
      file,
      '--live',
      live('other', { enabled: 'yes', paused: 'off', mode: 644, duration: 90, date: '2024-01-01T00:00:00.000Z' }),
      '--json',
    ]);
    expect(other.code).toBe(1);
    const paths = (JSON.parse(other.stdout) as { differences: { path: string }[] }).differences.map((d) => d.path).sort();
    expect(paths).toEqual(['/spec/date', '/spec/duration', '/spec/enabled', '/spec/mode', '/spec/paused']);
  });

  it('a .json file is strict JSON for both: a trailing comma is an error naming the line', async () => {
    const broken = join(tmp, 'broken.json');
    writeFileSync(broken, '{\n  "apiVersion": "v1",\n  "kind": "ConfigMap",\n  "metadata": {"name": "c"},\n}\n');
    const r = await runCliCaptured(['diff', '--desired', broken, '--live', live('same')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--desired .*broken\.json is not valid YAML or JSON \(line 5\): invalid JSON/);
    const problems = parseManifests(readFileSync(broken, 'utf8'), 'broken.json').problems;
    expect(problems).toEqual([{ file: 'broken.json', line: 5, message: expect.stringMatching(/^invalid JSON/) }]);
  });
});
