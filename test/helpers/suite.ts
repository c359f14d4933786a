import { describe, it } from 'vitest';
import { findBinaries } from './mariadb.js';

function inCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI?.toLowerCase();
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/**
 * describe() for suites that need real MariaDB binaries. Locally, without
 * them, the suite is skipped with a one-line reason; under CI it fails, so a
 * runner image that lost mariadb-server cannot turn the suite green.
 */
export function describeWithMariadb(name: string, body: () => void): void {
  const found = findBinaries();
  if (typeof found !== 'string') {
    describe(name, body);
  } else if (inCI(process.env)) {
    describe(name, () => {
      it('has mariadbd available (required under CI)', () => {
        throw new Error(`CI is set but ${found}`);
      });
    });
  } else {
    describe.skip(`${name} [skipped: ${found}]`, body);
  }
}
