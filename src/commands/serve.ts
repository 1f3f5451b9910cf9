import { DEFAULT_DB_PATH } from '../config/defaults.js';
import { formatDuration } from '../config/duration.js';
import { isStopgapError } from '../errors.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine } from './args.js';
import type { CliIo, Command } from './io.js';
import { reportFailure } from './io.js';

export const SERVE_HELP = `Usage: stopgap serve

Runs the Slack bot until SIGINT or SIGTERM: Slack requests on POST /slack/events at PORT (default
3000), or over Socket Mode when SLACK_APP_TOKEN is set; GET /healthz, /readyz and /metrics; drift
watches on the clusters in STOPGAP_CONFIG. Creates or upgrades the database at STOPGAP_DB first.

Environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode),
SLACK_API_URL, PORT (3000), STOPGAP_DB (${DEFAULT_DB_PATH}), STOPGAP_CONFIG (stopgap.yml), KUBECONFIG.
SIGTERM (or SIGINT) shuts down gracefully: no new requests are taken, requests in flight are answered,
follow-up messages, a reminder being sent and a digest being posted finish and are recorded, drift
watches stop, the database closes. If that takes longer than shutdownTimeout in stopgap.yml (default
10s) it exits anyway, with a log line saying so.
Exit status: 0 after a clean shutdown, 1 when the shutdown ran out of time (or an unexpected error
stopped it), 2 when it cannot start (every missing or invalid setting named).`;

/** The command line `stopgap serve` accepts: nothing but --help; everything else is the environment. */
const SERVE_ARGS = { options: { help: HELP_OPTION } } satisfies ArgsSpec;

export async function runServe(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('serve', SERVE_HELP, SERVE_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  let server;
  try {
    const { startServer } = await import('../main.js');
    server = await startServer({ env: io.env });
  } catch (err) {
    // Slack unreachable is worth a restart by the orchestrator; a bad token or config is not.
    const code = reportFailure(io, 'serve', err);
    return isStopgapError(err) && err.code === 'slack_unreachable' ? 1 : code;
  }
  const s = server;
  return new Promise<number>((resolve) => {
    let exiting = false;
    const finish = (code: number, why: string) => {
      if (exiting) return;
      exiting = true;
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
      const timeoutMs = s.config.file.shutdownTimeout;
      s.logger.info({ reason: why, timeoutMs }, 'stopping: finishing requests and sends in flight');
      // A stop that hangs must not leave a half-alive process behind: after the deadline, exit non-zero
      // (what was committed is safe; a message Slack took but not yet recorded may go again).
      const force = setTimeout(() => {
        s.logger.error({ timeoutMs }, `shutdown did not finish within ${formatDuration(timeoutMs)}; exiting anyway`);
        resolve(1);
      }, timeoutMs);
      s.stop().then(
        () => {
          clearTimeout(force);
          resolve(code);
        },
        (err: unknown) => {
          clearTimeout(force);
          s.logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    // A promise nobody awaited failed: log it and keep serving; the request it belonged to was answered.
    const onRejection = (reason: unknown) => {
      s.logger.error({ err: reason }, 'unhandled promise rejection (still serving)');
    };
    // Anything thrown past every handler leaves the process in an unknown state: stop and exit non-zero
    // so the orchestrator restarts it, rather than serving on as a zombie.
    const onException = (err: unknown) => {
      s.logger.fatal({ err }, 'uncaught exception; shutting down');
      finish(1, 'uncaught exception');
    };
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    process.once('SIGINT', () => finish(0, 'SIGINT'));
    process.once('SIGTERM', () => finish(0, 'SIGTERM'));
  });
}

export const command: Command = { help: SERVE_HELP, run: runServe };
