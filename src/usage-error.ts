/**
 * A bad flag, file or value. main() turns it into exit code 2 and one line on stderr,
 * never a stack trace, and before anything has been done.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Runs a command body and turns what it throws into an exit code at the edge: a UsageError is
 * one line and 2; anything else is one line and 1 (never 0: keepalived must not read a crash
 * as a pass). No stack traces.
 */
export async function exitCodeOf(command: string, stderr: (text: string) => void, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      stderr(`${command}: ${err.message}\n`);
      return 2;
    }
    stderr(`${command}: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}
