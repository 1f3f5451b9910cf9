/**
 * What a newcomer types at the interactive demo's prompt, read into commands, and what the prompt
 * offers when they press Tab. Pure: the session (interactive.ts) carries them out.
 */
import type { ShopNames } from './world.js';

/** A change to a shop object, made by hand on the cluster (`kubectl …`) or merged into the manifests (`git …`). */
export type ShopEdit =
  | { verb: 'scale'; deployment: string; replicas: number }
  | { verb: 'set-image'; deployment: string; image: string }
  | { verb: 'edit'; configMap: string; key: string; value: string }
  | { verb: 'cordon' | 'uncordon'; node: string };

export type DemoCommand =
  | { kind: 'fix'; text: string }
  | { kind: 'click'; target: string; button: string; choice?: string }
  | { kind: 'submit'; text: string }
  | { kind: 'cancel' }
  | { kind: 'kubectl'; edit: ShopEdit }
  | { kind: 'git'; edit: ShopEdit }
  | { kind: 'wait'; ms: number; label: string }
  | { kind: 'switch'; person: string }
  | { kind: 'status' }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'nothing' }
  | { kind: 'error'; message: string };

export interface DemoLine {
  /** Who does it: `as bob …`; the current person when absent. */
  as?: string;
  command: DemoCommand;
}

export const DEMO_HELP_TEXT = `You are in the incident channel as one of the people below; Stopgap is running for real.
  /fix TEXT                       a slash command, as in Slack (/fix help lists them all), e.g.
                                  /fix scaled deploy/checkout -n shop to 5 for the incident
  click SG-3 codify|codified|reverted|dismiss|snooze 1d|snooze 1w
                                  a button or menu on the latest message about SG-3 you can see
                                  (codify: Stopgap sends you a patch for the manifests)
  click drift log|link|ignore     a button on the latest unclaimed-drift message or "log it?" DM
  submit TEXT                     fills in the form that just opened (its main field) and submits it
  cancel                          closes that form
  kubectl scale deploy/NAME --replicas N
  kubectl set image deploy/NAME api=IMAGE
  kubectl edit configmap NAME KEY=VALUE
  kubectl cordon NODE | kubectl uncordon NODE
                                  a change by hand on the cluster (the audit log names you)
  git scale|set image|edit …      the same change merged into the manifests (the desired state)
  wait 10m|2h|1d|1w               time passes: drift posts, reminders, the Monday digest
  as bob [COMMAND]                act as bob from now on, or for one command
  status                          the ledger and the drift Stopgap sees
  help | quit (or Ctrl-D)`;

const COMMAND_WORDS = ['/fix', 'click', 'submit', 'cancel', 'kubectl', 'git', 'wait', 'as', 'status', 'help', 'quit'];
const EDIT_VERBS = ['scale', 'set', 'edit', 'cordon', 'uncordon'];
const FIX_WORDS = ['list', 'show', 'codify', 'codified', 'reverted', 'snooze', 'dismiss', 'assign', 'claim', 'drift', 'help'];
const CHANGE_BUTTONS = ['codify', 'codified', 'reverted', 'dismiss', 'snooze'];
const DRIFT_BUTTONS = ['log', 'link', 'ignore'];
const SNOOZES = ['1d', '3d', '1w'];
const WAITS = ['10m', '1h', '1d', '1w'];
const WAIT_UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const MAX_WAIT_MS = 4 * WAIT_UNITS.w;
const MAX_REPLICAS = 1000;

/** Words split on blanks; "quoted words" stay one. */
export function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

export function parseDemoLine(line: string, names: ShopNames, people: readonly string[]): DemoLine {
  const trimmed = line.trim();
  const asMatch = /^as\s+(\S+)\s*([\s\S]*)$/.exec(trimmed);
  if (asMatch) {
    const person = (asMatch[1] ?? '').replace(/^@/, '').toLowerCase();
    if (!people.includes(person)) return { command: { kind: 'error', message: `Nobody called '${person}' is here; the people are ${people.join(' and ')}.` } };
    const rest = asMatch[2] ?? '';
    return rest === '' ? { command: { kind: 'switch', person } } : { as: person, command: parseCommand(rest, names) };
  }
  return { command: parseCommand(trimmed, names) };
}

function parseCommand(line: string, names: ShopNames): DemoCommand {
  if (line === '' || line.startsWith('#')) return { kind: 'nothing' };
  const fix = /^\/fix(?:\s+([\s\S]*))?$/.exec(line);
  if (fix) return { kind: 'fix', text: fix[1] ?? '' };
  const [head = '', ...rest] = words(line);
  switch (head.toLowerCase()) {
    case 'click':
      return parseClick(rest);
    case 'submit':
      return { kind: 'submit', text: line.replace(/^submit\s*/i, '') };
    case 'cancel':
      return { kind: 'cancel' };
    case 'kubectl':
    case 'git': {
      const edit = parseEdit(rest, names, head.toLowerCase() as 'kubectl' | 'git');
      return 'message' in edit ? { kind: 'error', message: edit.message } : { kind: head.toLowerCase() as 'kubectl' | 'git', edit };
    }
    case 'wait':
      return parseWait(rest);
    case 'status':
      return { kind: 'status' };
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'quit':
    case 'exit':
      return { kind: 'quit' };
    default:
      return { kind: 'error', message: `'${head}' is not something the demo understands; type help for what is.` };
  }
}

