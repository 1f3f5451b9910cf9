import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { followUpQueue } from '../../src/slack/follow-ups.js';
import { PassThrough } from 'node:stream';

function logger() {
  const sink = new PassThrough();
  let text = '';
  sink.on('data', (c: Buffer) => (text += c.toString()));
  return { log: createLogger({ level: 'info', destination: sink }), text: () => text };
}

describe('work after an answer', () => {
  it('runs in arrival order, a few at a time, after the current turn, and a failure is only logged', async () => {
    const { log, text } = logger();
    const q = followUpQueue({ logger: log, concurrency: 2 });
    const started: number[] = [];
    let inFlight = 0;
    let most = 0;
    const release: (() => void)[] = [];
    for (let i = 0; i < 5; i++) {
      q.enqueue(async () => {
        started.push(i);
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise<void>((resolve) => release.push(resolve));
        inFlight -= 1;
        if (i === 3) throw new Error('Slack said no');
      });
    }
    // Nothing starts in the turn that queued it: the requests of this turn are answered first.
    expect(started).toEqual([]);
    const drained = q.drain(5_000);
    while (started.length < 5 || release.length > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      release.shift()?.();
    }
    await drained;
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(text()).toContain('follow-up work failed');
  });

  it('gives up waiting at shutdown after the timeout rather than hanging', async () => {
    const q = followUpQueue({ logger: logger().log });
    q.enqueue(() => new Promise(() => undefined));
    const t = Date.now();
    await q.drain(50);
    expect(Date.now() - t).toBeLessThan(2_000);
    await expect(followUpQueue({ logger: logger().log }).drain(10_000)).resolves.toBeUndefined();
  });
});
