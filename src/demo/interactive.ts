/**
 * `stopgap demo --interactive`: the demo's simulated world, driven by what the newcomer types at a
 * prompt (with history and Tab completion on a terminal): slash commands, button clicks, form
 * submissions, kubectl-like changes to the cluster, merges into the manifests, and time passing. Each
 * command is carried out as Slack, kubectl or git would (signed requests, objects changed on the API
 * server with the audit log naming the person, the manifests directory rewritten), and the session
 * shows what Stopgap does about it.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { listActiveFindings } from '../store/findings-store.js';
import type { Finding } from '../drift/findings.js';
import { completeDemoLine, DEMO_HELP_TEXT, parseDemoLine, type DemoCommand, type ShopEdit } from './commands.js';
import { describeFinding, renderCall, renderSlashReply, type ConsoleStyle } from './console.js';
import type { RecordedCall } from './fake-slack.js';
import { changeRows, DEMO_NAMES, formatChangeRow, INCIDENT_CHANNEL, PEOPLE, type DemoWorld, type Person } from './world.js';
import { CHANGE_SNOOZE_ACTION_ID } from '../slack/views/change-views.js';
import { DRIFT_POST_ACTION_IDS } from '../slack/views/drift-post.js';
import { waitFor } from './wait.js';

export interface InteractiveOptions {
  input: Readable;
  output: Writable;
  /** A terminal: line editing, history and completion. */
  terminal: boolean;
  style: ConsoleStyle;
}

const PEOPLE_BY_NAME: Record<string, Person> = Object.fromEntries(Object.values(PEOPLE).map((p) => [p.name, p]));
const SEEN_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral']);
/** How long the world must stay still before the prompt comes back, and the longest it waits for that. */
const QUIET_MS = 250;
const SETTLE_MAX_MS = 4_000;
/** How long a change on the cluster or in git may take to show in what the watch sees. */
const WATCH_MAX_MS = 4_000;

interface Snapshot {
  findings: Map<number, Finding>;
  links: Set<string>;
}

