/** The bundle of commands an operator runs by hand (dist/tools.cjs): lint-keepalived. */
import { lintKeepalived } from '../commands/lint-keepalived.js';
import { runCommand } from '../commands/run-command.js';
import { nodeLintDeps } from '../edge/lint-host.js';
import type { Env } from '../types/config.js';
import type { ProcessEdge } from '../types/io.js';

export function runNamed(_name: string, argv: readonly string[], env: Env, edge: ProcessEdge): Promise<number> {
  return runCommand(lintKeepalived, argv, env, edge, nodeLintDeps(env));
}