function parseClick(args: string[]): DemoCommand {
  const [rawTarget, button, choice, ...extra] = args;
  const usage = 'Say which message and which button, e.g. click SG-3 snooze 1d, or click drift log.';
  if (!rawTarget || !button || extra.length > 0) return { kind: 'error', message: usage };
  const target = /^sg-\d{1,9}$/i.test(rawTarget) ? rawTarget.toUpperCase() : rawTarget.toLowerCase();
  if (target !== 'drift' && !/^SG-\d+$/.test(target)) return { kind: 'error', message: `'${rawTarget}' is neither a change (SG-3) nor drift. ${usage}` };
  return { kind: 'click', target, button: button.toLowerCase(), ...(choice !== undefined ? { choice: choice.toLowerCase() } : {}) };
}

function parseWait(args: string[]): DemoCommand {
  const m = /^(\d{1,4})([mhdw])$/.exec(args[0] ?? '');
  if (!m || args.length > 1) return { kind: 'error', message: 'Say how long, a number and a unit: wait 10m, wait 2h, wait 1d, wait 1w.' };
  const ms = Number(m[1]) * WAIT_UNITS[m[2] as keyof typeof WAIT_UNITS];
  if (ms <= 0 || ms > MAX_WAIT_MS) return { kind: 'error', message: 'Wait between 1 minute and 4 weeks at a time.' };
  return { kind: 'wait', ms, label: args[0] ?? '' };
}

/** `deploy/x`, `deployment/x`, or the kind and the name as two words. */
function objectName(args: string[], kinds: readonly string[]): { name: string; rest: string[] } | undefined {
  const [first = '', second] = args;
  const slash = /^([a-z]+)\/(.+)$/i.exec(first);
  if (slash && kinds.includes((slash[1] ?? '').toLowerCase())) return { name: slash[2] ?? '', rest: args.slice(1) };
  if (kinds.includes(first.toLowerCase()) && second !== undefined) return { name: second, rest: args.slice(2) };
  return undefined;
}

function known(kind: string, name: string, all: readonly string[]): string | undefined {
  return all.includes(name) ? undefined : `There is no ${kind} '${name}' in the shop; there are ${all.join(', ')}.`;
}

const DEPLOYMENT_KINDS = ['deploy', 'deployment', 'deployments'];
const CONFIG_MAP_KINDS = ['cm', 'configmap', 'configmaps'];

function parseEdit(raw: string[], names: ShopNames, tool: 'kubectl' | 'git'): ShopEdit | { message: string } {
  // -n/--namespace: the shop has one.
  const args: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const a = raw[i] ?? '';
    const ns = a === '-n' || a === '--namespace' ? raw[++i] : /^--namespace=(.*)$/.exec(a)?.[1];
    if (ns === undefined) args.push(a);
    else if (ns !== names.namespace) return { message: `The shop runs in namespace ${names.namespace}, not '${ns}'.` };
  }
  const [verb = '', ...rest] = args;
  const example = `${tool} scale deploy/${names.deployments[0]} --replicas 5`;
  switch (verb.toLowerCase()) {
    case 'scale': {
      const target = objectName(rest, DEPLOYMENT_KINDS);
      if (!target) return { message: `Say which Deployment: ${example}.` };
      let replicas: string | undefined;
      for (let i = 0; i < target.rest.length; i++) {
        const a = target.rest[i] ?? '';
        if (a === '--replicas') replicas = target.rest[++i];
        else if (a.startsWith('--replicas=')) replicas = a.slice('--replicas='.length);
        else return { message: `'${a}' is not an option of scale; ${example}.` };
      }
      if (replicas === undefined || !/^\d{1,4}$/.test(replicas) || Number(replicas) > MAX_REPLICAS) return { message: `Say how many replicas, 0 to ${MAX_REPLICAS}: ${example}.` };
      const unknown = known('Deployment', target.name, names.deployments);
      return unknown ? { message: unknown } : { verb: 'scale', deployment: target.name, replicas: Number(replicas) };
    }
    case 'set': {
      const imageExample = `${tool} set image deploy/${names.deployments[0]} ${names.container}=registry.example.com/${names.deployments[0]}:0.9.7`;
      if ((rest[0] ?? '').toLowerCase() !== 'image') return { message: `Only set image is simulated: ${imageExample}.` };
      const target = objectName(rest.slice(1), DEPLOYMENT_KINDS);
      const m = /^([^=]+)=(\S+)$/.exec(target?.rest.join(' ') ?? '');
      if (!target || !m) return { message: `Say which Deployment and CONTAINER=IMAGE: ${imageExample}.` };
      if (m[1] !== names.container && m[1] !== '*') return { message: `The shop's Deployments run one container, ${names.container}: ${imageExample}.` };
      const unknown = known('Deployment', target.name, names.deployments);
      return unknown ? { message: unknown } : { verb: 'set-image', deployment: target.name, image: m[2] ?? '' };
    }
    case 'edit': {
      const editExample = `${tool} edit configmap ${names.configMaps[0]} LOG_LEVEL=debug`;
      const target = objectName(rest, CONFIG_MAP_KINDS);
      // No editor here: the change is given on the line.
      const m = /^([-._a-zA-Z0-9]{1,253})=([\s\S]{0,1000})$/.exec(target?.rest.join(' ') ?? '');
      if (!target || !m) return { message: `Only ConfigMap data is simulated, given as KEY=VALUE: ${editExample}.` };
      const unknown = known('ConfigMap', target.name, names.configMaps);
      return unknown ? { message: unknown } : { verb: 'edit', configMap: target.name, key: m[1] ?? '', value: m[2] ?? '' };
    }
    case 'cordon':
    case 'uncordon': {
      if (tool === 'git') return { message: `Nodes are not cordoned in git; kubectl ${verb.toLowerCase()} changes the cluster.` };
      const node = (rest[0] ?? '').replace(/^nodes?\//, '');
      if (!node || rest.length > 1) return { message: `Say which node: kubectl ${verb.toLowerCase()} ${names.nodes[0]}.` };
      const unknown = known('node', node, names.nodes);
      return unknown ? { message: unknown } : { verb: verb.toLowerCase() as 'cordon' | 'uncordon', node };
    }
    default:
      return { message: `${tool} ${verb} is not simulated; the demo knows scale, set image, edit configmap${tool === 'kubectl' ? ', cordon and uncordon' : ''}.` };
  }
}

