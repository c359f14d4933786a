import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Created, never opened: a file or symlink someone planted at the temp name makes the open fail
 * (EEXIST, ELOOP) instead of sending our write through it. With fs.protected_symlinks=0 a link
 * planted in a world-writable directory would otherwise let any user have root overwrite any file.
 */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Which inode a write put at its path (so a later write can tell whether it is still ours). */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

/** Unpredictable, so that no one can plant anything at the name before we create it. */
export const tempNameFor = (path: string): string => join(dirname(path), `.${basename(path)}.${randomBytes(9).toString('base64url')}.tmp`);

/**
 * Replaces `path` atomically: a new temp file in the same directory, then rename. keepalived
 * watches the directory with inotify (IN_MOVED_TO) and must never read a half-written track
 * file; rename replaces a symlink at `path` itself rather than following it. No fsync: these
 * files live on a tmpfs (/run) and mean nothing after a reboot. Synchronous on purpose: these
 * are tiny writes, and ordering per target matters.
 */
export function writeFileAtomic(path: string, content: string, temp: string = tempNameFor(path), mode = 0o644): FileIdentity {
  const fd = openSync(temp, CREATE_NEW, mode);
  try {
    let written: FileIdentity;
    try {
      writeFileSync(fd, content);
      const { dev, ino } = fstatSync(fd);
      written = { dev, ino };
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    return written;
  } catch (err) {
    // Ours to remove: we created it. (A name we failed to create is never unlinked: it is someone else's.)
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    throw err;
  }
}
