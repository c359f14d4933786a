import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` atomically: a temp file in the same directory, then rename. keepalived watches
 * the directory with inotify (IN_MOVED_TO) and must never read a half-written track file.
 * Synchronous on purpose: these are tiny writes to a tmpfs, and ordering per target matters.
 */
export function writeFileAtomic(path: string, content: string, pid: number): void {
  const temp = join(dirname(path), `.${basename(path)}.${pid}.tmp`);
  try {
    writeFileSync(temp, content, { mode: 0o644 });
    renameSync(temp, path);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // nothing was left behind
    }
    throw err;
  }
}
