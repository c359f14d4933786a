// Temporary dirs that the reaper removes however the test process ends.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { trackDir, untrackDir } from './reaper.js';

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

/**
 * For a test file whose cases each want a directory of their own: one temp dir made before the
 * file's tests and removed after, and `fresh()` making a new subdirectory (mode 0755) in it.
 */
export function dirPerCase(): { fresh: () => string } {
  let dir = '';
  let n = 0;
  beforeAll(async () => {
    dir = await makeTempDir();
  });
  afterAll(() => removeTempDir(dir));
  return {
    fresh: () => {
      const d = join(dir, `case-${++n}`);
      mkdirSync(d, { mode: 0o755 });
      return d;
    },
  };
}
