import { DEFAULT_DB_PATH } from '../config/defaults.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine, usageError } from './args.js';
import type { CliIo, Command } from './io.js';
import { writeLine } from './io.js';

export const HELP = `stopgap: a ledger of incident-time manual cluster changes

Usage: stopgap [command] [options]

Commands:
  serve      run the Slack bot (default)
  migrate    create or upgrade the database at STOPGAP_DB
  verify     check the ledger's hash-chained event log (and --anchor SEQ:HASH from digests); exit 1 listing every problem
  diff       stopgap diff --desired FILE|- --live FILE|- [--json] [--trust-manager NAME] [--ignore POINTER]
  codify     stopgap codify SG-n [--out FILE] | --desired DIR --live FILE|- [--path POINTER]: drift as a patch for git
  scan       stopgap scan [--context NAME] [--json]: one pass over the configured clusters
  audit      stopgap audit ingest FILE|- [--cluster NAME]: keep people's writes from an audit log
  digest     stopgap digest --print [--team NAME] [--json] [--at TIME]: the weekly digest, printed
  backup     stopgap backup FILE [--force]: a consistent copy of the database, also while serve writes
  restore    stopgap restore FILE [--force]: replace the database with a verified backup (serve stopped)
  export     stopgap export --format csv|json [--since DATE] [--out FILE]: changes and their events
  config     stopgap config check [--config FILE] | schema: validate stopgap.yml, or print its JSON Schema
  doctor     stopgap doctor [--timeout SECONDS]: check tokens, scopes, channels, cluster RBAC and manifests
  help       show this text; stopgap help COMMAND (or stopgap COMMAND --help) shows a command's

Environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode),
SLACK_API_URL, PORT (3000), STOPGAP_DB (${DEFAULT_DB_PATH}), STOPGAP_CONFIG (stopgap.yml), KUBECONFIG.
`;

/** The command line `stopgap help` accepts: at most one command name. */
const HELP_ARGS = { options: { help: HELP_OPTION }, allowPositionals: true } satisfies ArgsSpec;

/** How `help` finds another command's help; the registry hands it in, so the two do not import each other. */
export interface CommandLookup {
  isCommandName(name: string): boolean;
  helpOf(name: string): Promise<string>;
}

export function helpCommand(commands: CommandLookup): Command {
  const run = async (argv: string[], io: CliIo): Promise<number> => {
    const parsed = parseCommandLine('help', HELP, HELP_ARGS, argv, io);
    if (typeof parsed === 'number') return parsed;
    const [topic, extra] = parsed.positionals;
    if (extra !== undefined) return usageError(io, 'help', `unexpected argument '${extra}'`);
    if (topic !== undefined && !commands.isCommandName(topic)) return usageError(io, 'help', `unknown command '${topic}'`);
    writeLine(io.stdout, (topic === undefined ? HELP : await commands.helpOf(topic)).trimEnd());
    return 0;
  };
  return { help: HELP, run };
}
