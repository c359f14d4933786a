/**
 * A bad flag, file or value. main() turns it into exit code 2 and one line on stderr,
 * never a stack trace, and before anything has been done.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
