/**
 * Long synchronous work (parsing thousands of manifests, indexing them) written as a generator that
 * yields at safe points. `drain` runs it in one go (the CLI); `runInSlices` runs it a few milliseconds
 * at a time, giving the event loop a turn in between, so a reload inside `serve` never holds Slack's
 * requests for tens of milliseconds.
 */
export type Steps<T> = Generator<void, T, void>;

export function drain<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** At most this long between turns of the event loop. */
const SLICE_MS = 4;

export async function runInSlices<T>(steps: Steps<T>): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - sliceStart >= SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}
