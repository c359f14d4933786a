import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, openSync, readSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import type { MaintenanceFs, MaintenanceStat } from '../types/maintenance-fs.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY, O_DIRECTORY } = constants;

const statOf = (s: Stats): MaintenanceStat => ({
  kind: s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other',
  size: s.size,
  mode: s.mode,
  uid: s.uid,
});

const notRegular = (): Error => Object.assign(new Error('not a regular file'), { code: 'EINVAL' });

/** The real file system, with the maintenance file's rules on how to open. */
export const nodeMaintenanceFs: MaintenanceFs = {
  lstat: (path) => statOf(lstatSync(path)),
  stat: (path) => statOf(statSync(path)),
  readHead(path, maxBytes) {
    const fd = openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    try {
      if (!fstatSync(fd).isFile()) throw notRegular();
      const buffer = Buffer.alloc(maxBytes);
      let length = 0;
      while (length < maxBytes) {
        const n = readSync(fd, buffer, length, maxBytes - length, null);
        if (n === 0) break;
        length += n;
      }
      return buffer.subarray(0, length);
    } finally {
      closeSync(fd);
    }
  },
  createExclusive(path, content) {
    const fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0o644);
    try {
      writeFileSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
  rename: (from, to) => renameSync(from, to),
  unlink: (path) => unlinkSync(path),
  syncDir(path) {
    const fd = openSync(path, O_RDONLY | O_DIRECTORY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
  randomSuffix: () => randomBytes(9).toString('base64url'),
};
