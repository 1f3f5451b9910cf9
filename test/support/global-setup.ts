import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BUILT_CLI, ROOT } from './built-cli.js';

/**
 * Builds dist/ once per test run: crash and start-up behaviour is tested on the CLI users run
 * (`node dist/src/cli.js`), each in a process of its own.
 */
export default function setup(): void {
  const result = spawnSync(process.execPath, [`${ROOT}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0 || !existsSync(BUILT_CLI)) {
    throw new Error(`building dist/ for the CLI tests failed:\n${result.stdout}${result.stderr}`);
  }
}
