/**
 * The one-shot bundle (dist/check-mysql.cjs), which bin/check-mysql always loads: it runs the
 * check and the notify handler itself, and hands the other commands to their own bundles, so
 * the daemon's and the linter's code never slows keepalived's every-second check.
 */
import { check } from '../commands/check.js';
import { notify } from '../commands/notify.js';
import { isPasswordArgument } from '../cli/parse-argv.js';
import { runCommand } from '../commands/run-command.js';
import { commandEntry, isCommandName } from '../commands/table.js';
import { nodeDeps } from '../edge/node-deps.js';
import { nodeFlock } from '../notify/node-flock.js';
import type { Env } from '../types/config.js';
import type { ProcessEdge } from '../types/io.js';

export function runNamed(name: string, argv: readonly string[], env: Env, edge: ProcessEdge): Promise<number> {
  if (name === 'notify') return runCommand(notify, argv, env, edge, { ...nodeDeps(edge.stderr), pid: edge.pid, lockFs: nodeFlock });
  return runCommand(check, argv, env, edge, nodeDeps(edge.stderr));
}

/** `check-mysql [COMMAND] ...`: the first word names a command, else it is the check. */
export function dispatch(argv: readonly string[], env: Env, edge: ProcessEdge): Promise<number> {
  const name = isCommandName(argv[0]) ? argv[0] : 'check';
  const words = name === argv[0] ? argv.slice(1) : argv;
  const { bundle } = commandEntry(name);
  if (bundle === 'check-mysql') return runNamed(name, words, env, edge);
  // Loading another bundle takes tens of ms (the daemon's: pino, prom-client): take a password
  // out of ps first. Its runner hides it again once it has parsed the words (a no-op by then).
  if (words.some(isPasswordArgument)) edge.hideArgv();
  return edge.load(bundle).runNamed(name, words, env, edge);
}
