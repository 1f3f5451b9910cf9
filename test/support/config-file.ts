import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { loadFileConfig } from '../../src/config/config.js';
import { StopgapError } from '../../src/errors.js';

/**
 * stopgap.yml text → the parsed file config, through the real loader (a file in a temp directory,
 * removed after each test); `problem` returns the message of the configuration error it must raise.
 */
export function configFiles(): { load: (content: string) => ReturnType<typeof loadFileConfig>; problem: (content: string) => string } {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const load = (content: string) => {
    const d = mkdtempSync(join(tmpdir(), 'stopgap-config-'));
    dirs.push(d);
    const p = join(d, 'stopgap.yml');
    writeFileSync(p, content);
    return loadFileConfig(p);
  };
  const problem = (content: string): string => {
    try {
      load(content);
    } catch (err) {
      expect(err).toBeInstanceOf(StopgapError);
      return (err as StopgapError).message;
    }
    throw new Error('expected a configuration error');
  };
  return { load, problem };
}
