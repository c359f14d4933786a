// A temp dir per test file with a fresh subdirectory per case (vitest hooks: kept out of
// temp-dir.ts, which the benchmarks load outside vitest).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { makeTempDir, removeTempDir } from './temp-dir.js';

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
