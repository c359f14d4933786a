/** The daemon's bundle (dist/daemon.cjs): prom-client, pino and HTTP stay off the one-shot path. */
import { daemon } from '../commands/daemon.js';
import { runCommand } from '../commands/run-command.js';
import { nodeDaemonDeps } from '../edge/node-daemon-deps.js';
import type { Env } from '../types/config.js';
import type { ProcessEdge } from '../types/io.js';

export function runNamed(_name: string, argv: readonly string[], env: Env, edge: ProcessEdge): Promise<number> {
  return runCommand(daemon, argv, env, edge, nodeDaemonDeps(edge));
}
