import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { codifyChange } from '../codify/for-change.js';
import { gitRepoOf } from '../codify/git-repo.js';
import { codify } from '../codify/codify.js';
import { readablePath } from '../codify/explain.js';
import { loadManifestIndex } from '../codify/manifest-index.js';
import type { CodifyResult, ObjectToCodify } from '../codify/types.js';
import { configBaseDir, loadConfig } from '../config/config.js';
import { DEFAULT_DB_PATH } from '../config/defaults.js';
import { diffObjects } from '../drift/diff.js';
import { makeFingerprint } from '../drift/fingerprint.js';
import { parseManifestText } from '../drift/manifest-parser.js';
import { parsePointer } from '../drift/pointer.js';
import { directorySource } from '../drift/sources/directory.js';
import { loadManifestDirectory } from '../drift/sources/manifest-files.js';
import { describeRef, formatProblem, refOf } from '../drift/sources/source.js';
import type { Difference, KubeObject } from '../drift/types.js';
import { isStopgapError, StopgapError } from '../errors.js';
import { isRecord } from '../json.js';
import { parseChangeKey } from '../ledger/model.js';
import { openExistingLedger } from '../store/db.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine, usageError } from './args.js';
import type { CliIo, Command } from './io.js';
import { readAll, reportFailure, writeLine } from './io.js';

export const CODIFY_HELP = `Usage: stopgap codify SG-n [--out FILE]
       stopgap codify --desired DIR --live FILE|- [--path POINTER]... [--out FILE]

Turns live drift into a patch for the manifests in git: each drifted field is set to the value the
cluster has (added where it was added by hand, removed where it was removed by hand), in the YAML or
JSON document that declares the object, with its comments, key order, quoting, anchors and
indentation kept. Reads only; the patch goes to standard output (or --out FILE), everything else to
standard error.

  SG-n              a change in the ledger at STOPGAP_DB (default ${DEFAULT_DB_PATH}): its active linked
                    drift, written into its cluster's manifests directory (desired.path in the file
                    STOPGAP_CONFIG names; relative paths from that file's directory)
  --desired DIR     a manifests directory, read as the scanner reads one
  --live FILE       live objects, YAML or JSON: several documents or a List, as
                    kubectl get deploy,cm -n shop -o yaml --show-managed-fields prints them (with managed
                    fields, fields added by hand count too); compared with DIR as the scanner compares
                    them. - is standard input
  --path POINTER    only this field and the fields under it, e.g. /spec/replicas or
                    /spec/template/spec/containers/name=api/image (repeatable; * matches one segment)
  --out FILE        write the patch to FILE instead of standard output

The patch's paths are relative to the manifests directory; the command to apply it is printed (with
git apply --directory when the directory is inside a git repository). Secret values are never
written: a Secret's field gets a placeholder, and a warning says to set it through your secret
mechanism. A field Stopgap cannot write (desired state from last-applied or managers, an object a
Helm chart renders or a kustomize overlay sets, an object no manifest declares) is explained, with
a guess at where the change belongs, labelled as a guess.
Exit status: 0 nothing to codify, 1 patch written, 2 no patch possible (explained) or an error.
Example: stopgap codify SG-42 --out /tmp/sg-42.patch; cd ~/gitops && git apply --directory=clusters/prod /tmp/sg-42.patch`;

const CODIFY_ARGS = {
  options: {
    help: HELP_OPTION,
    desired: { type: 'string' },
    live: { type: 'string' },
    path: { type: 'string', multiple: true },
    out: { type: 'string' },
  },
  allowPositionals: true,
} satisfies ArgsSpec;

const STDIN = '-';

/** Whether a difference's path is one of the `--path` pointers or below one (`*` matches any one segment). */
function selected(path: string, patterns: readonly string[][]): boolean {
  if (patterns.length === 0) return true;
  const segments = parsePointer(path);
  return patterns.some((p) => p.length <= segments.length && p.every((s, i) => s === '*' || s === segments[i]));
}

