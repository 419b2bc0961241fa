/**
 * Waiting for a condition that another party (a server, a child process) makes true: polled,
 * bounded, and failing with what was last seen, so no test sleeps a guessed time.
 */
export async function until(check: () => boolean, show: () => string = () => 'condition not met', timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${show().slice(-300)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The error a promise rejects with; fails the test when it resolves instead. */
export async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}
