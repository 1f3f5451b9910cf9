// `npm run bench`: every speed and memory figure the project tracks, printed, never asserted.
const only = process.argv.slice(2);
const suites: Record<string, () => Promise<void>> = {
  slack: async () => (await import('./slack-ack.js')).benchSlackAck(),
  'ack-drift': async () => (await import('./ack-drift.js')).benchAckDrift(),
  diff: async () => (await import('./diff.js')).benchDiff(),
  codify: async () => (await import('./codify.js')).benchCodify(),
  scan: async () => (await import('./scan.js')).benchScan(),
  redact: async () => (await import('./redact.js')).benchRedact(),
  linking: async () => (await import('./linking.js')).benchLinking(),
  audit: async () => (await import('./audit.js')).benchAudit(),
  nagging: async () => (await import('./nagging.js')).benchNagging(),
  digest: async () => (await import('./digest.js')).benchDigest(),
  demo: async () => (await import('./demo.js')).benchDemo(),
  serve: async () => (await import('./serve.js')).benchServe(),
  'serve-ledger': async () => (await import('./serve.js')).benchServeLedger(),
};
for (const [name, run] of Object.entries(suites)) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n=== ${name} ===`);
  await run();
}