/** Live objects from a file or standard input: documents, Lists expanded (a typed List's kind given to its items). */
async function loadLive(path: string, stdin: Readable | undefined): Promise<KubeObject[]> {
  const name = path === STDIN ? '(stdin)' : path;
  let text: string;
  if (path === STDIN) {
    if (!stdin) throw new StopgapError('usage', '--live -: no standard input to read');
    if ((stdin as { isTTY?: boolean }).isTTY) throw new StopgapError('usage', '--live - reads standard input, which is a terminal; pipe the objects in, e.g. kubectl get deploy/api -o yaml --show-managed-fields | stopgap codify --desired DIR --live -');
    text = await readAll(stdin);
  } else {
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
      throw new StopgapError('parse_failed', `cannot read --live ${name}: ${why}`);
    }
  }
  const read = parseManifestText(text, { json: path === STDIN || extname(path).toLowerCase() === '.json' });
  const problem = read.problems[0];
  if (problem) throw new StopgapError('parse_failed', `--live ${name} is not valid YAML or JSON (line ${problem.line}): ${problem.message}`);
  const out: KubeObject[] = [];
  const add = (value: unknown, where: string, listKind?: string, listVersion?: unknown): void => {
    if (!isRecord(value)) throw new StopgapError('parse_failed', `--live ${name}: ${where} is not a Kubernetes object`);
    const kind = value['kind'];
    if (typeof kind === 'string' && /list$/i.test(kind) && Array.isArray(value['items'])) {
      const itemKind = kind.length > 4 && kind !== 'List' ? kind.slice(0, -4) : undefined;
      value['items'].forEach((item: unknown, i: number) => add(item, `${where} item ${i + 1}`, itemKind, value['apiVersion']));
      return;
    }
    const object: KubeObject = { ...value };
    if (object['kind'] === undefined && listKind) object['kind'] = listKind;
    if (object['apiVersion'] === undefined && listKind && listVersion !== undefined) object['apiVersion'] = listVersion;
    if (!refOf(object)) throw new StopgapError('parse_failed', `--live ${name}: ${where} is not a Kubernetes object (apiVersion, kind and metadata.name are required)`);
    out.push(object);
  };
  read.documents.forEach((d) => add(d.value, `the document at line ${d.line}`));
  if (out.length === 0) throw new StopgapError('parse_failed', `--live ${name} holds no object`);
  return out;
}

function report(io: CliIo, result: CodifyResult): void {
  for (const n of result.notWritten) {
    writeLine(io.stderr, `not written: ${describeRef(n.ref)} ${readablePath(n.path)}: ${n.reason}`);
    if (n.suggestion) writeLine(io.stderr, `  suggestion (a guess): in ${n.suggestion.file}, ${n.suggestion.text}`);
  }
  for (const w of result.warnings) writeLine(io.stderr, `warning: ${w}`);
  if (result.secretsShown.length > 0) {
    writeLine(io.stderr, `warning: the patch shows secret values that ${result.secretsShown.join(', ')} hold${result.secretsShown.length === 1 ? 's' : ''} in clear (lines it changes or keeps as context): keep it out of chat, tickets and pull request comments`);
  }
}

/**
 * How to apply the patch: its paths are relative to the manifests directory, and `git apply` run in a
 * subdirectory of a repository skips what lies outside it without a word, so a manifests directory
 * inside a repository is named with --directory from the repository's top.
 */
async function applyHint(root: string, patch: string): Promise<string> {
  const repo = await gitRepoOf(root);
  if (repo === undefined) return `cd ${resolve(root)} && git apply ${patch}`;
  return `cd ${repo.top} && git apply${repo.inside ? ` --directory=${repo.inside}` : ''} ${patch}`;
}

