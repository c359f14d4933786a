import { describe, expect, it } from 'vitest';
import { keepalivedMissing } from './keepalived/process.js';
import { findBinaries } from './servers/binaries.js';

export function inCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI?.toLowerCase();
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/**
 * The one home of "this suite needs a real tool": `missing` is why it cannot run here, or
 * undefined when it can. Locally the suite is then skipped with that one-line reason; under CI
 * it fails instead, so a runner image that lost a package cannot turn the suite green.
 */
export function describeNeeding(missing: string | undefined, name: string, body: () => void): void {
  if (missing !== undefined && inCI()) {
    describe(name, () => it(`has what it needs (required under CI): ${missing}`, () => expect.fail(`CI is set but ${missing}`)));
    return;
  }
  // Only here, outside CI, and only with a reason: a suite skips when a tool is missing.
  describe.skipIf(missing !== undefined)(missing === undefined ? name : `${name} [skipped: ${missing}]`, body);
}

/** describe() for suites that need real MariaDB binaries. */
export function describeWithMariadb(name: string, body: () => void): void {
  const found = findBinaries();
  describeNeeding(typeof found === 'string' ? found : undefined, name, body);
}

/**
 * describe() for suites that need keepalived, ip, root and MariaDB (here rather than in
 * keepalived/process.ts, so that the benchmarks can use those helpers without loading vitest).
 */
export function describeWithKeepalived(name: string, body: () => void): void {
  describeNeeding(keepalivedMissing(), name, body);
}
