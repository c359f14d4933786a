/**
 * How much of a configuration the linter will read, and the one error it throws past that.
 *
 * keepalived bounds its own reading by its line buffer: lib/parser.h `MAXBUF 1024` ("Maximum
 * config line length"). read_line() fgets()s at most MAXBUF - 1 bytes, so a longer line is read
 * as two; replace_param() refuses a `$NAME` substitution that would not fit ("Parameter
 * substitution on line '%s' would exceed maximum line length") and keeps the line as it was.
 * It has no include depth or file count of its own: read_conf_file() recurses until fopen()
 * runs out of descriptors ("open problem (Too many open files) - skipping", measured with
 * keepalived 2.2.7 on a file that includes itself), and it nests blocks without recursion for
 * blocks it does not know (process_stream()'s skip_sublevel counter). A linter that follows it
 * that far runs for minutes on a hostile file, so the bounds below sit far above any real
 * configuration (a few files, a few levels of blocks) and far below what costs a second.
 */
export const LIMITS = {
  /** keepalived's MAXBUF: a line, and a line after `$NAME` substitution, holds MAXBUF - 1 bytes. */
  lineBytes: 1023,
  /** One file, read only when it is a regular file (a FIFO or /dev/zero never ends). */
  fileBytes: 1024 * 1024,
  /** Everything read and everything `$NAME` expansion adds, over all files. */
  totalBytes: 4 * 1024 * 1024,
  /** Files read, counting a file each time it is included, as keepalived reads it again. */
  files: 256,
  /** An include inside an included file inside ... */
  includeDepth: 32,
  /** `{` inside `{`, across included files; keepalived's own keywords go 4 levels deep. */
  nesting: 32,
  /** Rounds of re-expanding a line while it still holds a `$` (a definition may use another). */
  expansionRounds: 10,
} as const;

/** The input is past a bound: the run stops with this one line (FILE:LINE: message) and exit 2. */
export class InputLimitError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'InputLimitError';
  }
}

/** The bytes left for reading and expanding; taking more than is left throws InputLimitError. */
export class ReadBudget {
  private left: number = LIMITS.totalBytes;

  /** `what` names the taker for the message: "this file", "this line's $NAME expansion". */
  take(bytes: number, file: string, line: number, what: string): void {
    this.left -= bytes;
    if (this.left < 0) throw new InputLimitError(file, line, `${what} passes ${LIMITS.totalBytes / 1024 / 1024} MiB of configuration text in all (files read and $NAME expansions); stopped reading`);
  }
}
