import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument as parseYamlDocument } from 'yaml';
import { z } from 'zod';
import { StopgapError } from '../errors.js';
import { ClusterConfig, DriftConfig } from './clusters.js';
import { SlackChannelId, SlackUserId } from './slack-ids.js';
import { TeamsConfig } from './teams.js';
import { AuditConfig } from './audit.js';
import { NaggingConfig } from './nagging.js';
import { DigestConfig } from './digest.js';
import { uniqueNames } from './unique-names.js';
import { DEFAULT_DB_PATH } from './defaults.js';
import { RetentionConfig, ShutdownTimeout } from './lifecycle.js';
import { schemaProblems, yamlProblems } from './problems.js';

/** `stopgap.yml`: everything optional; an empty file is a valid configuration. */
export const FileConfig = z
  .object({
    /** Slack user IDs who may close, dismiss or reassign any change. */
    admins: z.array(SlackUserId).default([]),
    /** Days a new change has before it is due. */
    defaultDueDays: z.number().int().min(1).max(365).default(7),
    /** Channel names matching this (case-insensitive) are incident channels: their name is the incident ref. */
    incidentChannelPattern: z
      .string()
      .default('^(inc|incident)[-_]')
      .refine(
        (s) => {
          try {
            new RegExp(s, 'i');
            return true;
          } catch {
            return false;
          }
        },
        { message: 'not a valid regular expression' },
      ),
    clusters: z
      .array(ClusterConfig)
      .default([])
      // Findings are keyed by cluster name: two clusters with one name would resolve each other's drift.
      .superRefine(uniqueNames('cluster')),
    drift: DriftConfig.prefault({}),
    /** Where drift (and, later, escalations and the digest) goes when no team's match covers it. */
    defaultChannel: SlackChannelId.optional(),
    teams: TeamsConfig,
    audit: AuditConfig.prefault({}),
    /** Reminders and escalations (see config/nagging.ts); a team may override any key. */
    nagging: NaggingConfig.prefault({}),
    /** When the weekly digest is posted (see config/digest.ts); a team may set its own keys. */
    digest: DigestConfig.prefault({}),
    /** How long drift history (scan runs, resolved findings) is kept (see config/lifecycle.ts). */
    retention: RetentionConfig.prefault({}),
    /** How long SIGTERM may take: in-flight requests and sends finish, then the database closes. */
    shutdownTimeout: ShutdownTimeout,
  })
  .strict();
export type FileConfig = z.infer<typeof FileConfig>;

const Port = z.coerce.number({ message: 'must be a port number from 0 to 65535' }).int('must be a whole port number').min(0, 'must be a port number from 0 to 65535').max(65535, 'must be a port number from 0 to 65535');

const EnvConfig = z.object({
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-/, { message: 'must be a bot token starting with xoxb- (OAuth & Permissions → Bot User OAuth Token)' })
    .optional(),
  SLACK_SIGNING_SECRET: z.string().min(8, { message: 'too short (Basic Information → App Credentials → Signing Secret)' }).optional(),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, { message: 'must be an app-level token starting with xapp- (Basic Information → App-Level Tokens, scope connections:write)' })
    .optional(),
  SLACK_API_URL: z.url({ message: 'must be a URL such as https://slack.com/api/' }).optional(),
  PORT: Port.default(3000),
  /** Serve /metrics on its own port, so it need not be exposed with Slack's endpoint. */
  METRICS_PORT: Port.optional(),
  STOPGAP_DB: z.string().min(1).default(DEFAULT_DB_PATH),
  STOPGAP_CONFIG: z.string().min(1).optional(),
  /** The audit webhook's bearer token (overrides audit.token in stopgap.yml). */
  STOPGAP_AUDIT_TOKEN: z.string().min(16, { message: 'use a token of at least 16 characters (e.g. openssl rand -hex 24)' }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type SlackMode =
  | { mode: 'http'; botToken: string; signingSecret: string }
  | { mode: 'socket'; botToken: string; appToken: string; signingSecret?: string };

export interface Config {
  port: number;
  metricsPort?: number;
  dbPath: string;
  configPath?: string;
  logLevel: z.infer<typeof EnvConfig>['LOG_LEVEL'];
  slackApiUrl?: string;
  file: FileConfig;
}

export interface ServeConfig extends Config {
  slack: SlackMode;
}

function problemsOf(error: z.ZodError, where: (path: PropertyKey[]) => string): string[] {
  return error.issues.map((issue) => `${where(issue.path)}: ${issue.message}`);
}

/** Treat empty environment variables as unset: `FOO=` in a .env file means "not configured". */
function envSubset(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(EnvConfig.shape)) {
    const v = env[key];
    if (v !== undefined && v.trim() !== '') out[key] = v.trim();
  }
  return out;
}

