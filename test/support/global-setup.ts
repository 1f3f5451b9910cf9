import { buildCli } from './built-cli.js';

/**
 * Builds dist/ once per test run, before any test file starts: crash, start-up and CLI behaviour is
 * tested on the CLI users run (`node dist/src/cli.js`), each in a process of its own.
 */
export default function setup(): void {
  buildCli();
}
