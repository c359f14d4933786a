import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SwitchoverCommandDeps } from '../commands/switchover.js';
import { nodeDeps } from './node-deps.js';
import { nodeMaintenanceFs } from './node-maintenance-fs.js';
import { nodeFlock } from '../notify/node-flock.js';

/** The real dependencies of `check-mysql switchover`: the one-shot's, plus the maintenance file, the promotion lock, the wall clock and a sleep. */
export function nodeSwitchoverDeps(stderr: (text: string) => void, pid: number): SwitchoverCommandDeps {
  return {
    ...nodeDeps(stderr),
    lockFs: nodeFlock,
    pid,
    maintenanceFs: nodeMaintenanceFs,
    isoNow: () => new Date().toISOString(),
    sleep: (ms) => sleep(ms),
    hostName: hostname(),
  };
}
