// Temporary dirs that the reaper removes however the test process ends. No vitest here: the
// benchmarks (bench/) load these helpers outside vitest; dirPerCase is in dir-per-case.ts.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
