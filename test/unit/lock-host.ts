/**
 * An in-memory host for the notify lock's rules (LockFs): paths with owner, mode and inode,
 * open descriptors, flock(2) held per open file (as the kernel does), /proc/locks rendered from
 * that, live pids, and a clock that only a flock wait moves.
 */
import type { LockFs } from '../../src/notify/lock-file.js';
import type { FileFacts } from '../../src/notify/lock-trust.js';

export const US = 1000;
export const ROOT = 0;
export const NOBODY = 65534;
export const DIR = '/run/check-mysql';
export const LOCK = `${DIR}/notify.lock`;
/** /run's device (tmpfs, 0:26 -> dev 0x1a), as /proc/locks prints it: 00:1a. */
const DEV = 0x1an;

interface Node {
  facts: FileFacts;
  content: string;
}

let nextIno = 100n;

export const dirAt = (uid: number, mode: number): Omit<FileFacts, 'dev' | 'ino'> => ({ kind: 'directory', uid, mode });
export const fileAt = (uid: number, mode: number, kind: FileFacts['kind'] = 'file'): Omit<FileFacts, 'dev' | 'ino'> => ({ kind, uid, mode });

export type PathSetup = Omit<FileFacts, 'dev' | 'ino'> & { content?: string };

export interface HostSetup {
  euid?: number;
  /** Paths and what is there; DIR, ours and 0755, unless given. */
  paths?: Record<string, PathSetup>;
  alive?: number[];
}

export function lockHost({ euid = US, paths = {}, alive = [] }: HostSetup = {}) {
  const disk = new Map<string, Node>();
  const put = (path: string, f: Omit<FileFacts, 'dev' | 'ino'> & { content?: string }) =>
    disk.set(path, { facts: { kind: f.kind, uid: f.uid, mode: f.mode, dev: DEV, ino: nextIno++ }, content: f.content ?? '' });
  if (!(DIR in paths)) put(DIR, dirAt(euid, 0o755));
  for (const [path, f] of Object.entries(paths)) put(path, f);

  const fds = new Map<number, Node>();
  let nextFd = 10;
  /** Which descriptor holds each file's flock, by inode. */
  const held = new Map<bigint, number>();
  /** "Another process" holding a file's lock: a descriptor no test closes. */
  const holdElsewhere = (path: string) => held.set(disk.get(path)!.facts.ino, -1);
  const live = new Set(alive);
  let clock = 0;
  const waits: number[] = [];
  /** Called when a run starts waiting for a held lock: lets a test change the world meanwhile. */
  let onWait: (n: number) => void = () => {};
  const open = (node: Node) => {
    fds.set(nextFd, node);
    return nextFd++;
  };

  const fs: LockFs = {
    euid: () => euid,
    lstat: (path) => disk.get(path)?.facts ?? null,
    mkdir(path, mode) {
      if (disk.has(path)) throw Object.assign(new Error(`EEXIST: file already exists, mkdir '${path}'`), { code: 'EEXIST' });
      put(path, dirAt(euid, mode));
    },
    openForLock(path) {
      const there = disk.get(path);
      if (there?.facts.kind === 'symlink') throw Object.assign(new Error(`ELOOP: too many symbolic links encountered, open '${path}'`), { code: 'ELOOP' });
      if (!there) put(path, fileAt(euid, 0o600));
      return open(disk.get(path)!);
    },
    openForRead(path) {
      const there = disk.get(path);
      if (!there) return null;
      if (there.facts.kind === 'symlink') throw Object.assign(new Error('ELOOP'), { code: 'ELOOP' });
      return open(there);
    },
    fstat: (fd) => fds.get(fd)!.facts,
    readHead: (fd, max) => fds.get(fd)!.content.slice(0, max),
    rewrite(fd, content) {
      fds.get(fd)!.content = content;
    },
    close(fd) {
      const node = fds.get(fd);
      if (node && held.get(node.facts.ino) === fd) held.delete(node.facts.ino);
      fds.delete(fd);
    },
    async flock(fd, ms) {
      const ino = fds.get(fd)!.facts.ino;
      if (held.has(ino)) {
        waits.push(ms);
        onWait(waits.length);
        if (held.has(ino)) {
          clock += ms;
          return false;
        }
      }
      held.set(ino, fd);
      return true;
    },
    locks: () => [...held.keys()].map((ino, i) => `${i + 1}: FLOCK  ADVISORY  WRITE 77 00:1a:${ino} 0 EOF\n`).join(''),
    pidAlive: (pid) => live.has(pid),
  };
  return {
    fs,
    disk,
    held,
    live,
    waits,
    holdElsewhere,
    now: () => clock,
    whileWaiting: (f: (n: number) => void) => (onWait = f),
    /** Removes a path, as rm(1) would: open descriptors keep the old file. */
    remove: (path: string) => disk.delete(path),
    create: put,
    openCount: () => fds.size,
  };
}
