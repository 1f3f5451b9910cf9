import type { Scheduler } from '../../src/k8s/scheduler.js';

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A scheduler whose clock moves only when the test says so. `advance(ms)` runs every call that
 * falls due on the way, in order of due time, with the clock set to each one's time.
 */
export class FakeScheduler implements Scheduler {
  private time: number;
  private nextId = 1;
  private queue: Pending[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  after(ms: number, fn: () => void): () => void {
    const entry: Pending = { id: this.nextId++, at: this.time + Math.max(0, ms), fn };
    this.queue.push(entry);
    return () => {
      this.queue = this.queue.filter((p) => p.id !== entry.id);
    };
  }

  /** Due times (absolute, in the scheduler's milliseconds) of the calls still waiting, earliest first. */
  pending(): number[] {
    return this.queue.map((p) => p.at).sort((a, b) => a - b);
  }

  /** Moves the clock forward, running each call that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = this.queue.filter((p) => p.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.queue = this.queue.filter((p) => p.id !== due.id);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = target;
  }
}

/** A random source that returns the given values in turn, round and round. */
export function sequence(...values: number[]): () => number {
  let i = 0;
  return () => {
    const value = values[i % values.length] as number;
    i += 1;
    return value;
  };
}
