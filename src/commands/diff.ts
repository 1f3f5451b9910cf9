import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { z } from 'zod';
import { diffObjects } from '../drift/diff.js';
import { parseManifestText } from '../drift/manifest-parser.js';
import { groupOf } from '../drift/normalize.js';
import { isStopgapError, StopgapError } from '../errors.js';
import { isRecord } from '../json.js';
import { makeFingerprint } from '../drift/fingerprint.js';
import type { DiffOptions, Difference, KubeObject } from '../drift/types.js';
import type { Readable } from 'node:stream';
import type { ArgsSpec, OptionValues } from './args.js';
import { HELP_OPTION, parseCommandLine, usageError } from './args.js';
import type { CliIo, Command } from './io.js';
import { readAll, writeLine } from './io.js';

const EXAMPLE = 'stopgap diff --desired deploy.yaml --live live.yaml [--json] [--trust-manager NAME] [--ignore /spec/replicas]';

export const DIFF_HELP = `Usage: stopgap diff --desired FILE --live FILE [options]

Compares one desired object with one live object (YAML or JSON, one object per file, or a List of
one object) the way the scanner does, and names the field manager that wrote each drifted live field.
Both files must describe the same object: the same API group, kind, namespace and name. Files are
read as the scanner reads manifests: YAML 1.1 as Kubernetes reads it (yes is true, 0644 is 420).

Options:
  --desired FILE            the object as declared (manifest, rendered chart, kustomize output)
  --live FILE               the object as the cluster has it (kubectl get -o yaml --show-managed-fields)
                            FILE - is standard input, for one of the two:
                            kubectl get deploy/api -o json | stopgap diff --desired api.yaml --live -
  --json                    print {"inSync", "differences": [{"path", "kind", "desired", "live", "manager", "time"}]}
  --trust-manager NAME      fields owned by this manager are not drift (repeatable; replaces the
                            default, kube-controller-manager; NAME may end with *)
  --ignore POINTER          never compare this JSON pointer, e.g. /spec/replicas (repeatable; * matches a segment)
  --ignore-aggregated-roles ClusterRole rules filled in by an aggregationRule are not drift
  --no-color                plain output (also when NO_COLOR is set or stdout is not a terminal)

Exit status: 0 in sync, 1 drift, 2 error. Secret values are never printed, only keyed fingerprints.
Example: ${EXAMPLE}`;

/** The command line `stopgap diff` accepts. */
const DIFF_ARGS = {
  options: {
    help: HELP_OPTION,
    desired: { type: 'string' },
    live: { type: 'string' },
    json: { type: 'boolean' },
    'no-color': { type: 'boolean' },
    'trust-manager': { type: 'string', multiple: true },
    ignore: { type: 'string', multiple: true },
    'ignore-aggregated-roles': { type: 'boolean' },
  },
} satisfies ArgsSpec;

interface DiffArgs {
  desired: string;
  live: string;
  json: boolean;
  color: boolean | undefined;
  trustManagers: string[] | undefined;
  ignore: string[];
  ignoreAggregatedRoles: boolean;
}

/** The parsed command line, or what is wrong with it. */
function diffArgs(values: OptionValues<typeof DIFF_ARGS>): DiffArgs | string {
  const ignore = values.ignore ?? [];
  const notPointer = ignore.find((pointer) => !pointer.startsWith('/'));
  if (notPointer !== undefined) return `--ignore takes a JSON pointer starting with "/", got "${notPointer}"`;
  const { desired = '', live = '' } = values;
  if (!desired && !live) return 'missing --desired FILE and --live FILE';
  if (!desired) return 'missing --desired FILE';
  if (!live) return 'missing --live FILE';
  if (desired === STDIN && live === STDIN) return 'only one of --desired and --live can be - (standard input); give the other as a file';
  return {
    desired,
    live,
    json: values.json === true,
    color: values['no-color'] ? false : undefined,
    trustManagers: values['trust-manager'],
    ignore,
    ignoreAggregatedRoles: values['ignore-aggregated-roles'] === true,
  };
}

// The minimum that makes a document a Kubernetes object; everything else is kept as it is.
const KubeObjectShape = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({}).optional(),
});

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}

type Obj = Record<string, unknown>;

function notYaml(role: string, file: string, line: number | undefined, why: string): StopgapError {
  return new StopgapError('parse_failed', `--${role} ${file} is not valid YAML or JSON${line !== undefined ? ` (line ${line})` : ''}: ${why}`);
}

/**
 * `kind: List` or `<Kind>List` (what `kubectl get -o yaml` prints for a selection) with one item: that
 * item, with the kind and apiVersion a typed list implies when the item lacks them. Any other list is
 * refused: one file, one object.
 */
