import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The built CLI, as `npm start` and users run it. */
export const CLI = join(ROOT, 'dist', 'src', 'cli.js');

let built = false;

/** Builds once per bench run (`npm run build`), so every suite measures the JavaScript users run. */
export function buildOnce(): void {
  if (built) return;
  const t0 = performance.now();
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  const took = ((performance.now() - t0) / 1000).toFixed(2);
  if (result.status !== 0) {
    console.error(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    throw new Error(`npm run build failed (exit ${result.status ?? result.signal ?? result.error?.message}) after ${took} s: the benchmarks measure dist/src/cli.js`);
  }
  if (!existsSync(CLI)) throw new Error(`npm run build succeeded but ${CLI} is missing`);
  console.log(`build: npm run build (tsc -p tsconfig.build.json) in ${took} s`);
  built = true;
}

/** The p-th percentile of already sorted figures (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

/** The built `serve` in its own process, as production runs it; resolves once it reports its port. */
export async function startBot(env: Record<string, string>, opts: { nodeArgs?: string[]; onLine?: (line: string) => void } = {}): Promise<{ port: number; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, 'serve'], {
    env: { PATH: process.env.PATH, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      opts.onLine?.(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'stopgap started' && entry.port) resolvePort(entry.port);
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`bot exited with ${code}`)));
  });
  return {
    port,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
