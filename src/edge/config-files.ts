import { closeSync, constants, fstatSync, openSync, readSync, readdirSync, statSync, type Stats } from 'node:fs';
import type { FileInfo, OptionFileSystem } from '../types/host.js';

/** Option files and daemon configs are a few KiB: anything near this is a mistake or an attack. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** A refusal has no `code`: its message is the reason, printed as it is. */
function refuseUnlessSmallFile(s: Stats): void {
  if (!s.isFile()) throw new Error(`not a regular file (${kindOf(s)})`);
  if (s.size > MAX_CONFIG_BYTES) throw new Error(`${s.size} bytes, over the 1 MiB limit for a config file`);
}

/**
 * Reads a config file so that no file can hang or flood the reader: a FIFO would block open(2)
 * until some writer comes, /dev/zero never ends. Stat first, since opening a device can have
 * effects of its own; then open without blocking and check again on the descriptor, in case
 * the path was swapped in between; then read at most the limit, in case the file grows.
 */
function readConfigFile(path: string): string {
  const before = statSync(path);
  refuseUnlessSmallFile(before);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const opened = fstatSync(fd);
    if (opened.dev !== before.dev || opened.ino !== before.ino) throw new Error('replaced while being opened');
    refuseUnlessSmallFile(opened);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(opened.size + 1, 4096), MAX_CONFIG_BYTES + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > MAX_CONFIG_BYTES) throw new Error('grew over the 1 MiB limit for a config file while being read');
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function stat(path: string): FileInfo {
  const s = statSync(path);
  return { mode: s.mode, uid: s.uid, gid: s.gid, size: s.size, isFile: s.isFile() };
}

/** The real files, as option files and daemon configs are read. */
export function nodeConfigFiles(): OptionFileSystem {
  return { readFile: readConfigFile, stat, readDir: (path) => readdirSync(path), readerGid: process.getgid?.() };
}
