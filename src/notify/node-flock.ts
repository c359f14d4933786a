import { type BigIntStats, closeSync, constants, existsSync, fstatSync, ftruncateSync, lstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import type { LockFs } from './lock-file.js';
import type { FileFacts } from './lock-trust.js';

const { O_RDWR, O_RDONLY, O_CREAT, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = constants;

/** util-linux flock(1) by absolute path: keepalived's PATH is not ours to trust. */
const FLOCK = ['/usr/bin/flock', '/bin/flock'];
/** /proc/locks is one short line per lock; beyond this many bytes we stop reading (and see no lock). */
const MAX_LOCK_TABLE = 1 << 20;

function facts(s: BigIntStats): FileFacts {
  const kind = s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other';
  return { kind, uid: Number(s.uid), mode: Number(s.mode & 0o7777n), dev: s.dev, ino: s.ino };
}

const missing = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

function readBounded(path: string, max: number): string | null {
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(64 * 1024);
    const parts: Buffer[] = [];
    let total = 0;
    for (let n; total < max && (n = readSync(fd, buf, 0, buf.length, null)) > 0; total += n) parts.push(Buffer.from(buf.subarray(0, n)));
    return total >= max ? null : Buffer.concat(parts).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/**
 * Waits for an exclusive flock(2) through util-linux flock(1) (Node has no binding): the child
 * gets our descriptor as its fd 3, and the lock belongs to the open file description, so it
 * stays ours after the child exits and goes when we close the descriptor or die. Exit 0 locked,
 * 1 timed out. Other descriptors are close-on-exec (libuv opens them so): nothing else leaks.
 */
function flock(fd: number, ms: number): Promise<boolean> {
  const bin = FLOCK.find((p) => existsSync(p));
  if (!bin) return Promise.reject(new Error(`flock(1) not found at ${FLOCK.join(' or ')} (util-linux)`));
  // Loaded here, not at the top: child_process costs ~3 ms and only MASTER runs lock.
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['--exclusive', '--wait', (ms / 1000).toFixed(3), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(0, 500)));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0 || code === 1) resolve(code === 0);
      else reject(new Error(`flock(1) ended with ${code ?? signal}${stderr ? `: ${stderr.trim()}` : ''}`));
    });
  });
}

/** The notify lock on this host: flock(2) on a real file, /proc/locks and /proc/PID. */
export const nodeFlock: LockFs = {
  euid: () => process.geteuid?.() ?? -1,
  lstat(path) {
    try {
      return facts(lstatSync(path, { bigint: true }));
    } catch (err) {
      if (missing(err)) return null;
      throw err;
    }
  },
  mkdir: (path, mode) => mkdirSync(path, { mode }),
  openForLock: (path) => openSync(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0o600),
  openForRead(path) {
    try {
      return openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    } catch (err) {
      if (missing(err)) return null;
      throw err;
    }
  },
  fstat: (fd) => facts(fstatSync(fd, { bigint: true })),
  readHead(fd, max) {
    const buf = Buffer.alloc(max);
    return buf.toString('utf8', 0, readSync(fd, buf, 0, max, 0));
  },
  rewrite(fd, content) {
    // Written over the old content, then cut to length: a reader never sees an empty file.
    const buf = Buffer.from(content);
    writeSync(fd, buf, 0, buf.length, 0);
    ftruncateSync(fd, buf.length);
  },
  close: (fd) => closeSync(fd),
  flock,
  locks: () => readBounded('/proc/locks', MAX_LOCK_TABLE),
  pidAlive: (pid) => existsSync(`/proc/${pid}`),
};