/** Runs the prompt until `quit` or the end of the input. */
export async function runInteractive(world: DemoWorld, opts: InteractiveOptions): Promise<void> {
  const { style } = opts;
  const people = Object.keys(PEOPLE_BY_NAME);
  // Last week's digest is a start-up catch-up in serve; here it is claimed, unshown, before the session begins.
  await world.server.digests.runDue({ update: false });
  let me: Person = PEOPLE.alice;
  let lastHour = '';
  let idle = false;
  const forms = new Map<string, RecordedCall>();
  const rl: Interface = createInterface({
    input: opts.input,
    output: opts.output,
    terminal: opts.terminal,
    historySize: 500,
    removeHistoryDuplicates: true,
    completer: (line: string) => completeDemoLine(line, { names: world.names, people, changeKeys: changeKeys(world) }),
  });
  // Taken at once: lines piped in arrive before the first prompt and must not be missed.
  const lines = rl[Symbol.asyncIterator]();
  const write = (text: string) => {
    if (idle && opts.terminal) {
      // Something happened while the person was typing: show it above their line.
      opts.output.write('\r\u001b[K');
      opts.output.write(`${text}\n`);
      rl.prompt(true);
    } else {
      opts.output.write(`${text}\n`);
    }
  };
  const hourOf = (d: Date) => d.toUTCString().replace(/:\d\d GMT$/, ' UTC').replace(/ \d{4} /, ' ');
  const stop = world.slack.onCall((call) => {
    const shown = renderCall(call, DEMO_NAMES, style);
    if (!shown) return;
    const hour = hourOf(world.clock.now());
    if (hour !== lastHour) {
      lastHour = hour;
      write(style.context(`── ${hour} ──`));
    }
    write(shown);
  });

  const snapshot = (): Snapshot => ({
    findings: new Map(listActiveFindings(world.server.db, {}).map((f) => [f.id, f])),
    links: new Set((world.server.db.prepare('SELECT change_id AS c, finding_id AS f FROM drift_links').all() as { c: number; f: number }[]).map((r) => `${r.c}:${r.f}`)),
  });
  const signature = () => `${world.slack.calls.length}|${driftKey(snapshot())}`;
  /** Waits until nothing has moved for a moment, then says what Stopgap's watch and linker did. */
  const settle = async (before: Snapshot, moved?: () => boolean) => {
    if (moved) await waitFor(() => moved(), 'the watch', WATCH_MAX_MS).catch(() => undefined);
    const deadline = Date.now() + SETTLE_MAX_MS;
    let last = signature();
    let stillSince = Date.now();
    while (Date.now() < deadline && Date.now() - stillSince < QUIET_MS) {
      await new Promise((r) => setTimeout(r, 50));
      const now = signature();
      if (now !== last) {
        last = now;
        stillSince = Date.now();
      }
    }
    const after = snapshot();
    for (const [id, f] of after.findings) if (!before.findings.has(id)) write(`${style.lead('Stopgap sees drift:')} ${describeFinding(f)}`);
    for (const [id, f] of before.findings) if (!after.findings.has(id)) write(`${style.lead('Stopgap sees it reconciled:')} ${f.ref.kind} ${objectName(f)} ${f.path} matches the manifests again`);
    for (const link of after.links) {
      if (before.links.has(link)) continue;
      const [change, finding] = link.split(':').map(Number);
      const f = after.findings.get(finding ?? 0);
      if (f) write(`${style.lead('Stopgap links')} SG-${change} ← ${f.ref.kind} ${f.ref.name} ${f.path}`);
    }
  };

  const say = (text: string) => write(style.narrate(text));
  const run = async (who: Person, command: DemoCommand): Promise<boolean> => {
    switch (command.kind) {
      case 'nothing':
        return true;
      case 'quit':
        return false;
      case 'help':
        say(DEMO_HELP_TEXT);
        return true;
      case 'error':
        say(command.message);
        return true;
      case 'switch':
        me = PEOPLE_BY_NAME[command.person] ?? me;
        rl.setPrompt(promptOf(me, style));
        return true;
      case 'status':
        status(world, write, style);
        return true;
      case 'fix': {
        const res = await world.fix(who, command.text);
        if (res.status !== 200) say(`Slack got HTTP ${res.status} from Stopgap.`);
        const shown = renderSlashReply(res.json, DEMO_NAMES, style);
        if (shown) write(shown);
        return true;
      }
      case 'click': {
        const found = findButton(world, who, command);
        if (typeof found === 'string') {
          say(found);
          return true;
        }
        await world.press(who, found.call, found.actionId, command.choice);
        return true;
      }
      case 'submit': {
        const form = forms.get(who.id);
        if (!form) {
          say('No form is open; buttons such as "Log it" or "Mark codified" open one.');
          return true;
        }
        const res = await world.submitForm(who, form, command.text);
        const errors = (res.json as { response_action?: string; errors?: Record<string, string> } | undefined)?.errors;
        if (errors) say(`The form says: ${Object.values(errors).join(' ')} (fix it with submit TEXT, or cancel)`);
        else forms.delete(who.id);
        return true;
      }
      case 'cancel':
        say(forms.delete(who.id) ? 'The form is closed; nothing was submitted.' : 'No form is open.');
        return true;
      case 'kubectl':
        await kubectl(world, who, command.edit);
        return true;
      case 'git':
        gitMerge(world, command.edit);
        say(`A pull request changing ${editText(command.edit)} is merged; the manifests directory says so now.`);
        return true;
      case 'wait': {
        const to = new Date(world.clock.now().getTime() + command.ms);
        say(`${command.label} passes…`);
        await world.advance(to);
        say(`It is ${hourOf(world.clock.now())}.`);
        return true;
      }
    }
  };

  say(`Interactive demo: the world of the story, before anything happened (${hourOf(world.clock.now())}). Type help for what you can do; Tab completes.`);
  rl.setPrompt(promptOf(me, style));
  try {
    idle = true;
    if (opts.terminal) rl.prompt();
    for await (const line of { [Symbol.asyncIterator]: () => lines }) {
      idle = false;
      if (!opts.terminal) write(`${promptOf(me, style)}${line}`);
      const parsed = parseDemoLine(line, world.names, people);
      const who = parsed.as ? (PEOPLE_BY_NAME[parsed.as] ?? me) : me;
      const before = snapshot();
      const callsBefore = world.slack.calls.length;
      const edit = parsed.command.kind === 'kubectl' || parsed.command.kind === 'git';
      let go = true;
      try {
        go = await run(who, parsed.command);
        if (parsed.command.kind !== 'nothing' && parsed.command.kind !== 'error') await settle(before, edit ? () => driftKey(snapshot()) !== driftKey(before) : undefined);
      } catch (err) {
        say(`That did not work: ${(err as Error).message}`);
      }
      const opened = world.slack.calls.slice(callsBefore).filter((c) => c.method === 'views.open' && c.ok).at(-1);
      if (opened) {
        forms.set(who.id, opened);
        say('Type submit followed by what you would write in it (its first field), or cancel.');
      }
      if (!go) break;
      idle = true;
      if (opts.terminal) rl.prompt();
    }
  } finally {
    idle = false;
    stop();
    rl.close();
  }
}

function promptOf(me: Person, style: ConsoleStyle): string {
  return `${style.lead(`${me.name} in #${INCIDENT_CHANNEL.name}`)}> `;
}

/** What the watch and the linker know: each active finding with its live value, and the links. */
function driftKey(s: Snapshot): string {
  return `${[...s.findings.values()].map((f) => `${f.id}=${JSON.stringify(f.live)}`).join(',')}|${[...s.links].join(',')}`;
}

