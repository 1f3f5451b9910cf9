// Run by bench/digest.ts in a process of its own, on the built code (dist/): times the digest over the
// database the parent built and prints the figures as JSON on stdout.
// Arguments: database path, stopgap.yml path, the digest's moment (ISO), runs.
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { loadFileConfig } from '../dist/src/config/config.js';
import { openDb } from '../dist/src/store/db.js';
import { DigestStore } from '../dist/src/store/digest-store.js';
import { CHANGE_COLUMNS } from '../dist/src/store/ledger-store.js';
import { digestMessage } from '../dist/src/slack/views/digest.js';

const [dbPath, configPath, at, runs] = process.argv.slice(2);
const teams = loadFileConfig(configPath).teams;
const db = openDb(dbPath);
const store = new DigestStore(db);
const digest = [];
let blocks = 0;
for (let r = 0; r < Number(runs); r++) {
  const t = performance.now();
  blocks = digestMessage(store.digest({ at: new Date(at), team: null, teams })).blocks.length;
  digest.push(performance.now() - t);
}
// Peak RSS before the baseline, which holds every row at once.
const peakMb = process.resourceUsage().maxRSS / 1024;
const baseline = [];
for (let r = 0; r < Number(runs); r++) {
  const t = performance.now();
  db.prepare(`SELECT ${CHANGE_COLUMNS} FROM changes`).all();
  baseline.push(performance.now() - t);
}
db.close();
process.stdout.write(JSON.stringify({ digest, baseline, peakMb, blocks }));
