import { dirname, join } from 'node:path';
import type { VipSeen } from '../vip-seen.js';
import type { LockFs } from './lock-file.js';
import { lockDirProblem, lockFileProblem } from './lock-trust.js';

/** A time every process of this boot reads alike: the boot's id and the milliseconds since it. */
export interface BootClock {
  readonly boot: string;
  readonly ms: number;
}

/** What the one-shot's VIP memory needs from the host; the real one is `nodeVipSeenFs` (node-vip-seen.ts). */
export interface VipSeenFs extends Pick<LockFs, 'euid' | 'lstat' | 'mkdir' | 'openForRead' | 'fstat' | 'readHead' | 'close'> {
  /** Replaces `path` with a new file of mode 0600 (created O_EXCL|O_NOFOLLOW beside it, then renamed). Throws. */
  replace(path: string, content: string): void;
  /** Null when it cannot be read: then nothing is recorded nor believed. */
  clock(): BootClock | null;
}

const CONTENT = /^not-held ([0-9a-f-]{36}) (\d{1,15})\n$/;

/** Beside the notify lock, in the directory only our user (or root) may write: one file per VIP. */
export const vipSeenPath = (lockFile: string, vip: string): string => join(dirname(lockFile), `vip-${vip}.seen`);

/**
 * The one-shot check remembers nothing between runs, so the last sighting of the VIP away from
 * this node is kept in a file beside the notify lock, under the lock's trust rules
 * (lock-trust.ts): the directory and the file ours or root's, the file 0600 and opened without
 * following a link. A file someone else could have written is never read, and even ours can
 * only ever grant what its time says: the grace ends --promotion-grace after the sighting it
 * records, on a boot clock (not the wall clock, which can be stepped back), and a file from
 * another boot or from the future counts for nothing. Never throws: anything unexpected means
 * "not known", which gives no grace.
 */
export function vipSeenInFile(fs: VipSeenFs): VipSeen {
  return (vip, held, lockFile) => {
    if (lockFile === undefined) return undefined;
    try {
      const now = fs.clock();
      if (now === null) return undefined;
      const path = vipSeenPath(lockFile, vip);
      if (!held) {
        record(path, now, fs);
        return 0;
      }
      const seen = readSighting(path, fs);
      if (seen === undefined || seen.boot !== now.boot || seen.ms > now.ms) return undefined;
      return now.ms - seen.ms;
    } catch {
      return undefined;
    }
  };
}

function record(path: string, now: BootClock, fs: VipSeenFs): void {
  const dir = dirname(path);
  if (fs.lstat(dir) === null) {
    try {
      fs.mkdir(dir, 0o755); // as the notify handler makes it for its lock
    } catch {
      // EEXIST from a run meanwhile, or no right to: judged below.
    }
  }
  if (lockDirProblem(fs.lstat(dir), fs.euid())) return;
  fs.replace(path, `not-held ${now.boot} ${Math.floor(now.ms)}\n`);
}

function readSighting(path: string, fs: VipSeenFs): BootClock | undefined {
  const euid = fs.euid();
  if (lockDirProblem(fs.lstat(dirname(path)), euid)) return undefined;
  const fd = fs.openForRead(path);
  if (fd === null) return undefined;
  try {
    if (lockFileProblem(fs.fstat(fd), euid)) return undefined;
    const m = CONTENT.exec(fs.readHead(fd, 80));
    return m ? { boot: m[1]!, ms: Number(m[2]) } : undefined;
  } finally {
    fs.close(fd);
  }
}
