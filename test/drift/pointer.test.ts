import { describe, expect, it } from 'vitest';
import { valueAtPath } from '../../src/drift/pointer.js';

describe('valueAtPath', () => {
  const object = {
    spec: {
      containers: [
        { name: 'web', image: 'a', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }], envFrom: [{ configMapRef: { name: 'cfg' } }] },
      ],
      volumes: [{ name: 'data' }],
      mounts: [{ mountPath: '/data', name: 'x' }],
    },
    metadata: { annotations: { 'example.com/a~b': 'v' } },
  };
  it('follows merge-key segments, escaped pointers and indexes', () => {
    expect(valueAtPath(object, '/spec/containers/name=web/image')).toBe('a');
    expect(valueAtPath(object, '/spec/containers/name=web/ports/containerPort=80,protocol=TCP')).toEqual({ containerPort: 80 });
    expect(valueAtPath(object, '/spec/containers/name=web/ports/containerPort=53,protocol=UDP/protocol')).toBe('UDP');
    expect(valueAtPath(object, '/spec/containers/name=web/envFrom/configMapRef=cfg')).toEqual({ configMapRef: { name: 'cfg' } });
    expect(valueAtPath(object, '/spec/mounts/mountPath=~1data/name')).toBe('x');
    expect(valueAtPath(object, '/spec/volumes/0/name')).toBe('data');
    expect(valueAtPath(object, '/metadata/annotations/example.com~1a~0b')).toBe('v');
    expect(valueAtPath(object, '/metadata/annotations/example.com/a~b')).toBeUndefined();
    expect(valueAtPath(object, '/spec/containers/name=db/image')).toBeUndefined();
    expect(valueAtPath(object, '')).toBe(object);
  });
});
