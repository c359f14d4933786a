// What every MariaDB test harness needs first: the binaries, and temporary dirs that the
// reaper removes however the test process ends.
import { accessSync, constants, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { trackDir, untrackDir } from '../reaper.js';

export interface Binaries {
  mariadbd: string;
  installDb: string;
}

/** The first executable `name` on PATH or in the sbin/bin directories root's PATH has. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* try the next dir */
    }
  }
  return undefined;
}

/** The MariaDB binaries, or a one-line reason they are missing. */
export function findBinaries(): Binaries | string {
  const mariadbd = findExecutable('mariadbd');
  const installDb = findExecutable('mariadb-install-db');
  if (!mariadbd || !installDb) {
    return `mariadbd/mariadb-install-db not found on PATH (install mariadb-server)`;
  }
  return { mariadbd, installDb };
}

export function binaries(): Binaries {
  const found = findBinaries();
  if (typeof found === 'string') throw new Error(found);
  return found;
}

export async function makeTempDir(): Promise<string> {
  // Sync, so no await separates creating the dir from tracking it.
  const dir = mkdtempSync(join(tmpdir(), 'check-mysql-test-'));
  trackDir(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  untrackDir(dir);
}
