import { homedir, networkInterfaces, userInfo } from 'node:os';
import type { OptionFileSystem } from '../types/host.js';
import type { InterfaceTable } from '../vip.js';
import { nodeConfigFiles } from './config-files.js';
import { promotionInProgress } from '../notify/lock-file.js';
import { nodeFlock } from '../notify/node-flock.js';

/** The host facts both the one-shot check and the daemon read: files, home, login, interfaces. */
export interface NodeBasics {
  readonly fs: OptionFileSystem;
  readonly home?: string;
  readonly loginName?: () => string | undefined;
  readonly networkInterfaces: () => InterfaceTable;
  /** Milliseconds, monotonic. The global performance, not node:perf_hooks (~1 ms to load). */
  readonly now: () => number;
  readonly promotionInProgress: (lockFile: string) => boolean;
}

function loginName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined; // no passwd entry (a container's arbitrary uid): the caller falls back
  }
}

export function nodeBasics(): NodeBasics {
  return {
    fs: nodeConfigFiles(),
    home: homedir(),
    loginName,
    networkInterfaces,
    now: () => performance.now(),
    promotionInProgress: (lockFile) => promotionInProgress(lockFile, nodeFlock),
  };
}
