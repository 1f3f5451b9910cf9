import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  commands: Counter<'subcommand'>;
  changesCreated: Counter<'source'>;
  refusals: Counter<'code'>;
  ackSeconds: Histogram<'kind'>;
  deliveryFailures: Counter<'kind'>;
  changesByStatus: Gauge<'status'>;
  auditBatches: Counter<'outcome'>;
  reminders: Counter<'kind' | 'outcome'>;
  digests: Counter<'outcome'>;
}

/** One registry per process (or per test app), so parallel apps never share counters. */
export function createMetrics(opts: { defaultMetrics?: boolean; statusCounts?: () => Record<string, number> } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'stopgap_' });
  const statusCounts = opts.statusCounts;
  return {
    registry,
    commands: new Counter({
      name: 'stopgap_slash_commands_total',
      help: 'Slash commands handled, by parsed subcommand',
      labelNames: ['subcommand'],
      registers: [registry],
    }),
    changesCreated: new Counter({
      name: 'stopgap_changes_created_total',
      help: 'Changes recorded in the ledger, by entry point',
      labelNames: ['source'],
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'stopgap_refusals_total',
      help: 'Requests refused with an explanation (bad input, permission, lifecycle)',
      labelNames: ['code'],
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: 'stopgap_slack_ack_seconds',
      help: 'Time from a Slack request arriving to its acknowledgement being sent (after any ledger write committed)',
      labelNames: ['kind'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    deliveryFailures: new Counter({
      name: 'stopgap_slack_delivery_failures_total',
      help: 'Messages to Slack that could not be delivered (the ledger kept the change), by kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
    reminders: new Counter({
      name: 'stopgap_reminders_total',
      help: 'Reminder DMs and escalations handled by the sender, by kind and outcome (sent, retry, rate_limited, failed, skipped)',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
    digests: new Counter({
      name: 'stopgap_digests_total',
      help: 'Weekly digests by outcome (posted, updated in place, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    auditBatches: new Counter({
      name: 'stopgap_audit_batches_total',
      help: 'Audit webhook batches, by outcome (accepted, refused_<status>, busy, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    changesByStatus: new Gauge({
      name: 'stopgap_changes',
      help: 'Changes in the ledger by status',
      labelNames: ['status'],
      registers: [registry],
      collect() {
        if (!statusCounts) return;
        for (const [status, n] of Object.entries(statusCounts())) this.set({ status }, n);
      },
    }),
  };
}
