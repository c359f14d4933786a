import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import type { LockFs } from './lock-file.js';

/** The notify lock on this host: a real file, and /proc for whether its owner still runs. */
export const nodeLockFs: LockFs = {
  openExclusive(path, content) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    return true;
  },
  read(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  },
  unlink(path) {
    try {
      unlinkSync(path);
    } catch {
      // already gone, or not ours to remove
    }
  },
  pidAlive: (pid) => existsSync(`/proc/${pid}`),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
