import { configBaseDir, credentialsOf, loadServeConfig, type ServeConfig } from '../config/config.js';
import { countProblems, note, ok, renderReport, type CheckGroup } from '../doctor/report.js';
import { redactSecrets, registerKnownSecrets } from '../redact.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine, usageError } from './args.js';
import type { CliIo, Command } from './io.js';
import { reportFailure, writeLine } from './io.js';

const DEFAULT_TIMEOUT_SECONDS = 10;

export const DOCTOR_HELP = `Usage: stopgap doctor [--timeout SECONDS]

Checks the configuration serve would start with (the same environment and STOPGAP_CONFIG) against
Slack and the clusters, and names every problem with its fix, grouped by area:
  Slack           SLACK_BOT_TOKEN valid (auth.test); the scopes manifest.yml asks for granted;
                  in Socket Mode, SLACK_APP_TOKEN valid (apps.connections.open; no socket opened)
  Slack channels  every channel stopgap.yml posts to exists, and the bot can post there
  Cluster NAME    kubeconfig; the API server answers discovery of the configured kinds; RBAC allows
                  list and watch on each (SelfSubjectAccessReview, per configured namespace); the
                  manifests directory, if desired state is one, can be read and parsed
Tokens are never printed, only a fingerprint (their prefix and the start of their SHA-256).

Options:
  --timeout SECONDS  how long each call to Slack or a cluster may wait for an answer (default ${DEFAULT_TIMEOUT_SECONDS})

Exit status: 0 every check passed, 1 a problem was found, 2 the configuration cannot be loaded or
the command line is wrong.`;

const DOCTOR_ARGS = {
  options: {
    help: HELP_OPTION,
    timeout: { type: 'string' },
  },
} satisfies ArgsSpec;

function timeoutMs(value: string | undefined): number | string {
  if (value === undefined) return DEFAULT_TIMEOUT_SECONDS * 1000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) return `--timeout must be a number of seconds above 0 and at most 600, not '${value}'`;
  return Math.round(seconds * 1000);
}

function configurationChecks(config: ServeConfig): CheckGroup {
  const file = config.configPath ? `${config.configPath} is valid` : 'STOPGAP_CONFIG is not set: the defaults apply';
  const mode = config.slack.mode === 'socket' ? 'Socket Mode (SLACK_APP_TOKEN)' : 'HTTP mode (SLACK_SIGNING_SECRET)';
  const checks = [ok(`the environment and stopgap.yml load: ${file}; Slack in ${mode}`)];
  if (config.file.clusters.length === 0) checks.push(note('no clusters configured: no drift is watched (add clusters: to stopgap.yml)'));
  return { area: 'Configuration', checks };
}

export async function runDoctor(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('doctor', DOCTOR_HELP, DOCTOR_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  const timeout = timeoutMs(parsed.values.timeout);
  if (typeof timeout === 'string') return usageError(io, 'doctor', timeout);

  let config: ServeConfig;
  try {
    config = loadServeConfig(io.env);
  } catch (err) {
    return reportFailure(io, 'doctor', err);
  }
  // Whatever Slack or a cluster says back, no credential of ours reaches the output.
  registerKnownSecrets(credentialsOf(config));

  // The Slack and Kubernetes clients load only now: --help and a configuration error answer at once.
  const [{ checkSlack }, { checkCluster }] = await Promise.all([import('../doctor/slack-checks.js'), import('../doctor/cluster-checks.js')]);
  const baseDir = configBaseDir(config);
  // Slack and every cluster at once: one that does not answer costs its timeout, not everyone's.
  const [slack, clusters] = await Promise.all([
    checkSlack({ slack: config.slack, ...(config.slackApiUrl ? { slackApiUrl: config.slackApiUrl } : {}), file: config.file, timeoutMs: timeout }),
    Promise.all(config.file.clusters.map((cluster) => checkCluster(cluster, { env: io.env, baseDir, timeoutMs: timeout }))),
  ]);
  const groups = [configurationChecks(config), ...slack, ...clusters];
  for (const line of renderReport(groups)) writeLine(io.stdout, redactSecrets(line));
  return countProblems(groups) > 0 ? 1 : 0;
}

export const command: Command = { help: DOCTOR_HELP, run: runDoctor };
