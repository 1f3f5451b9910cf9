import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CodifyResult } from '../../src/codify/types.js';
import { repoDirOf } from '../../src/slack/codify.js';
import { codifyImpossible, codifyNothing, codifyPatchComment, codifyPatchTitle } from '../../src/slack/views/codify.js';

const deploy = { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'payments-api' };

function result(over: Partial<CodifyResult> = {}): CodifyResult {
  return {
    patch: 'diff --git a/apps/payments.yaml b/apps/payments.yaml\n',
    files: ['apps/payments.yaml'],
    written: [{ ref: deploy, path: '/spec/replicas', file: 'apps/payments.yaml', line: 9 }],
    notWritten: [],
    warnings: [],
    secretsShown: [],
    ...over,
  };
}

describe('the message that goes with a patch', () => {
  it('says what the patch does, how to apply it from the repository, and how to close the change', () => {
    const text = codifyPatchComment({ changeKey: 'SG-12', cluster: 'prod-eu', result: result(), root: '/srv/git/infra/deploy/prod-eu', repoDir: 'deploy/prod-eu' });
    expect(text).toContain('*Patch for SG-12* on `prod-eu`: sets 1 field in `apps/payments.yaml` to what the cluster runs now.');
    expect(text).toContain('```git apply --directory=deploy/prod-eu codify-SG-12.patch```');
    expect(text).toContain('`/fix codified SG-12 &lt;PR URL&gt;`');
    expect(text).toContain('closes as codified, verified, once the scanner sees the manifests match the cluster');
    expect(text).not.toContain('Not in the patch');
  });

  it('leaves --directory out at the top of the repository, and asks for it when no repository was found', () => {
    expect(codifyPatchComment({ changeKey: 'SG-1', cluster: 'c', result: result(), root: '/m', repoDir: '' })).toContain('```git apply codify-SG-1.patch```');
    const unknown = codifyPatchComment({ changeKey: 'SG-1', cluster: 'c', result: result(), root: '/var/lib/manifests' });
    expect(unknown).toContain('`/var/lib/manifests`');
    expect(unknown).toContain('git apply --directory=&lt;manifests directory&gt; codify-SG-1.patch');
  });

  it('lists fields it could not write with their reasons, suggestions labelled as guesses, and warnings; under the command in use', () => {
    const text = codifyPatchComment({
      changeKey: 'SG-3',
      cluster: 'prod-eu',
      commandName: '/stopgap',
      root: '/m',
      repoDir: '',
      result: result({
        files: ['a.yaml', 'b.yaml'],
        notWritten: [
          { ref: deploy, path: '/spec/replicas', reason: 'replicas comes from the chart <values>', suggestion: { file: 'charts/payments/values-prod.yaml', text: 'replicaCount: 10' } },
          { ref: { group: '', version: 'v1', kind: 'Node', name: 'ip-10-0-1-7' }, path: '/spec/taints', reason: 'no manifest declares Node ip-10-0-1-7' },
        ],
        warnings: ['Secret shop/db-creds key password: a placeholder was written; set the value through your secret mechanism'],
      }),
    });
    expect(text).toContain('in 2 files');
    expect(text).toContain('*Not in the patch* (2):');
    expect(text).toContain('• Deployment shop/payments-api `/spec/replicas`: replicas comes from the chart &lt;values&gt;');
    expect(text).toContain('_Suggestion (a guess, check it):_ in `charts/payments/values-prod.yaml` set `replicaCount: 10`');
    expect(text).toContain('• Node ip-10-0-1-7 `/spec/taints`: no manifest declares Node ip-10-0-1-7');
    expect(text).toContain('*Also to do* (1):\n• :warning: Secret shop/db-creds key password');
    expect(text).toContain('`/stopgap codified SG-3 &lt;PR URL&gt;`');
  });

  it('stays within what Slack shows, however many fields were left out', () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ ref: deploy, path: `/metadata/annotations/a${i}`, reason: 'x'.repeat(300) }));
    const text = codifyPatchComment({ changeKey: 'SG-4', cluster: 'c', root: '/m', repoDir: '', result: result({ notWritten: many }) });
    expect(text.length).toBeLessThanOrEqual(3900);
    expect(text).toMatch(/…and 19\d more$/);
    expect(codifyPatchTitle('SG-4', 'prod-eu')).toBe('SG-4: patch for the prod-eu manifests');
  });
});

describe('the answers when there is no patch', () => {
  it('says there is nothing to codify, and why', () => {
    expect(codifyNothing('SG-5', 'no drift is linked to SG-5').text).toBe(':information_source: *Nothing to codify for SG-5*: no drift is linked to SG-5');
  });

  it('explains field by field why no patch can be made, and how to close the change once it is in git', () => {
    const msg = codifyImpossible('SG-6', 'desired state comes from last-applied', result({ patch: '', files: [], written: [], notWritten: [{ ref: deploy, path: '/spec/replicas', reason: 'the cluster prod-us has no manifests directory' }] }));
    expect(msg.text).toContain(':no_entry_sign: *No patch for SG-6*: desired state comes from last-applied');
    expect(msg.text).toContain('*Fields* (1):\n• Deployment shop/payments-api `/spec/replicas`: the cluster prod-us has no manifests directory');
    expect(msg.text).toContain('`/fix codified SG-6 &lt;PR URL&gt;`');
    // One reason for every field is said once, in the headline.
    const same = 'the cluster prod-us has no manifests directory';
    const once = codifyImpossible('SG-7', `nothing could be written: ${same}`, result({ patch: '', files: [], written: [], notWritten: [{ ref: deploy, path: '/spec/replicas', reason: same }] }));
    expect(once.text.split(same)).toHaveLength(2);
    expect(once.text).toContain('*Fields* (1):\n• Deployment shop/payments-api `/spec/replicas`\n');
  });
});

describe('where the manifests sit in their repository', () => {
  const top = mkdtempSync(join(tmpdir(), 'stopgap-repo-'));
  afterAll(() => rmSync(top, { recursive: true, force: true }));

  it('is the path below the directory holding .git, empty at the top, unknown without one', async () => {
    const repo = join(top, 'infra');
    mkdirSync(join(repo, '.git'), { recursive: true });
    mkdirSync(join(repo, 'deploy', 'prod-eu'), { recursive: true });
    expect(await repoDirOf(repo)).toBe('');
    expect(await repoDirOf(join(repo, 'deploy', 'prod-eu'))).toBe('deploy/prod-eu');
    // A worktree (git-sync's checkouts) has a .git file instead of a directory.
    const worktree = join(top, 'worktree');
    mkdirSync(join(worktree, 'manifests'), { recursive: true });
    writeFileSync(join(worktree, '.git'), 'gitdir: /elsewhere/.git/worktrees/x\n');
    expect(await repoDirOf(join(worktree, 'manifests'))).toBe('manifests');
    const loose = mkdtempSync(join(tmpdir(), 'stopgap-loose-'));
    try {
      expect(await repoDirOf(loose)).toBeUndefined();
    } finally {
      rmSync(loose, { recursive: true, force: true });
    }
  });
});
