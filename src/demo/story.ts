/**
 * The demo's story, told on the real code paths: an incident, three hand-made changes, Stopgap
 * detecting and attributing them, people logging them (a slash command, a "log it?" DM, another
 * slash command), days of reminders with a snooze and an escalation, Monday's digest, a change
 * codified in git and another reverted, both verified by the scanner, and the ledger verified.
 */
import { listActiveFindings } from '../store/findings-store.js';
import { changeKey as formatChangeId } from '../ledger/model.js';
import type { RecordedCall } from './fake-slack.js';
import { describeFinding, renderCall, renderSlashReply, type ConsoleStyle } from './console.js';
import { changeRows, DEMO_NAMES as NAMES, INCIDENT_CHANNEL, NODE, PEOPLE, PLATFORM_CHANNEL, type ChangeRow, type DemoWorld, type Person } from './world.js';
import type { SlackHttpResponse } from './slack-requests.js';
import { LOG_CHANGE_BLOCK_IDS } from '../slack/views/log-change-modal.js';

/** Tuesday 1 December 2026, 03:00 UTC: the night of the incident. */
export const STORY_START = new Date('2026-12-01T03:00:00Z');


export interface StoryResult {
  /** Each change at the end: id, owner, status, verified. */
  changes: ChangeRow[];
  seconds: number;
}

const at = (iso: string) => new Date(iso);

