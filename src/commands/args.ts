import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliIo } from './io.js';
import { writeLine } from './io.js';

/** What a subcommand accepts: its options (each declares `help`) and whether it takes positional arguments. */
export interface ArgsSpec {
  options: NonNullable<ParseArgsConfig['options']>;
  allowPositionals?: boolean;
}

/** `--help` / `-h`: declared by every subcommand. */
export const HELP_OPTION = { type: 'boolean', short: 'h' } as const;

type Parsed<S extends ArgsSpec> = ReturnType<typeof parseArgs<S & { args: string[]; strict: true; tokens: true }>>;

/** The option values of a command line parsed by `spec`, typed from its declaration. */
export type OptionValues<S extends ArgsSpec> = Parsed<S>['values'];

/**
 * `--help` or `-h` anywhere before a `--`: it wins over every other argument, even a malformed one
 * (`stopgap diff --desired --help`), so asking for help never runs anything.
 */
function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

function isOptionLike(value: string): boolean {
  return value.length > 1 && value.startsWith('-');
}

/**
 * What is wrong with a command line the strict parser refused, read from the same tokens it saw: the
 * first unknown option, stray argument, or option given a value it does not take (or not given one).
 */
function describeProblem(argv: string[], spec: ArgsSpec): string | undefined {
  const { tokens } = parseArgs({ args: argv, options: spec.options, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'positional') {
      if (!spec.allowPositionals) return `unexpected argument '${token.value}'`;
      continue;
    }
    if (token.kind !== 'option') continue;
    const option = spec.options[token.name];
    if (!option) return `unknown option '${token.rawName}'`;
    if (option.type === 'boolean' && token.value !== undefined) return `${token.rawName} takes no value`;
    if (option.type === 'string') {
      if (token.value === undefined) return `${token.rawName} needs a value`;
      if (!token.inlineValue && isOptionLike(token.value)) {
        return token.value.startsWith('--')
          ? `${token.rawName} needs a value`
          : `${token.rawName} needs a value; for one that starts with '-', write ${token.rawName}=${token.value}`;
      }
    }
  }
  return undefined;
}

/** A string option given as `--name=` names nothing: treated like a missing value. */
function emptyValue(tokens: readonly { kind: string; rawName?: string; value?: unknown }[] = []): string | undefined {
  for (const token of tokens) {
    if (token.kind === 'option' && token.value === '') return `${token.rawName} needs a value`;
  }
  return undefined;
}

/** The one line every subcommand prints for a command line it cannot run. Exit status 2. */
export function usageError(io: CliIo, command: string, problem: string): number {
  writeLine(io.stderr, `stopgap ${command}: ${problem}. Run 'stopgap ${command} --help'.`);
  return 2;
}

/**
 * Parses a subcommand's arguments strictly. Returns them, or the exit status when there is nothing
 * left to do: 0 after printing the help that was asked for, 2 after naming what is wrong.
 */
export function parseCommandLine<const S extends ArgsSpec>(command: string, help: string, spec: S, argv: string[], io: CliIo): Parsed<S> | number {
  const showHelp = () => {
    writeLine(io.stdout, help.trimEnd());
    return 0;
  };
  if (wantsHelp(argv)) return showHelp();
  let parsed: Parsed<S>;
  try {
    parsed = parseArgs({ ...spec, args: argv, strict: true, tokens: true }) as Parsed<S>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code?.startsWith('ERR_PARSE_ARGS_')) throw err;
    return usageError(io, command, describeProblem(argv, spec) ?? ((err as Error).message.split('\n')[0] ?? 'invalid arguments'));
  }
  if ((parsed.values as Record<string, unknown>)['help'] === true) return showHelp();
  const empty = emptyValue(parsed.tokens);
  if (empty) return usageError(io, command, empty);
  return parsed;
}
