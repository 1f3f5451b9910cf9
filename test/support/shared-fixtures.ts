/**
 * The peer fixtures in ../shared/fixtures/ (the Argo CD diff corpus, real Slack payloads, Slack's
 * manifest schema). A clone without them still passes: the suites that read them are skipped (and
 * show as skipped), while own fixtures in test/fixtures/ cover the same behaviour. CI must never pass
 * without them: with `CI` set, an absent folder fails the suite instead.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Another fixtures root, e.g. `STOPGAP_SHARED_FIXTURES=/nonexistent` to run as a clone without them. */
export const SHARED_FIXTURES_ENV = 'STOPGAP_SHARED_FIXTURES';

const DEFAULT_ROOT = resolve(fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url)));

export function sharedFixturesRoot(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[SHARED_FIXTURES_ENV]?.trim();
  return override ? resolve(override) : DEFAULT_ROOT;
}

/** `CI` set to anything but an empty string, `0` or `false`, as CI services set it. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env['CI']?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

export interface SharedFixtures {
  /** Absolute path of the folder. */
  dir: string;
  /** Whether it exists: `describe.skipIf(!fixtures.present)` / `it.skipIf(!fixtures.present)`. */
  present: boolean;
  /** Absolute path of a file in it. */
  path(name: string): string;
}

/**
 * One folder of the shared fixtures (`k8s-diff`, `slack`). Call it while the suite is collected (at
 * the top of the test file): when the folder is absent and `CI` is set it throws, which fails the
 * suite with the reason, so that CI cannot pass with the shared-fixture tests skipped.
 */
export function sharedFixtures(folder: string, env: NodeJS.ProcessEnv = process.env): SharedFixtures {
  const dir = join(sharedFixturesRoot(env), folder);
  const present = existsSync(dir);
  if (!present && isCi(env)) {
    throw new Error(
      `Shared fixtures not found at ${dir}, and CI is set: CI must run the tests that read them. ` +
        `Check out the shared folder next to the repository (../shared/fixtures), or set ${SHARED_FIXTURES_ENV} to the fixtures folder.`,
    );
  }
  return { dir, present, path: (name) => join(dir, name) };
}
