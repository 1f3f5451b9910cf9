/**
 * Work that follows an answer: a new change's channel announcement, linking it to drift, DMs. Slack
 * gives an acknowledgement three seconds and these nothing, so under a burst they wait for the requests
 * still to be answered: each turn of the event loop starts at most a few, in arrival order, after the
 * I/O of that turn. Nothing starves: every turn starts some while any are waiting.
 */
import type { Logger } from '../log.js';

export interface FollowUps {
  /** Queues work to run after the current requests are answered; its failure is logged, never thrown. */
  enqueue(work: () => Promise<void>): void;
  /** Resolves once everything queued so far has run (on shutdown), or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
}

export function followUpQueue(opts: { logger: Logger; concurrency?: number }): FollowUps {
  const concurrency = opts.concurrency ?? 4;
  const waiting: (() => Promise<void>)[] = [];
  let running = 0;
  let scheduled = false;
  const idle: (() => void)[] = [];

  const settleIdle = () => {
    if (running === 0 && waiting.length === 0) for (const done of idle.splice(0)) done();
  };

  const pump = () => {
    scheduled = false;
    while (running < concurrency && waiting.length > 0) {
      const work = waiting.shift() as () => Promise<void>;
      running += 1;
      work()
        .catch((err: unknown) => opts.logger.warn({ err }, 'follow-up work failed'))
        .finally(() => {
          running -= 1;
          schedule();
          settleIdle();
        });
    }
  };

  function schedule(): void {
    if (scheduled || waiting.length === 0) return;
    scheduled = true;
    setImmediate(pump);
  }

  return {
    enqueue(work) {
      waiting.push(work);
      schedule();
    },
    drain(timeoutMs) {
      if (running === 0 && waiting.length === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
