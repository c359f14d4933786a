import type { DestinationStream } from 'pino';
import { mysqlConnector } from '../db/mysql.js';
import { nodeBasics } from '../node-basics.js';
import { writeFileAtomic } from './atomic-file.js';
import type { DaemonDeps, DaemonSignal } from './daemon.js';

/** What only the process edge can supply. */
export interface DaemonProcess {
  readonly pid: number;
  readonly logDestination: DestinationStream;
  onSignal(signal: DaemonSignal, handler: () => void): void;
}

export function nodeDaemonDeps(proc: DaemonProcess): DaemonDeps {
  return {
    ...proc,
    ...nodeBasics(),
    connect: mysqlConnector({ generatedParsers: true, batching: true }),
    wallClock: () => Date.now(),
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    writeFile: (path, content) => writeFileAtomic(path, content, proc.pid),
  };
}