export async function tellStory(world: DemoWorld, out: (text: string) => void, style: ConsoleStyle): Promise<StoryResult> {
  const t0 = Date.now();
  const { alice, bob } = PEOPLE;
  const say = (text: string) => out(`\n${style.narrate(`▶ ${text}`)}`);
  const shell = (who: Person, command: string) => out(`${style.lead(`${who.name}$`)} ${command}`);
  const stop = world.slack.onCall((call) => {
    const shown = renderCall(call, NAMES, style);
    if (shown) out(shown);
  });
  const typed = async (who: Person, text: string): Promise<SlackHttpResponse> => {
    out(`${style.lead(`${who.name} in #${INCIDENT_CHANNEL.name}:`)} /fix ${text}`);
    const res = await world.fix(who, text);
    if (res.status !== 200) throw new Error(`/fix answered HTTP ${res.status}`);
    const shown = renderSlashReply(res.json, NAMES, style);
    if (shown) out(shown);
    return res;
  };
  const findings = () => listActiveFindings(world.server.db, { cluster: 'shop-prod' });
  const linked = (name: string) => {
    const f = findings().find((x) => x.ref.name === name);
    if (!f) return undefined;
    const row = world.server.db.prepare('SELECT change_id AS id FROM drift_links WHERE finding_id = ?').get(f.id) as { id: number } | undefined;
    return row ? { finding: f, change: row.id } : undefined;
  };
  const lastCall = (method: string, match: (c: RecordedCall) => boolean) => world.slack.calls.filter((c) => c.method === method && match(c)).at(-1);
  const dm = (who: Person, contains: string) => (c: RecordedCall) => c.fields.channel === who.id && `${c.fields.text ?? ''}${JSON.stringify(c.blocks ?? '')}`.includes(contains);
  const day = async (iso: string, title: string, opts: { digest?: boolean; reminders?: boolean } = {}) => {
    world.clock.jumpTo(at(iso));
    say(title);
    await world.tick(opts);
  };

  try {
    say(`Tuesday 03:00 UTC. INC-4821: checkout times out under a sales spike. Alice and Bob patch production by hand.`);
    shell(alice, 'kubectl scale deployment/checkout -n shop --replicas 10');
    await world.kubectl.scale(alice, 'checkout', 10);
    shell(alice, 'kubectl edit configmap/checkout-config -n shop   # LOG_LEVEL: info → debug');
    await world.kubectl.edit(alice, 'checkout-config', 'LOG_LEVEL', 'debug');
    shell(bob, `kubectl cordon ${NODE}   # the node with the noisy neighbour`);
    await world.kubectl.cordon(bob, NODE);
    const seen = Date.now();
    const drift = await world.waitFor(() => {
      const f = findings();
      return f.length >= 3 ? f : undefined;
    }, 'the three hand-made changes to show as drift');
    say(`Stopgap's watch saw all three within ${Date.now() - seen} ms: live state against the manifests, each field's writer from managedFields (the audit log names the person):`);
    for (const f of drift) out(`    ${describeFinding(f)}`);

    say('Alice logs the scale as she makes it. Stopgap links it to the drift it explains.');
    await typed(alice, 'scaled deploy/checkout -n shop to 10 for INC-4821 --cluster shop-prod');
    const scale = await world.waitFor(() => linked('checkout'), 'the scale to be linked');
    out(`    ${formatChangeId(scale.change)} ← ${scale.finding.ref.kind} ${scale.finding.ref.name} ${scale.finding.path}`);

    say('Bob logs his cordon.');
    await typed(bob, `cordoned node/${NODE} for INC-4821, noisy neighbour --cluster shop-prod`);
    const cordon = await world.waitFor(() => linked(NODE), 'the cordon to be linked');
    out(`    ${formatChangeId(cordon.change)} ← Node ${NODE} ${cordon.finding.path}`);

    await day('2026-12-01T03:20:00Z', 'Ten minutes on, nobody has claimed the ConfigMap edit: Stopgap posts it and asks the person the audit log names.');
    const nudge = await world.waitFor(() => lastCall('chat.postMessage', dm(alice, 'You changed')), 'the "you changed it, log it?" DM to Alice');
    say('Alice presses "Log it" in that DM; the form opens filled in from the drift, and she says why.');
    await world.press(alice, nudge, 'drift_log_it');
    const form = await world.slack.waitForCall('views.open', (c) => JSON.stringify(c.view ?? '').includes('checkout-config'));
    await world.submitForm(alice, form, 'LOG_LEVEL=debug on checkout-config to catch the timeouts', { [LOG_CHANGE_BLOCK_IDS.incident]: 'INC-4821' });
    const config = await world.waitFor(() => linked('checkout-config'), 'the ConfigMap edit to be linked');
    out(`    ${formatChangeId(config.change)} ← ConfigMap checkout-config ${config.finding.path}`);

    await day('2026-12-02T09:30:00Z', 'Wednesday 09:30 UTC. The incident is over; the patches are still there. The first reminders go out.');
    const reminder = await world.waitFor(() => lastCall('chat.postMessage', dm(alice, formatChangeId(config.change))), "Alice's reminder");
    say('Alice keeps debug logging for the postmortem: she snoozes that one for a week from the DM.');
    await world.press(alice, reminder, 'change_snooze', '1w');
    await world.waitFor(() => lastCall('chat.update', (c) => JSON.stringify(c.blocks ?? '').includes(`${formatChangeId(config.change)} is snoozed`)), 'the snoozed reminder to be redrawn');
    const scaleReminder = await world.waitFor(() => lastCall('chat.postMessage', dm(alice, formatChangeId(scale.change))), "Alice's reminder of the scale");
    say('And the scale until after the weekend, when she will have time to open a pull request.');
    await world.press(alice, scaleReminder, 'change_snooze', '3d');
    await world.waitFor(() => lastCall('chat.update', (c) => JSON.stringify(c.blocks ?? '').includes(`${formatChangeId(scale.change)} is snoozed`)), 'the second snooze');

    await day('2026-12-03T09:30:00Z', 'Thursday: Bob is reminded again.');
    await day('2026-12-04T09:30:00Z', 'Friday: and again. Nobody answers.');
    await day('2026-12-07T09:00:00Z', 'Monday 09:00 UTC: the weekly digest of what is still unreconciled.', { digest: true, reminders: false });
    await world.waitFor(() => lastCall('chat.postMessage', (c) => c.fields.channel === INCIDENT_CHANNEL.id && JSON.stringify(c.blocks ?? '').includes('Ledger head')), 'the digest');
    await day('2026-12-07T09:30:00Z', 'Monday 09:30: three reminders unanswered, so Stopgap escalates the cordon to #platform.');
    await world.waitFor(() => lastCall('chat.postMessage', (c) => c.fields.channel === PLATFORM_CHANNEL.id), 'the escalation');

    await day('2026-12-07T11:00:00Z', 'Monday 11:00. Alice codifies the scale. She presses Codify on its reminder: Stopgap writes the live value into the manifests for her.');
    const latest = await world.waitFor(() => lastCall('chat.postMessage', dm(alice, formatChangeId(scale.change))), "the scale's latest reminder");
    await world.press(alice, latest, 'change_codify');
    await world.waitFor(() => world.slack.files.find((f) => f.filename === `codify-${formatChangeId(scale.change)}.patch`), 'the patch in her DM');
    say('She opens a pull request with that patch and tells Stopgap.');
    await typed(alice, `codified ${formatChangeId(scale.change)} https://git.example.com/shop/manifests/pull/42`);
    say('The PR merges; the manifests directory now says replicas: 10.');
    world.git.setReplicas('checkout', 10);
    await world.waitFor(() => world.server.ledger.get(scale.change)?.status === 'codified', `${formatChangeId(scale.change)} to close as codified`);
    // The owner hears how the scanner knows.
    await world.waitFor(() => lastCall('chat.postMessage', (c) => dm(alice, formatChangeId(scale.change))(c) && dm(alice, 'closed by itself')(c)), 'the closing DM to Alice');
    say('Bob uncordons the node.');
    shell(bob, `kubectl uncordon ${NODE}`);
    await world.kubectl.uncordon(bob, NODE);
    await world.waitFor(() => world.server.ledger.get(cordon.change)?.status === 'reverted', `${formatChangeId(cordon.change)} to close as reverted`);
    await world.waitFor(() => lastCall('chat.postMessage', (c) => dm(bob, formatChangeId(cordon.change))(c) && dm(bob, 'closed by itself')(c)), 'the closing DM to Bob');
  } finally {
    stop();
  }
  return { changes: changeRows(world), seconds: (Date.now() - t0) / 1000 };
}
