/** The bundle of commands an operator runs by hand (dist/tools.cjs): switchover, maintenance, lint-keepalived. */
import { hostname } from 'node:os';
import { lintKeepalived } from '../commands/lint-keepalived.js';
import { maintenance } from '../commands/maintenance.js';
import { nodeBasics } from '../edge/node-basics.js';
import { nodeMaintenanceFs } from '../edge/node-maintenance-fs.js';
import { realpathSync } from 'node:fs';
import { runCommand } from '../commands/run-command.js';
import { switchover } from '../commands/switchover.js';
import { nodeLintDeps } from '../edge/lint-host.js';
import { nodeSwitchoverDeps } from '../edge/node-switchover-deps.js';
import type { Env } from '../types/config.js';
import type { ProcessEdge } from '../types/io.js';

export function runNamed(name: string, argv: readonly string[], env: Env, edge: ProcessEdge): Promise<number> {
  if (name === 'switchover') return runCommand(switchover, argv, env, edge, nodeSwitchoverDeps(edge.stderr, edge.pid));
  if (name === 'maintenance') {
    const { fs, loginName } = nodeBasics();
    const realPath = (path: string) => {
      try {
        return realpathSync(path);
      } catch {
        return undefined;
      }
    };
    return runCommand(maintenance, argv, env, edge, { maintenanceFs: nodeMaintenanceFs, fs, realPath, ...(loginName && { loginName }), hostname, wallClock: () => Date.now() });
  }
  return runCommand(lintKeepalived, argv, env, edge, nodeLintDeps(env));
}