function unwrapList(value: unknown, role: string, file: string): { value: unknown; prefix: string } {
  if (!isRecord(value)) return { value, prefix: '' };
  const kind = value['kind'];
  const items = value['items'];
  if (typeof kind !== 'string' || !/list$/i.test(kind) || !Array.isArray(items)) return { value, prefix: '' };
  if (items.length === 0) throw new StopgapError('parse_failed', `--${role} ${file} holds an empty ${kind}; give one object per file`);
  if (items.length > 1) throw new StopgapError('parse_failed', `--${role} ${file} holds a ${kind} of ${items.length} objects; give one object per file`);
  const item: unknown = items[0];
  const itemKind = kind.slice(0, -4);
  if (!isRecord(item) || itemKind === '') return { value: item, prefix: 'items.0.' };
  const out: Obj = {};
  if (item['apiVersion'] === undefined && value['apiVersion'] !== undefined) out['apiVersion'] = value['apiVersion'];
  if (item['kind'] === undefined) out['kind'] = itemKind;
  return { value: Object.assign(out, item), prefix: 'items.0.' };
}

/** `-` is standard input, named so in messages. */
const STDIN = '-';

async function loadObject(path: string, role: 'desired' | 'live', stdin: Readable | undefined): Promise<KubeObject> {
  const file = path === STDIN ? '(stdin)' : path;
  let text: string;
  try {
    if (path === STDIN) {
      if (!stdin) throw new StopgapError('usage', `--${role} -: no standard input to read`);
      // Nothing is piped in: waiting for someone to type an object is never what was meant.
      if ((stdin as { isTTY?: boolean }).isTTY) {
        throw new StopgapError('usage', `--${role} - reads standard input, which is a terminal; pipe the object in, e.g. kubectl get ... -o json | stopgap diff ... --${role} -`);
      }
      text = await readAll(stdin);
    } else {
      text = await readFile(path, 'utf8');
    }
  } catch (err) {
    if (isStopgapError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw new StopgapError('parse_failed', `cannot read --${role} ${file}: ${why}`);
  }
  // Read as the scanner reads a manifest directory: YAML 1.1 as Kubernetes has it, JSON strictly.
  // Standard input has no extension: like kubectl, JSON is what starts with `{`.
  const read = parseManifestText(text, { json: path === STDIN || extname(path).toLowerCase() === '.json' });
  const problem = read.problems[0];
  if (problem) throw notYaml(role, file, problem.line, problem.message);
  const objects = read.documents.map((d) => d.value);
  if (objects.length === 0) throw new StopgapError('parse_failed', `--${role} ${file} holds no object`);
  if (objects.length > 1) throw new StopgapError('parse_failed', `--${role} ${file} holds ${objects.length} objects; give one object per file`);
  const { value, prefix } = unwrapList(objects[0], role, file);
  const parsed = KubeObjectShape.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${prefix}${issue.path.join('.')}` : prefix ? prefix.slice(0, -1) : 'the document';
    throw new StopgapError('parse_failed', `--${role} ${file} is not a Kubernetes object (${where}: ${issue?.message ?? 'invalid'})`);
  }
  return parsed.data as KubeObject;
}

function metadataString(object: KubeObject, field: string): string | undefined {
  const metadata = object['metadata'];
  const value = isRecord(metadata) ? metadata[field] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Refuses to compare two different objects: a ConfigMap against a Secret of the same name would print
 * the Secret's values as ConfigMap data. Kinds compare case-insensitively (a `kind: secret` typo is
 * still that Secret, and shows as a difference); a namespace or name only one side gives is no conflict
 * (manifests often leave the namespace to `kubectl -n`).
 */
function checkSameObject(desired: KubeObject, live: KubeObject): void {
  const dGroup = groupOf(String(desired['apiVersion']));
  const lGroup = groupOf(String(live['apiVersion']));
  const dNs = metadataString(desired, 'namespace');
  const lNs = metadataString(live, 'namespace');
  const dName = metadataString(desired, 'name');
  const lName = metadataString(live, 'name');
  const same =
    dGroup === lGroup &&
    String(desired['kind']).toLowerCase() === String(live['kind']).toLowerCase() &&
    (dNs === undefined || lNs === undefined || dNs === lNs) &&
    (dName === undefined || lName === undefined || dName === lName);
  if (same) return;
  const version = (o: KubeObject) => (dGroup === lGroup ? '' : ` (${String(o['apiVersion'])})`);
  throw new StopgapError(
    'usage',
    `desired is ${describe(desired)}${version(desired)} but live is ${describe(live)}${version(live)}: compare the same object`,
  );
}

// ---------------------------------------------------------------------------------------------
// Output

interface Palette {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const ansi = (code: string) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
const COLOR: Palette = { red: ansi('31'), green: ansi('32'), yellow: ansi('33'), bold: ansi('1'), dim: ansi('2') };
const PLAIN: Palette = { red: (s) => s, green: (s) => s, yellow: (s) => s, bold: (s) => s, dim: (s) => s };

const MAX_VALUE = 160;

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function describe(object: KubeObject): string {
  const metadata = (object['metadata'] ?? {}) as Record<string, unknown>;
  const name = typeof metadata['name'] === 'string' ? metadata['name'] : '(unnamed)';
  const namespace = typeof metadata['namespace'] === 'string' ? `${metadata['namespace']}/` : '';
  return `${String(object['kind'])} ${namespace}${name}`;
}

function renderHuman(io: CliIo, title: string, differences: Difference[], threeWay: boolean, p: Palette): void {
  if (differences.length === 0) {
    writeLine(io.stdout, `${p.bold(title)}: ${p.green('in sync')}`);
    return;
  }
  const count = `${differences.length} difference${differences.length === 1 ? '' : 's'}`;
  writeLine(io.stdout, `${p.bold(title)}: ${p.yellow(count)}${threeWay ? p.dim(' (three-way, using last-applied)') : ''}`);
  for (const d of differences) {
    const mark = d.kind === 'missing' ? p.red('-') : d.kind === 'extra' ? p.green('+') : p.yellow('~');
    const note = d.kind === 'missing' ? ' (missing from live)' : d.kind === 'extra' ? ' (only in live)' : '';
    writeLine(io.stdout);
    writeLine(io.stdout, `${mark} ${p.bold(d.path)}${p.dim(note)}`);
    writeLine(io.stdout, `    ${p.red(show(d.desired))} ${p.dim('→')} ${p.green(show(d.live))}${d.sensitive ? p.dim(' (secret: fingerprints)') : ''}`);
    const a = d.attribution;
    if (a) {
      const how = [a.operation, a.subresource ? `subresource ${a.subresource}` : ''].filter(Boolean).join(', ');
      const when = a.time ? ` at ${a.time}` : '';
      const who = a.managerClass === 'manual' ? p.yellow(a.manager) : a.manager;
      writeLine(io.stdout, `    ${p.dim('written by')} ${who} ${p.dim(`(${how}, ${a.managerClass})${when}`)}`);
    } else if (d.kind !== 'missing') {
      writeLine(io.stdout, `    ${p.dim('written by: unknown (no managedFields entry)')}`);
    }
  }
}

function renderJson(io: CliIo, inSync: boolean, differences: Difference[]): void {
  const out = {
    inSync,
    differences: differences.map((d) => ({
      path: d.path,
      kind: d.kind,
      desired: d.desired === undefined ? null : d.desired,
      live: d.live === undefined ? null : d.live,
      manager: d.attribution?.manager ?? null,
      time: d.attribution?.time ?? null,
    })),
  };
  writeLine(io.stdout, JSON.stringify(out, null, 2));
}

/** An object that cannot be read or compared: one line, with an example of what works. */
function inputError(io: CliIo, message: string): number {
  writeLine(io.stderr, `stopgap diff: ${message}. Usage: ${EXAMPLE}`);
  return 2;
}

export async function runDiff(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('diff', DIFF_HELP, DIFF_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  const args = diffArgs(parsed.values);
  if (typeof args === 'string') return usageError(io, 'diff', args);
  try {
    const desired = await loadObject(args.desired, 'desired', io.stdin);
    const live = await loadObject(args.live, 'live', io.stdin);
    checkSameObject(desired, live);
    const options: DiffOptions = {
      ignorePointers: args.ignore,
      ignoreAggregatedRoles: args.ignoreAggregatedRoles,
      // A fresh key per run: fingerprints show whether two values differ, and mean nothing afterwards.
      fingerprint: makeFingerprint(randomBytes(32)),
    };
    if (args.trustManagers) options.trustedManagers = args.trustManagers;
    const result = diffObjects(desired, live, options);
    if (args.json) renderJson(io, result.inSync, result.differences);
    else {
      const tty = (io.stdout as { isTTY?: boolean }).isTTY === true;
      const color = args.color !== false && tty && !io.env['NO_COLOR'];
      renderHuman(io, describe(live), result.differences, result.threeWay === true, color ? COLOR : PLAIN);
    }
    return result.inSync ? 0 : 1;
  } catch (err) {
    if (isStopgapError(err)) return inputError(io, err.message);
    writeLine(io.stderr, `stopgap diff: unexpected error: ${firstLine(err instanceof Error ? err.message : String(err))}`);
    return 2;
  }
}

export const command: Command = { help: DIFF_HELP, run: runDiff };
