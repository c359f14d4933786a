import type { ParsedArgv } from '../cli/parse-argv.js';
import type { Env } from '../types/config.js';
import type { ProcessIo } from '../types/io.js';
import type { CommandName } from './table.js';

/** What every command gets: its parsed words, the environment, the process I/O, and its own deps. */
export interface CommandContext<D> {
  readonly args: ParsedArgv;
  readonly env: Env;
  readonly io: ProcessIo;
  readonly deps: D;
}

/**
 * One command (cf. ni's src/commands/*.ts and mysqld_exporter's scraper table). Its options are
 * the rows of src/cli/options.ts that name it; help, version, usage errors and exit codes are
 * done once for all commands in run-command.ts.
 */
export interface Command<D> {
  readonly name: CommandName;
  readonly summary: string;
  /** The synopsis after "Usage: ", e.g. "check-mysql notify [options] TYPE NAME STATE [PRIORITY]". */
  readonly usage: string;
  /** A paragraph for --help: what it does and its exit codes. */
  readonly description: string;
  /** How many words may follow the options, and what they are called in errors. */
  readonly positionals: { readonly min: number; readonly max: number; readonly name: string };
  /** Extra text after the options in --help (e.g. lint-keepalived's rule list). */
  readonly epilogue?: () => string;
  run(ctx: CommandContext<D>): Promise<number> | number;
}

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;
