import { readFileSync, readdirSync } from 'node:fs';
import { homedir, networkInterfaces, userInfo } from 'node:os';
import type { DestinationStream } from 'pino';
import { mysqlConnector } from '../db/mysql.js';
import { writeFileAtomic } from './atomic-file.js';
import type { DaemonDeps, DaemonSignal } from './daemon.js';

/** What only the process edge can supply. */
export interface DaemonProcess {
  readonly pid: number;
  readonly logDestination: DestinationStream;
  onSignal(signal: DaemonSignal, handler: () => void): void;
}

export function nodeDaemonDeps(proc: DaemonProcess): DaemonDeps {
  let loginName: string | undefined;
  try {
    loginName = userInfo().username;
  } catch {
    loginName = undefined;
  }
  return {
    ...proc,
    connect: mysqlConnector({ generatedParsers: true, batching: true }),
    now: () => performance.now(),
    wallClock: () => Date.now(),
    networkInterfaces,
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    fs: { readFile: (path) => readFileSync(path, 'utf8'), readDir: (path) => readdirSync(path) },
    home: homedir(),
    ...(loginName && { loginName }),
    writeFile: (path, content) => writeFileAtomic(path, content, proc.pid),
  };
}