function objectName(f: Finding): string {
  return `${f.ref.namespace ? `${f.ref.namespace}/` : ''}${f.ref.name}`;
}

function changeKeys(world: DemoWorld): string[] {
  const keys: string[] = [];
  for (let id = 1; id <= world.server.ledger.count(); id++) keys.push(`SG-${id}`);
  return keys;
}

function editText(edit: ShopEdit): string {
  switch (edit.verb) {
    case 'scale':
      return `deploy/${edit.deployment} replicas to ${edit.replicas}`;
    case 'set-image':
      return `deploy/${edit.deployment}'s image to ${edit.image}`;
    case 'edit':
      return `configmap/${edit.configMap} ${edit.key} to ${JSON.stringify(edit.value)}`;
    default:
      return `node/${edit.node}`;
  }
}

async function kubectl(world: DemoWorld, who: Person, edit: ShopEdit): Promise<void> {
  switch (edit.verb) {
    case 'scale':
      return world.kubectl.scale(who, edit.deployment, edit.replicas);
    case 'set-image':
      return world.kubectl.setImage(who, edit.deployment, edit.image);
    case 'edit':
      return world.kubectl.edit(who, edit.configMap, edit.key, edit.value);
    case 'cordon':
      return world.kubectl.cordon(who, edit.node);
    case 'uncordon':
      return world.kubectl.uncordon(who, edit.node);
  }
}

function gitMerge(world: DemoWorld, edit: ShopEdit): void {
  switch (edit.verb) {
    case 'scale':
      return world.git.setReplicas(edit.deployment, edit.replicas);
    case 'set-image':
      return world.git.setImage(edit.deployment, edit.image);
    case 'edit':
      return world.git.setConfig(edit.configMap, edit.key, edit.value);
    default:
      // The parser refuses nodes in git.
      return;
  }
}

interface Element {
  action_id?: string;
  text?: { text?: string };
}

/** The latest message the person can see with the button they named, or why there is none. */
function findButton(world: DemoWorld, who: Person, click: Extract<DemoCommand, { kind: 'click' }>): { call: RecordedCall; actionId: string } | string {
  const sees = (c: RecordedCall) =>
    c.ok && SEEN_METHODS.has(c.method) && (c.method === 'chat.postEphemeral' ? c.fields.user === who.id : c.fields.channel === who.id || (c.fields.channel ?? '').startsWith('C'));
  const wanted = click.target === 'drift' && /^sg-\d+$/i.test(click.button) ? `${DRIFT_POST_ACTION_IDS.pickChange}_${click.button.slice(3)}` : click.button;
  const matches = (e: Element) => {
    const id = e.action_id ?? '';
    if (click.target === 'drift' ? !id.startsWith('drift_') : !id.startsWith('change_')) return false;
    return id === wanted || id.split('_').includes(wanted) || (e.text?.text ?? '').toLowerCase().includes(wanted);
  };
  let seenTarget = false;
  for (const call of [...world.slack.calls].reverse()) {
    if (!sees(call)) continue;
    for (const block of (call.blocks ?? []) as { block_id?: string; elements?: Element[] }[]) {
      if (click.target !== 'drift' && block.block_id !== `change_actions:${click.target}`) continue;
      if (click.target === 'drift' && !(block.elements ?? []).some((e) => (e.action_id ?? '').startsWith('drift_'))) continue;
      seenTarget = true;
      const element = (block.elements ?? []).find(matches);
      if (!element?.action_id) continue;
      if (element.action_id === CHANGE_SNOOZE_ACTION_ID && click.choice === undefined) return 'Say for how long: click SG-n snooze 1d, 3d or 1w.';
      return { call, actionId: element.action_id };
    }
  }
  if (!seenTarget) {
    return click.target === 'drift'
      ? `@${who.name} has no message about unclaimed drift to click on; drift nobody logs is posted after ten minutes (wait 15m).`
      : `@${who.name} has no message with buttons for ${click.target}; its owner gets one with each reminder.`;
  }
  return `No '${click.button}' on the latest message about ${click.target}; try ${click.target === 'drift' ? 'log, link or ignore' : 'codified, reverted, dismiss or snooze 1d'}.`;
}

function status(world: DemoWorld, write: (t: string) => void, style: ConsoleStyle): void {
  write(style.header(`The ledger at ${world.clock.now().toISOString().slice(0, 16)}Z`));
  const rows = changeRows(world);
  if (rows.length === 0) write('  (no changes logged yet)');
  for (const row of rows) write(formatChangeRow(row));
  const findings = listActiveFindings(world.server.db, {});
  write(style.header('Drift Stopgap sees'));
  if (findings.length === 0) write('  (none: the cluster matches the manifests)');
  for (const f of findings) write(`  ${describeFinding(f)}`);
}
