/** Polls until the check passes (returns a value), failing after `timeoutMs`: the demo and the tests wait on conditions, never fixed sleeps. */
export async function waitFor<T>(check: () => T | undefined | false | null, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
