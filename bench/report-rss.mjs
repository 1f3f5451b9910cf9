// Preloaded by bench/scan.ts (`node --import bench/report-rss.mjs dist/src/cli.js ...`): on exit,
// reports the process's own peak RSS (resourceUsage().maxRSS is in KiB) on stderr, and what V8
// holds at that moment, so the benchmark can tell heap from everything else.
import process from 'node:process';

process.on('exit', () => {
  const m = process.memoryUsage();
  process.stderr.write(`STOPGAP_BENCH_RSS ${process.resourceUsage().maxRSS * 1024}\n`);
  process.stderr.write(
    `STOPGAP_BENCH_MEM ${JSON.stringify({ rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers })}\n`,
  );
});