/** Prints the patch (or writes it to --out) and says what it holds and how to apply it. Exit status 1. */
async function printPatch(io: CliIo, result: CodifyResult, root: string, out: string | undefined, title: string): Promise<number> {
  if (out !== undefined) {
    try {
      await writeFile(out, result.patch);
    } catch (err) {
      throw new StopgapError('usage', `cannot write --out ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else io.stdout.write(result.patch);
  const fields = result.written.length;
  const hint = await applyHint(root, out === undefined ? 'PATCH' : resolve(out));
  writeLine(io.stderr, `${title}: ${fields} field${fields === 1 ? '' : 's'} written into ${result.files.join(', ')}; apply it with: ${hint}`);
  report(io, result);
  return 1;
}

async function codifyFromLedger(io: CliIo, key: string, out: string | undefined): Promise<number> {
  const id = parseChangeKey(key);
  if (id === undefined) return usageError(io, 'codify', `'${key}' is not a change key like SG-12`);
  const config = loadConfig(io.env);
  const db = openExistingLedger(config.dbPath);
  try {
    const result = await codifyChange(db, config.file.clusters, configBaseDir(config), id, { sensitivePointers: config.file.drift.sensitivePointers });
    if (result.outcome === 'nothing') {
      writeLine(io.stderr, `${result.changeKey}: ${result.reason}`);
      return 0;
    }
    if (result.outcome === 'impossible') {
      writeLine(io.stderr, `${result.changeKey}: no patch possible: ${result.reason}`);
      report(io, result.result);
      return 2;
    }
    return await printPatch(io, result.result, result.root, out, `${result.changeKey} on ${result.cluster}`);
  } finally {
    db.close();
  }
}

async function codifyFromFiles(io: CliIo, dir: string, live: string, paths: readonly string[], out: string | undefined): Promise<number> {
  const patterns = paths.map((p) => parsePointer(p));
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new StopgapError('usage', `--desired ${dir}: no such directory`);
  if (!info.isDirectory()) throw new StopgapError('usage', `--desired ${dir} is a file; give the manifests directory`);
  const objects = await loadLive(live, io.stdin);
  const set = await loadManifestDirectory(dir);
  const source = directorySource(set);
  const index = await loadManifestIndex(dir, set);
  // A fresh key per run: fingerprints only tell whether secret values differ.
  const options = { fingerprint: makeFingerprint(randomBytes(32)) };
  const toCodify: ObjectToCodify[] = [];
  const undeclared: string[] = [];
  for (const object of objects) {
    const ref = refOf(object);
    if (!ref) continue;
    const lookup = source.lookup(object, ref);
    if (lookup.status === 'undeclared') {
      undeclared.push(describeRef(ref));
      continue;
    }
    if (lookup.status === 'unreadable') throw new StopgapError('parse_failed', `${describeRef(ref)}: ${lookup.problem.message}`);
    const diff = diffObjects(lookup.desired, lookup.live, lookup.threeWay === false ? { ...options, threeWay: false } : options);
    const fields = diff.differences
      .filter((d: Difference) => selected(d.path, patterns))
      .map((d) => ({ path: d.path, kind: d.kind, live: d.live, desired: d.desired, sensitive: d.sensitive }));
    if (fields.length === 0) continue;
    delete ref.uid;
    toCodify.push({ ref, source: 'directory', fields });
  }
  for (const name of undeclared) writeLine(io.stderr, `not compared: no manifest in ${dir} declares ${name}`);
  // An object declared in a file that does not parse looks undeclared: say which files could not be read.
  if (undeclared.length > 0) for (const problem of set.problems) writeLine(io.stderr, `could not read a manifest (it may declare one of them): ${formatProblem(problem)}`);
  if (toCodify.length === 0) {
    if (undeclared.length === objects.length) {
      writeLine(io.stderr, `no patch possible: no manifest in ${dir} declares ${undeclared.length === 1 ? 'the live object' : 'any of the live objects'}`);
      return 2;
    }
    writeLine(io.stderr, `nothing to codify: the live object${objects.length === 1 ? '' : 's'} match${objects.length === 1 ? 'es' : ''} the manifests${patterns.length ? ' at --path' : ''}`);
    return 0;
  }
  const result = await codify({ root: dir, objects: toCodify, index });
  if (result.written.length === 0) {
    writeLine(io.stderr, `no patch possible: none of the ${result.notWritten.length} drifted field${result.notWritten.length === 1 ? '' : 's'} could be written`);
    report(io, result);
    return 2;
  }
  return printPatch(io, result, dir, out, 'stopgap codify');
}

export async function runCodify(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('codify', CODIFY_HELP, CODIFY_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [key, extra] = positionals;
  if (extra !== undefined) return usageError(io, 'codify', `unexpected argument '${extra}'`);
  const files = values.desired !== undefined || values.live !== undefined;
  if (key !== undefined && files) return usageError(io, 'codify', 'give either a change (SG-n) or --desired DIR --live FILE, not both');
  if (key === undefined && !files) return usageError(io, 'codify', 'missing a change (SG-n), or --desired DIR and --live FILE');
  if (key !== undefined && values.path) return usageError(io, 'codify', '--path goes with --desired and --live');
  const bad = (values.path ?? []).find((p) => !p.startsWith('/'));
  if (bad !== undefined) return usageError(io, 'codify', `--path takes a JSON pointer starting with "/", got "${bad}"`);
  try {
    if (key !== undefined) return await codifyFromLedger(io, key, values.out);
    if (!values.desired) return usageError(io, 'codify', 'missing --desired DIR');
    if (!values.live) return usageError(io, 'codify', 'missing --live FILE');
    return await codifyFromFiles(io, values.desired, values.live, values.path ?? [], values.out);
  } catch (err) {
    if (isStopgapError(err) && (err.code === 'usage' || err.code === 'parse_failed' || err.code === 'ledger_not_found' || err.code === 'desired_source_failed')) {
      writeLine(io.stderr, `stopgap codify: ${err.message}`);
      return 2;
    }
    return reportFailure(io, 'codify', err);
  }
}

export const command: Command = { help: CODIFY_HELP, run: runCodify };
