import { describe, expect, it } from 'vitest';
import { lastAppliedOf, normalizeEndpoints, normalizeSecret } from '../../src/drift/normalize.js';
import { compilePattern, patternCovers, toPointer } from '../../src/drift/pointer.js';
import { canonicalQuantity, quantitiesEqual } from '../../src/drift/quantity.js';

describe('quantities', () => {
  it.each([
    ['1000m', '1'],
    ['0.5', '500m'],
    ['1Gi', '1024Mi'],
    ['1e3', '1k'],
    ['1E3', '1000'],
    ['.5', '0.5'],
    ['1.5Gi', '1536Mi'],
    ['0', '0m'],
    ['100M', '1e8'],
    [2, '2000m'],
    ['1Ki', '1024'],
    ['+1', '1'],
  ])('%s equals %s', (a, b) => {
    expect(quantitiesEqual(a, b)).toBe(true);
  });

  it.each([
    ['1G', '1Gi'],
    ['1m', '1M'],
    ['100Mi', '101Mi'],
    ['1', '-1'],
    ['1', 'one'],
  ])('%s differs from %s', (a, b) => {
    expect(quantitiesEqual(a, b)).toBe(false);
  });

  it('is not a quantity: words, empty strings, objects, absurd exponents', () => {
    for (const v of ['', 'abc', '1.2.3', '1Kb', {}, null, true, '1e999999']) expect(canonicalQuantity(v)).toBeUndefined();
  });

  it('spells 1E as one exa, not an exponent', () => {
    expect(quantitiesEqual('1E', '1000P')).toBe(true);
  });
});

describe('Secret normalisation', () => {
  it('merges stringData into base64 data and turns null values into ""', () => {
    const out = normalizeSecret({ kind: 'Secret', data: { a: null, b: 'Yg==' }, stringData: { c: 'see' } });
    expect(out).toEqual({ kind: 'Secret', data: { a: '', b: 'Yg==', c: Buffer.from('see').toString('base64') } });
  });

  it('canonicalises base64 split over lines or without padding', () => {
    expect(normalizeSecret({ kind: 'Secret', data: { a: 'aGVs\nbG8', b: 'YQ' } })).toEqual({ kind: 'Secret', data: { a: 'aGVsbG8=', b: 'YQ==' } });
  });

  it('returns the same object when nothing needs rewriting (no copy on the hot path)', () => {
    const secret = { kind: 'Secret', data: { a: 'YQ==' } };
    expect(normalizeSecret(secret)).toBe(secret);
  });

  it('keeps a __proto__ key as data, not as a prototype', () => {
    const secret = JSON.parse('{"kind":"Secret","stringData":{"__proto__":"x"}}') as Record<string, unknown>;
    const out = normalizeSecret(secret);
    expect(Object.keys(out['data'] as object)).toEqual(['__proto__']);
  });
});

describe('Endpoints normalisation', () => {
  it('defaults protocols to TCP and sorts addresses, ports and subsets', () => {
    const out = normalizeEndpoints({
      kind: 'Endpoints',
      subsets: [
        { addresses: [{ ip: '10.0.0.9' }, { ip: '10.0.0.1' }], ports: [{ port: 9000, protocol: 'UDP' }, { port: 80 }] },
      ],
    });
    expect(out['subsets']).toEqual([
      { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.9' }], ports: [{ port: 80, protocol: 'TCP' }, { port: 9000, protocol: 'UDP' }] },
    ]);
  });
});

describe('last-applied', () => {
  it('parses the annotation, and gives up quietly on garbage', () => {
    const obj = (text: unknown) => ({ metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': text } } });
    expect(lastAppliedOf(obj('{"spec":{"replicas":1}}'))).toEqual({ spec: { replicas: 1 } });
    expect(lastAppliedOf(obj('{not json'))).toBeUndefined();
    expect(lastAppliedOf(obj('[1,2]'))).toBeUndefined();
    expect(lastAppliedOf(obj(42))).toBeUndefined();
    expect(lastAppliedOf({})).toBeUndefined();
  });
});

describe('JSON pointers', () => {
  it('escapes / and ~ in segments', () => {
    expect(toPointer(['metadata', 'annotations', 'example.com/a~b'])).toBe('/metadata/annotations/example.com~1a~0b');
  });

  it('matches a path or its descendants, with * and list indexes', () => {
    const segs = ['spec', 'containers', 'name=web', 'image'];
    const idx = [-1, -1, 2, -1];
    expect(patternCovers(compilePattern('/spec/containers/name=web/image'), segs, idx, 4)).toBe(true);
    expect(patternCovers(compilePattern('/spec/containers/*'), segs, idx, 4)).toBe(true);
    expect(patternCovers(compilePattern('/spec/containers/2/image'), segs, idx, 4)).toBe(true);
    expect(patternCovers(compilePattern('/spec/containers/1/image'), segs, idx, 4)).toBe(false);
    expect(patternCovers(compilePattern('/spec/containers/name=web/image/x'), segs, idx, 4)).toBe(false);
  });
});
