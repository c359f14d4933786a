import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../daemon/atomic-file.js';
import { nodeFlock } from './node-flock.js';
import type { BootClock, VipSeenFs } from './vip-seen-file.js';

const BOOT_ID = '/proc/sys/kernel/random/boot_id';
/** CLOCK_BOOTTIME in seconds with two decimals: the same for every process, and never stepped. */
const UPTIME = '/proc/uptime';

function clock(): BootClock | null {
  try {
    const boot = readFileSync(BOOT_ID, 'latin1').slice(0, 64).trim();
    const up = /^(\d+(?:\.\d+)?) /.exec(readFileSync(UPTIME, 'latin1').slice(0, 64));
    return up ? { boot, ms: Number(up[1]) * 1000 } : null;
  } catch {
    return null;
  }
}

/** The one-shot's VIP memory on this host: a 0600 file in the notify lock's directory. */
export const nodeVipSeenFs: VipSeenFs = {
  euid: nodeFlock.euid,
  lstat: nodeFlock.lstat,
  mkdir: nodeFlock.mkdir,
  openForRead: nodeFlock.openForRead,
  fstat: nodeFlock.fstat,
  readHead: nodeFlock.readHead,
  close: nodeFlock.close,
  replace: (path, content) => writeFileAtomic(path, content, undefined, 0o600),
  clock,
};
