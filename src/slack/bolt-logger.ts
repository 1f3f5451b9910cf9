import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../log.js';

/** Bolt logs through our pino logger, so its lines get the same redaction. */
export function boltLogger(log: Logger): BoltLogger {
  const child = log.child({ component: 'bolt' });
  let level: LogLevel = LogLevel.INFO;
  const fmt = (msg: unknown[]): string => msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg) => child.debug({ detail: fmt(msg) }, 'bolt debug'),
    info: (...msg) => child.info({ detail: fmt(msg) }, 'bolt info'),
    warn: (...msg) => child.warn({ detail: fmt(msg) }, 'bolt warning'),
    error: (...msg) => child.error({ detail: fmt(msg) }, 'bolt error'),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
