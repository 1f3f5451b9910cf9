import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { checkFileConfigText, FileConfig } from '../config/config.js';
import { durationSyntax } from '../config/duration.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine, usageError } from './args.js';
import type { CliIo, Command } from './io.js';
import { writeLine } from './io.js';

export const CONFIG_HELP = `Usage: stopgap config check [--config FILE]
       stopgap config schema

check   validates stopgap.yml with the loader serve uses: the file given with --config, else
        STOPGAP_CONFIG. Prints every problem, one a line, as FILE:LINE: path: what is wrong
        (e.g. stopgap.yml:7: clusters[0].desired.path: required).
schema  prints the JSON Schema of stopgap.yml (draft-07), generated from the same definitions, for
        editors: save it and point yaml-language-server or VS Code's YAML extension at it (README).
Exit status: 0 valid (or the schema printed), 2 invalid, unreadable, or no file named.`;

const CONFIG_ARGS = { options: { help: HELP_OPTION, config: { type: 'string' } }, allowPositionals: true } satisfies ArgsSpec;

/** The JSON Schema of stopgap.yml as people write it: durations as text, every defaulted key optional. */
export function fileConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(FileConfig, {
    io: 'input',
    target: 'draft-7',
    override: ({ zodSchema, jsonSchema }) => {
      const syntax = durationSyntax.get(zodSchema as unknown as z.ZodType);
      if (!syntax) return;
      // A duration is text such as 10m; the parser's wider input (any string or number) is only for its messages.
      const keep = { default: jsonSchema.default };
      for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Record<string, unknown>)[key];
      Object.assign(jsonSchema, { type: 'string', pattern: syntax.pattern, description: syntax.description }, keep.default === undefined ? {} : keep);
    },
  }) as Record<string, unknown>;
  const { $schema, ...rest } = schema;
  return { $schema, title: 'stopgap.yml', description: 'Stopgap configuration: every key is optional.', ...rest };
}

function check(file: string, io: CliIo): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    writeLine(io.stderr, `stopgap config: cannot read ${file} (${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}); check the path`);
    return 2;
  }
  const result = checkFileConfigText(text, file);
  if (result.ok) {
    const { clusters, teams } = result.config;
    const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    writeLine(io.stdout, `OK: ${file} is valid (${plural(clusters.length, 'cluster')}, ${plural(teams.length, 'team')})`);
    return 0;
  }
  for (const problem of result.problems) writeLine(io.stdout, problem);
  const n = result.problems.length;
  writeLine(io.stderr, `stopgap config: ${file} has ${n} problem${n === 1 ? '' : 's'}; serve would refuse to start with it.`);
  return 2;
}

export async function runConfig(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('config', CONFIG_HELP, CONFIG_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  const [action, extra] = parsed.positionals;
  if (extra !== undefined) return usageError(io, 'config', `unexpected argument '${extra}'`);
  if (action === 'schema') {
    if (parsed.values.config !== undefined) return usageError(io, 'config', '--config belongs to check; schema reads no file');
    writeLine(io.stdout, JSON.stringify(fileConfigJsonSchema(), null, 2));
    return 0;
  }
  if (action !== 'check') return usageError(io, 'config', action === undefined ? "say what to do: 'check' or 'schema'" : `unknown action '${action}'; 'check' or 'schema'`);
  const file = parsed.values.config ?? io.env.STOPGAP_CONFIG?.trim();
  if (!file) return usageError(io, 'config', 'no file to check: give --config FILE or set STOPGAP_CONFIG');
  return check(file, io);
}

export const command: Command = { help: CONFIG_HELP, run: runConfig };
