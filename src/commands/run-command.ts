import { findOption, onlyFor, takes } from '../cli/options.js';
import { parseArgv, type ParsedArgv } from '../cli/parse-argv.js';
import type { Env } from '../types/config.js';
import type { ProcessIo } from '../types/io.js';
import { UsageError, exitCodeOf } from '../usage-error.js';
import { EXIT, type Command } from './command.js';
import pkg from '../../package.json';

export const commandTitle = (c: Command<unknown>): string => (c.name === 'check' ? 'check-mysql' : `check-mysql ${c.name}`);

/**
 * Runs one command the same way for all: parse with the one option table, hide a password from
 * ps, --help and --version, refuse options of other commands and wrong word counts, then run.
 * Returns the exit code; never throws: a bad invocation is one line and 2, a crash one line and 1.
 */
export function runCommand<D>(command: Command<D>, argv: readonly string[], env: Env, io: ProcessIo, deps: D): Promise<number> {
  return exitCodeOf(commandTitle(command), io.stderr, async () => {
    const args = parse(command, argv);
    if (args.passwordOnArgv) io.hideArgv();
    if (args.options.get('help') === true) {
      const { renderHelp } = await import('../cli/help.js');
      io.stdout(`${await renderHelp(command)}\n`);
      return EXIT.OK;
    }
    if (args.options.get('version') === true) {
      io.stdout(`check-mysql ${pkg.version}\n`);
      return EXIT.OK;
    }
    const stray = [...args.options.keys()].map(findOption).find((o) => o && !takes(o, command.name));
    if (stray) throw new UsageError(onlyFor(stray));
    checkWordCount(command, args.positionals);
    return command.run({ args, env, io, deps });
  });
}

function parse(command: Command<unknown>, argv: readonly string[]): ParsedArgv {
  try {
    return parseArgv(argv);
  } catch (err) {
    if (err instanceof UsageError && err.message.startsWith('unknown option')) throw new UsageError(`${err.message}; usage: ${command.usage}`);
    throw err;
  }
}

function checkWordCount(command: Command<unknown>, words: readonly string[]): void {
  const { min, max, name } = command.positionals;
  if (words.length >= min && words.length <= max) return;
  if (max === 0) throw new UsageError(`unexpected argument '${words[0]}'`);
  if (words.length === 0) throw new UsageError(`no ${name} given; usage: ${command.usage}`);
  if (max === 1) throw new UsageError(`expected one ${name}, got ${words.length}: ${words.join(' ')}`);
  throw new UsageError(`expected ${name} after the options, got ${words.length} word(s)`);
}
