import { describe, expect, it } from 'vitest';
import { isNamespaced, parseResourceRef, withNamespace } from '../../src/ledger/resource-refs.js';
import { logged } from '../support/fix-parse.js';

describe('resource references in logged text', () => {
  it('never gives a node a namespace, and reads --cluster', () => {
    expect(logged('cordoned node/ip-10-0-1-7 --cluster prod-eu')).toEqual({
      description: 'cordoned node/ip-10-0-1-7',
      resources: [{ kind: 'node', name: 'ip-10-0-1-7' }],
      cluster: 'prod-eu',
    });
    expect(logged('drained no/ip-10-0-1-7.eu-west-1.compute.internal -n kube-system')).toEqual({
      // No namespaced resource took the namespace, so it stays in the text rather than being lost.
      description: 'drained no/ip-10-0-1-7.eu-west-1.compute.internal -n kube-system',
      resources: [{ kind: 'node', name: 'ip-10-0-1-7.eu-west-1.compute.internal' }],
    });
  });

  it('reads --namespace=x', () => {
    expect(logged('bumped memory on sts/db-0 --namespace=data to 4Gi')).toEqual({
      description: 'bumped memory on sts/db-0 to 4Gi',
      resources: [{ kind: 'statefulset', name: 'db-0', namespace: 'data' }],
    });
    expect(logged('bumped cpu on sts/db-0 --namespace data').resources).toEqual([
      { kind: 'statefulset', name: 'db-0', namespace: 'data' },
    ]);
    expect(logged('bumped cpu on sts/db-0 -n=data').resources).toEqual([
      { kind: 'statefulset', name: 'db-0', namespace: 'data' },
    ]);
  });

  it('reads ns/shop as the namespace, not as a resource, and keeps it in the text', () => {
    expect(logged('kubectl edit cm/app-config ns/shop')).toEqual({
      description: 'kubectl edit cm/app-config ns/shop',
      resources: [{ kind: 'configmap', name: 'app-config', namespace: 'shop' }],
    });
  });

  it.each([
    ['deploy/a', 'deployment'],
    ['deployment/a', 'deployment'],
    ['Deployment/a', 'deployment'],
    ['sts/a', 'statefulset'],
    ['statefulset/a', 'statefulset'],
    ['ds/a', 'daemonset'],
    ['daemonset/a', 'daemonset'],
    ['cm/a', 'configmap'],
    ['configmap/a', 'configmap'],
    ['secret/a', 'secret'],
    ['svc/a', 'service'],
    ['ing/a', 'ingress'],
    ['ingresses/a', 'ingress'],
    ['hpa/a', 'horizontalpodautoscaler'],
    ['pdb/a', 'poddisruptionbudget'],
    ['cj/a', 'cronjob'],
    ['cronjob/a', 'cronjob'],
    ['job/a', 'job'],
    ['pod/a', 'pod'],
    ['po/a', 'pod'],
    ['node/a', 'node'],
    ['no/a', 'node'],
    ['netpol/a', 'networkpolicy'],
    ['networkpolicies/a', 'networkpolicy'],
  ])('reads %s as kind %s', (ref, kind) => {
    expect(logged(`touched ${ref}`).resources).toEqual([{ kind, name: 'a' }]);
  });

  it('reads custom resources written as kind.group/name', () => {
    expect(logged('paused rollout.argoproj.io/web -n shop').resources).toEqual([
      { kind: 'rollout', group: 'argoproj.io', name: 'web', namespace: 'shop' },
    ]);
    expect(logged('suspended kustomizations.kustomize.toolkit.fluxcd.io/apps').resources).toEqual([
      { kind: 'kustomization', group: 'kustomize.toolkit.fluxcd.io', name: 'apps' },
    ]);
    expect(logged('edited hpa.v2.autoscaling/web').resources).toEqual([
      { kind: 'horizontalpodautoscaler', group: 'autoscaling', name: 'web' },
    ]);
    // Cluster* kinds are cluster-scoped by convention.
    expect(logged('edited clusterissuer.cert-manager.io/letsencrypt -n shop').resources).toEqual([
      { kind: 'clusterissuer', group: 'cert-manager.io', name: 'letsencrypt' },
    ]);
  });

  it('does not mistake ordinary slashes, paths and hosts for resources', () => {
    const draft = logged(
      'and/or 50/50 TCP/IP read/write github.com/acme ghcr.io/acme deploy/Payments deploy/-bad https://x.io/a/b',
    );
    expect(draft.resources).toEqual([]);
    expect(draft.description).toBe(
      'and/or 50/50 TCP/IP read/write github.com/acme ghcr.io/acme deploy/Payments deploy/-bad https://x.io/a/b',
    );
  });

  it('reads refs through punctuation, code spans and commas, once each', () => {
    expect(
      logged('scaled `deploy/web`, (sts/db-0) and svc/api,svc/admin; then deploy/web again.').resources,
    ).toEqual([
      { kind: 'deployment', name: 'web' },
      { kind: 'statefulset', name: 'db-0' },
      { kind: 'service', name: 'api' },
      { kind: 'service', name: 'admin' },
    ]);
  });
});

describe('resource references, directly', () => {
  it('tells cluster-scoped kinds from namespaced ones', () => {
    for (const kind of ['node', 'persistentvolume', 'namespace', 'clusterrole', 'clusterissuer']) {
      expect(isNamespaced(kind)).toBe(false);
    }
    for (const kind of ['deployment', 'pod', 'persistentvolumeclaim', 'rollout']) expect(isNamespaced(kind)).toBe(true);
  });

  it('gives a namespace only to the refs that live in one', () => {
    const refs = [
      { kind: 'deployment', name: 'web' },
      { kind: 'node', name: 'ip-10-0-1-7' },
    ];
    expect(withNamespace(refs, 'shop')).toEqual([
      { kind: 'deployment', name: 'web', namespace: 'shop' },
      { kind: 'node', name: 'ip-10-0-1-7' },
    ]);
    expect(withNamespace(refs, undefined)).toEqual(refs);
  });

  it('reads one reference, a namespace, or nothing', () => {
    expect(parseResourceRef('Deployment.apps/web')).toEqual({ ref: { kind: 'deployment', group: 'apps', name: 'web' } });
    expect(parseResourceRef('ns/shop')).toEqual({ namespace: 'shop' });
    expect(parseResourceRef('ns/Shop')).toBeUndefined();
    expect(parseResourceRef('deploy/web/x')).toBeUndefined();
    expect(parseResourceRef('/web')).toBeUndefined();
  });
});