export function loadFileConfig(path: string): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new StopgapError(
      'config_invalid',
      `STOPGAP_CONFIG: cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'}); check the path or unset STOPGAP_CONFIG`,
      { cause },
    );
  }
  const checked = checkFileConfigText(text, path);
  if (!checked.ok) throw new StopgapError('config_invalid', checked.problems.join('\n'));
  return checked.config;
}

/**
 * Checks stopgap.yml's text: the file config, or every problem one a line as `FILE:LINE: path: what is
 * wrong` (every YAML syntax error, else every schema problem). What `loadFileConfig` and `stopgap config
 * check` both report.
 */
export function checkFileConfigText(text: string, path: string): { ok: true; config: FileConfig } | { ok: false; problems: string[] } {
  const lines = new LineCounter();
  const doc = parseYamlDocument(text, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) return { ok: false, problems: yamlProblems(doc, lines, path) };
  let raw: unknown;
  try {
    raw = doc.toJS() ?? {};
  } catch (err) {
    // Too many aliases (a "billion laughs" file) and the like: refused, not expanded.
    return { ok: false, problems: [`${path}: not valid YAML: ${(err as Error).message.split('\n')[0]}`] };
  }
  const parsed = FileConfig.safeParse(raw);
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, problems: schemaProblems(parsed.error, raw, doc, lines, path) };
}

/** Loads settings every command needs (database, config file); Slack settings are not required. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const subset = envSubset(env);
  const parsed = EnvConfig.safeParse(subset);
  const problems: string[] = parsed.success ? [] : problemsOf(parsed.error, (p) => p.join('.'));
  let file: FileConfig | undefined;
  try {
    file = subset.STOPGAP_CONFIG ? loadFileConfig(subset.STOPGAP_CONFIG) : FileConfig.parse({});
  } catch (err) {
    if (!(err instanceof StopgapError)) throw err;
    problems.push(...err.message.split('\n'));
  }
  if (!parsed.success || !file || problems.length > 0) {
    throw new StopgapError('config_invalid', problems.join('\n'));
  }
  const e = parsed.data;
  // The environment's audit token wins over the file's, so the file can be kept free of it.
  if (e.STOPGAP_AUDIT_TOKEN) file = { ...file, audit: { ...file.audit, token: e.STOPGAP_AUDIT_TOKEN } };
  return {
    port: e.PORT,
    metricsPort: e.METRICS_PORT,
    dbPath: e.STOPGAP_DB,
    configPath: e.STOPGAP_CONFIG,
    logLevel: e.LOG_LEVEL,
    slackApiUrl: e.SLACK_API_URL,
    file,
  };
}

/**
 * Where relative paths in stopgap.yml (manifest directories, kubeconfigs) are read from: the directory
 * of the file, so the file means the same wherever the command runs; the working directory without one.
 */
export function configBaseDir(config: Pick<Config, 'configPath'>): string {
  return config.configPath ? dirname(resolve(config.configPath)) : process.cwd();
}

/**
 * Loads everything `serve` needs. Every problem is reported at once, one line each, naming the variable
 * and how to fix it, so a newcomer fixes their environment in one go.
 */
export function loadServeConfig(env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const problems: string[] = [];
  let base: Config | undefined;
  try {
    base = loadConfig(env);
  } catch (err) {
    if (err instanceof StopgapError) problems.push(...err.message.split('\n'));
    else throw err;
  }
  const e = envSubset(env);
  const botToken = e.SLACK_BOT_TOKEN;
  if (!botToken) {
    problems.push('SLACK_BOT_TOKEN: not set; set it to the Bot User OAuth Token (xoxb-...) from your Slack app');
  }
  if (!e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
    problems.push(
      'SLACK_SIGNING_SECRET or SLACK_APP_TOKEN: neither is set; set SLACK_SIGNING_SECRET for HTTP mode (Slack calls POST /slack/events) or SLACK_APP_TOKEN (xapp-...) for Socket Mode',
    );
  }
  if (!botToken && !e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
    problems.push('No Slack app yet? `npm run demo` (or `stopgap demo`) runs Stopgap against a simulated Slack and cluster, with nothing to set up.');
  }
  if (problems.length > 0 || !base || !botToken) {
    throw new StopgapError('config_invalid', [...new Set(problems)].join('\n'));
  }
  const slack: SlackMode = e.SLACK_APP_TOKEN
    ? { mode: 'socket', botToken, appToken: e.SLACK_APP_TOKEN, signingSecret: e.SLACK_SIGNING_SECRET }
    : { mode: 'http', botToken, signingSecret: e.SLACK_SIGNING_SECRET as string };
  return { ...base, slack };
}

/** The app's own credentials in a configuration: what must be masked wherever it turns up. */
export function credentialsOf(config: ServeConfig): (string | undefined)[] {
  return [
    config.slack.botToken,
    config.slack.signingSecret,
    config.slack.mode === 'socket' ? config.slack.appToken : undefined,
    config.file.audit.token,
    ...config.file.clusters.map((c) => c.auditToken),
  ];
}
