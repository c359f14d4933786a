import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns something other than false/undefined/null,
 * and returns that. On timeout it throws, naming `what` and the last value
 * or error seen, so a failing test says what never became true.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | false | undefined | null> | T | false | undefined | null,
  { timeoutMs = 15_000, intervalMs = 50 }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== false && value !== undefined && value !== null) return value;
      last = value;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    }
    await sleep(intervalMs);
  }
}
