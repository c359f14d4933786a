// A small ext4 file system that a test makes as root and fills, for "the disk is full" on the
// datadir or the binlog directory of a test mariadbd: an image file in a temp dir,
// `mkfs.ext4 -m 0` (no blocks reserved for root, so root and mysql hit ENOSPC alike) and
// `mount -o loop` (which frees its loop device when unmounted). InnoDB will not start on tmpfs,
// hence ext4. The mount is tracked by the reaper (unmounted after the test's processes die,
// however the test ends), the image's dir by the temp-dir tracking.
import { execFile } from 'node:child_process';
import { chmodSync, closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findExecutable } from '../executables.js';
import { trackMount, untrackMount } from '../reaper.js';
import { makeTempDir, removeTempDir } from '../temp-dir.js';
import { waitFor } from '../wait.js';

const run = promisify(execFile);

const FILLER = 'filler';
const CHUNK_BYTES = [1 << 20, 64 << 10];

/** Why a small file system cannot be made here, or undefined when it can. */
export function smallFsMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a loop file system needs root';
  for (const tool of ['mkfs.ext4', 'losetup', 'mount', 'umount']) {
    if (!findExecutable(tool)) return `${tool} not found (Debian: apt-get install e2fsprogs mount)`;
  }
  return undefined;
}

export interface SmallFsOptions {
  sizeMb: number;
  /** A user name or uid:gid that owns the file system's root directory (e.g. 'mysql'). */
  owner?: string;
}

export class SmallFs {
  private removed = false;

  private constructor(readonly dir: string, readonly mountPoint: string) {}

  /** Makes, mounts and (if asked) chowns it; on failure, removes what was made. */
  static async create(o: SmallFsOptions): Promise<SmallFs> {
    const dir = await makeTempDir();
    chmodSync(dir, 0o755); // another owner (mysql) must reach the mount point
    const fs = new SmallFs(dir, join(dir, 'mnt'));
    try {
      const image = join(dir, 'image');
      const fd = openSync(image, 'wx', 0o600);
      ftruncateSync(fd, o.sizeMb << 20);
      closeSync(fd);
      await run('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
      mkdirSync(fs.mountPoint);
      trackMount(fs.mountPoint); // before it exists: a crash in between must not leak it
      await run('mount', ['-o', 'loop', image, fs.mountPoint]);
      if (o.owner) await run('chown', [o.owner, fs.mountPoint]);
    } catch (err) {
      await fs.remove().catch(() => undefined);
      throw err;
    }
    return fs;
  }

  /** Bytes an unprivileged user could still write (statfs f_bavail). */
  availableBytes(): number {
    const s = statfsSync(this.mountPoint);
    return s.bavail * s.bsize;
  }

  /**
   * Writes a filler file until ENOSPC, in ever smaller chunks down to one block, so that not a
   * block is left; returns the bytes written. Bounded by the file system's size.
   */
  async fill(): Promise<number> {
    const fd = openSync(join(this.mountPoint, FILLER), 'a', 0o600);
    let written = 0;
    const { blocks, bsize } = statfsSync(this.mountPoint);
    try {
      for (const chunk of [...CHUNK_BYTES, bsize]) {
        const buf = Buffer.alloc(chunk, 0x55);
        const maxWrites = Math.ceil((blocks * bsize) / chunk) + 1;
        for (let i = 0; i < maxWrites; i++) {
          try {
            written += writeSync(fd, buf);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw err;
          }
        }
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return written;
  }

  /**
   * Deletes the filler and commits the journal (`sync -f`): ext4 reuses freed blocks only once
   * the transaction that freed them is committed. Resolves when the space is visible.
   */
  async free(): Promise<void> {
    try {
      unlinkSync(join(this.mountPoint, FILLER));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await run('sync', ['-f', this.mountPoint]);
    await waitFor(`free space on ${this.mountPoint}`, () => this.availableBytes() > 1 << 20, { timeoutMs: 10_000 });
  }

  /** Unmounts (retrying while a just-killed process still holds a file) and removes the image. Idempotent. */
  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    if (await isMounted(this.mountPoint)) {
      await waitFor(`umount ${this.mountPoint}`, async () => {
        await run('umount', [this.mountPoint]);
        return true;
      }, { timeoutMs: 10_000, intervalMs: 100 });
    }
    untrackMount(this.mountPoint);
    await removeTempDir(this.dir);
  }
}

async function isMounted(path: string): Promise<boolean> {
  try {
    await run('mountpoint', ['-q', path]);
    return true;
  } catch {
    return false;
  }
}
