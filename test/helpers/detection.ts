// What the detect-* suites share (issue 10's detection times, real faults against the real
// checker): the checker's timing, the slack their bounds allow a shared machine, how a run's
// verdict is read, and the daemon on one target with its track and status files.
import { join } from 'node:path';
import { codeOf, type CheckRun } from './clients/cli.js';
import { DaemonProcess } from './clients/daemon.js';
import type { Seen } from './clients/daemon-outputs.js';
import { freePort } from './ports.js';

/** keepalived's vrrp_script interval and the daemon's, --timeout, and the daemon's fall. */
export const CHECK = { intervalMs: 1_000, timeoutMs: 800, fall: 2 } as const;
/** Timers firing late on a shared 2-core machine, on top of a bound made of timers. */
export const TIMER_SLACK_MS = 300;
/** Node's start-up and the bundle's load, on top of --timeout for a one-shot. */
export const START_UP_SLACK_MS = 400;
/** The figure: no more of our threads than this on the server after 10 s of a fault. */
export const MAX_THREADS = 2;

export const seconds = (ms: number): string => (ms / 1000).toFixed(2);
export const reasonCodes = (run: CheckRun): string[] => run.json?.reasons.map(codeOf) ?? [];
export const isWriteStalled = (run: CheckRun): boolean => run.code === 1 && reasonCodes(run).join() === 'write-stalled';

export interface TargetDaemon {
  daemon: DaemonProcess;
  track: string;
  status: string;
}

/**
 * `check-mysql daemon` on one target (`args`: its connection and policy), checking every
 * CHECK.intervalMs under CHECK.timeoutMs, its track and status files named `name` in `dir`
 * (which is also the reaper's marker).
 */
export async function startTargetDaemon(o: { dir: string; name: string; args: string[]; password: string; rise: number; fall?: number }): Promise<TargetDaemon> {
  const track = join(o.dir, `${o.name}.track`);
  const status = join(o.dir, `${o.name}.status.json`);
  const daemon = await DaemonProcess.start({
    marker: o.dir,
    password: o.password,
    args: [
      ...o.args, '--interval', String(CHECK.intervalMs / 1000), '--timeout', String(CHECK.timeoutMs / 1000),
      '--rise', String(o.rise), '--fall', String(o.fall ?? CHECK.fall),
      '--track-file', track, '--status-file', status, '--listen', `127.0.0.1:${await freePort()}`,
    ],
  });
  return { daemon, track, status };
}

/** Every reason a recorded status file showed, each once, in the order first seen. */
export function reasonsSeen(seen: readonly Seen[]): string[] {
  const reasons = seen.flatMap((s) => {
    try {
      return (JSON.parse(s.content ?? '') as { reasons?: string[] }).reasons ?? [];
    } catch {
      return [];
    }
  });
  return [...new Set(reasons)];
}
