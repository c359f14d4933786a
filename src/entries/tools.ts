/** The bundle of commands an operator runs by hand (dist/tools.cjs): lint-keepalived, switchover. */
import { lintKeepalived } from '../commands/lint-keepalived.js';
import { runCommand } from '../commands/run-command.js';
import { switchover } from '../commands/switchover.js';
import { nodeLintDeps } from '../edge/lint-host.js';
import { nodeSwitchoverDeps } from '../edge/node-switchover-deps.js';
import type { Env } from '../types/config.js';
import type { ProcessEdge } from '../types/io.js';

export function runNamed(name: string, argv: readonly string[], env: Env, edge: ProcessEdge): Promise<number> {
  if (name === 'switchover') return runCommand(switchover, argv, env, edge, nodeSwitchoverDeps(edge.stderr));
  return runCommand(lintKeepalived, argv, env, edge, nodeLintDeps(env));
}
