import { pino, type Logger } from 'pino';
import { redactSecrets } from './redact.js';

export type { Logger };

// Tokens have recognisable shapes; anything that looks like one is masked wherever it appears in a
// log line, not just under known keys (see scrub and the logMethod hook below).

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  if (value instanceof Error) return { type: value.name, message: redactSecrets(value.message), code: (value as { code?: unknown }).code };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, depth + 1);
  return out;
}

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { app: 'stopgap' },
      redact: {
        paths: [
          'token',
          '*.token',
          'botToken',
          'appToken',
          'signingSecret',
          '*.signingSecret',
          'headers.authorization',
          '*.headers.authorization',
          'headers["x-slack-signature"]',
          'password',
          'data',
          'stringData',
        ],
        censor: '[redacted]',
      },
      formatters: {
        log: (obj) => scrub(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const [first, ...rest] = args;
          if (typeof first === 'string') {
            method.apply(this, [redactSecrets(first), ...rest] as Parameters<typeof method>);
            return;
          }
          method.apply(this, args);
        },
      },
    },
    // Asynchronous stdout: a blocking write per line would stall every request behind the log pipe.
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
