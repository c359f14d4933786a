import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SwitchoverCommandDeps } from '../commands/switchover.js';
import { nodeDeps } from './node-deps.js';
import { nodeMaintenanceFs } from './node-maintenance-fs.js';

/** The real dependencies of `check-mysql switchover`: the one-shot's, plus the maintenance file, the wall clock and a sleep. */
export function nodeSwitchoverDeps(stderr: (text: string) => void): SwitchoverCommandDeps {
  return {
    ...nodeDeps(stderr),
    maintenanceFs: nodeMaintenanceFs,
    isoNow: () => new Date().toISOString(),
    sleep: (ms) => sleep(ms),
    hostName: hostname(),
  };
}
