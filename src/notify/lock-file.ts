import { dirname } from 'node:path';
import { heldForWrite } from './proc-locks.js';
import { lockDirProblem, lockFileProblem, sameFile, type FileFacts } from './lock-trust.js';

/**
 * What the notify lock needs from the host, so that its rules can be tested without a file
 * system or other processes. The real one is `nodeFlock` (node-flock.ts), passed in by the
 * edges (node-basics.ts for the checks, entries/check-mysql.ts for notify).
 */
export interface LockFs {
  /** Our effective uid: the only owner besides root whose lock directory and file we trust. */
  euid(): number;
  /** lstat(2), never following a link; null when there is no such path. Other errors throw. */
  lstat(path: string): FileFacts | null;
  /** Creates one directory with exactly `mode`; throws (EEXIST too). */
  mkdir(path: string, mode: number): void;
  /** Opens the lock file to lock it: read-write, created 0600, never through a symbolic link. Throws. */
  openForLock(path: string): number;
  /** Opens the lock file to read it, never through a link nor waiting on a FIFO; null when it does not exist. */
  openForRead(path: string): number | null;
  fstat(fd: number): FileFacts;
  /** Up to `max` bytes from the start of the file. */
  readHead(fd: number, max: number): string;
  /** Replaces the file's content, through the descriptor that holds the lock. */
  rewrite(fd: number, content: string): void;
  close(fd: number): void;
  /**
   * Waits up to `ms` for an exclusive flock(2) on fd's open file description: true once it is
   * ours (until we close fd or die), false when the wait ran out. Other failures throw.
   */
  flock(fd: number, ms: number): Promise<boolean>;
  /** The kernel's lock table (/proc/locks), or null when it cannot be read. */
  locks(): string | null;
  pidAlive(pid: number): boolean;
}

/** The promotion lock could not be had; the message starts with "not promoting:". */
export class LockRefused extends Error {
  override readonly name = 'LockRefused';
}

/** What a MASTER run writes into the lock it holds, so that checks can tell it from stale content. */
const CONTENT = /^([1-9]\d{0,9}) MASTER\n$/;

/**
 * Serialises promotions on one node: keepalived may start notify runs out of order (its
 * maintainers recommend notify_fifo for that reason), and two MASTER runs must not interleave
 * their catch-up and re-checks. Demotions take no lock at all: making a node read-only is always
 * safe, so it never waits behind a catch-up nor fails for want of a lock file.
 *
 * flock(2), arbitrated by the kernel: no content to race on, no stale lock to take over (it
 * goes when its holder does), and never unlinked (a run waiting on the old inode would then
 * lock a file no one else sees). The directory is created 0755 if missing; the directory and the
 * file must be ours (lock-trust.ts). Returns the release function.
 */
export async function acquirePromotionLock(path: string, pid: number, waitMs: number, now: () => number, fs: LockFs): Promise<() => void> {
  trustedDirectory(dirname(path), fs);
  const deadline = now() + waitMs;
  for (;;) {
    const fd = open(path, fs);
    let held = false;
    try {
      const problem = lockFileProblem(fs.fstat(fd), fs.euid());
      if (problem) throw new LockRefused(`not promoting: lock file ${path} ${problem}`);
      if (!(await fs.flock(fd, Math.max(0, deadline - now())))) {
        throw new LockRefused(`not promoting: another notify run has held ${path} for over ${waitMs / 1000} s`);
      }
      // Removed or replaced while we waited (by root, or by us by hand): a lock on a file that
      // the next run will not open excludes no one. Try again on the file that is there now.
      const current = fs.lstat(path);
      if (current !== null && sameFile(current, fs.fstat(fd))) {
        fs.rewrite(fd, `${pid} MASTER\n`);
        held = true;
        return () => fs.close(fd);
      }
    } finally {
      if (!held) fs.close(fd);
    }
    if (now() >= deadline) throw new LockRefused(`not promoting: ${path} kept being replaced for ${waitMs / 1000} s`);
  }
}

function open(path: string, fs: LockFs): number {
  try {
    return fs.openForLock(path);
  } catch (err) {
    throw new LockRefused(`not promoting: cannot open lock file ${path}: ${(err as Error).message}`);
  }
}

function trustedDirectory(dir: string, fs: LockFs): void {
  let facts = fs.lstat(dir);
  if (facts === null) {
    try {
      fs.mkdir(dir, 0o755);
    } catch (err) {
      // EEXIST: another run made it meanwhile; whoever did, it is judged below.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new LockRefused(`not promoting: cannot create lock directory ${dir}: ${(err as Error).message}`);
    }
    facts = fs.lstat(dir);
  }
  const problem = lockDirProblem(facts, fs.euid());
  if (problem) throw new LockRefused(`not promoting: lock directory ${dir} ${problem}`);
}

/**
 * True only while a MASTER run of ours really holds the lock: the directory and the file are
 * ours (no other user could have written them), the kernel shows an exclusive flock on that very
 * file, and the file names a live process and MASTER. Content alone (stale, or from before a
 * reboot) is never believed. Never throws: anything unexpected means "not promoting".
 */
export function promotionInProgress(path: string, fs: LockFs): boolean {
  try {
    const euid = fs.euid();
    if (lockDirProblem(fs.lstat(dirname(path)), euid)) return false;
    const fd = fs.openForRead(path);
    if (fd === null) return false;
    try {
      const file = fs.fstat(fd);
      if (lockFileProblem(file, euid)) return false;
      const pid = CONTENT.exec(fs.readHead(fd, 64))?.[1];
      if (pid === undefined) return false;
      const locks = fs.locks();
      return locks !== null && heldForWrite(locks, file.dev, file.ino) && fs.pidAlive(Number(pid));
    } finally {
      fs.close(fd);
    }
  } catch {
    return false;
  }
}
