// For daemon suites that need no MariaDB: a temp dir, a loopback port nothing listens on (so
// every check fails at once and the daemon rewrites its files, FAULT, every interval), and the
// daemons started there, all cleaned up after the suite.
import { afterAll, beforeAll } from 'vitest';
import { freePort } from '../ports.js';
import { makeTempDir, removeTempDir } from '../temp-dir.js';
import { assertCliRuns } from './cli.js';
import { DaemonProcess } from './daemon.js';

export interface DeadTargetSandbox {
  /** Set by beforeAll. */
  dir: string;
  deadPort: number;
  /** Starts `check-mysql daemon ARGS` (which must name a path in `dir`); killed after the suite. */
  start(args: string[]): Promise<DaemonProcess>;
}

/** Call inside a describe(): registers the suite's beforeAll and afterAll. */
export function deadTargetSandbox(): DeadTargetSandbox {
  const daemons: DaemonProcess[] = [];
  const box: DeadTargetSandbox = {
    dir: '',
    deadPort: 0,
    async start(args) {
      const daemon = await DaemonProcess.start({ marker: box.dir, args });
      daemons.push(daemon);
      return daemon;
    },
  };
  beforeAll(async () => {
    await assertCliRuns();
    [box.dir, box.deadPort] = await Promise.all([makeTempDir(), freePort()]);
  });
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.kill()));
    if (box.dir) await removeTempDir(box.dir);
  });
  return box;
}