export interface CompletionContext {
  names: ShopNames;
  people: readonly string[];
  /** SG-ids in the ledger. */
  changeKeys: readonly string[];
}

/** What Tab offers for the word being typed: readline's `[candidates, word]`. */
export function completeDemoLine(line: string, ctx: CompletionContext): [string[], string] {
  const asMatch = /^as\s+\S+\s+([\s\S]*)$/.exec(line);
  const body = asMatch ? (asMatch[1] ?? '') : line;
  const parts = body.split(/\s+/);
  const word = parts.at(-1) ?? '';
  const before = parts.slice(0, -1).map((p) => p.toLowerCase());
  const offer = (all: readonly string[]): [string[], string] => {
    // A whole word is followed by a space, as shells do, so the next Tab offers what comes after it.
    const hits = all.filter((c) => c.toLowerCase().startsWith(word.toLowerCase())).map((c) => (c.endsWith('=') ? c : `${c} `));
    return [hits, word];
  };
  const { names } = ctx;
  const [head, second, third] = before;
  if (before.length === 0) return offer(asMatch ? COMMAND_WORDS.filter((w) => w !== 'as') : COMMAND_WORDS);
  if (head === 'as' && before.length === 1) return offer(ctx.people);
  if (head === '/fix') {
    if (before.length === 1) return offer(FIX_WORDS);
    if (['show', 'codify', 'codified', 'reverted', 'snooze', 'dismiss', 'assign'].includes(second ?? '') && before.length === 2) return offer(ctx.changeKeys);
    return offer([]);
  }
  if (head === 'click') {
    if (before.length === 1) return offer([...ctx.changeKeys, 'drift']);
    if (before.length === 2) return offer(second === 'drift' ? [...DRIFT_BUTTONS, ...ctx.changeKeys] : CHANGE_BUTTONS);
    if (before.length === 3 && third === 'snooze') return offer(SNOOZES);
    return offer([]);
  }
  if (head === 'wait' && before.length === 1) return offer(WAITS);
  if (head === 'kubectl' || head === 'git') {
    if (before.length === 1) return offer(head === 'git' ? EDIT_VERBS.filter((v) => v !== 'cordon' && v !== 'uncordon') : EDIT_VERBS);
    const deployments = names.deployments.map((d) => `deploy/${d}`);
    if (second === 'scale' && before.length === 2) return offer(deployments);
    if (second === 'scale' && before.length === 3) return offer(['--replicas']);
    if (second === 'set' && before.length === 2) return offer(['image']);
    if (second === 'set' && before.length === 3) return offer(deployments);
    if (second === 'set' && before.length === 4) return offer([`${names.container}=`]);
    if (second === 'edit' && before.length === 2) return offer(['configmap']);
    if (second === 'edit' && before.length === 3) return offer(names.configMaps);
    if ((second === 'cordon' || second === 'uncordon') && before.length === 2) return offer(names.nodes);
  }
  return offer([]);
}
