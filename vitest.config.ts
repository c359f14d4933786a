import { defineConfig } from 'vitest/config';

/**
 * Files that may share the machine with another test file: no timing assertion a busy CPU could
 * break. The 60 s of faults-full-disk are mostly MariaDB sleeping before it retries a write on a
 * full disk, so the rest of this group runs meanwhile. Everything else measures detection and
 * failover times and runs alone, after this group (sequence.groupOrder). Vitest 3.2 sizes one
 * pool for a whole run, so scripts/run-tests.mjs runs each group with its own --maxWorkers.
 */
const SHARES_THE_MACHINE = [
  'test/unit/**/*.test.ts',
  'test/integration/faults-full-disk.test.ts',
  'test/integration/{promtool,systemd-unit,lint-host,secrets,gtid-errant,harness}.test.ts',
  'test/integration/{tls,tls-impostor,tls-daemon,daemon-peer-tls,web-config,dashboard}.test.ts',
];

const common = {
  // Integration suites start real mariadbd instances (1-3 s each).
  testTimeout: 60_000,
  hookTimeout: 60_000,
  teardownTimeout: 30_000,
  // Child processes, not threads: a suite's process 'exit' hook and its
  // watchdog pipe (test/helpers/reaper.ts) then see the suite's real end.
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    // .ci/run asks for a JSON report to print "N passed, N failed" at the end.
    ...(process.env.VITEST_JSON_REPORT && {
      reporters: ['default', 'json'],
      outputFile: { json: process.env.VITEST_JSON_REPORT },
    }),
    projects: [
      { test: { ...common, name: 'shared', include: SHARES_THE_MACHINE, sequence: { groupOrder: 0 } } },
      { test: { ...common, name: 'alone', include: ['test/**/*.test.ts'], exclude: SHARES_THE_MACHINE, sequence: { groupOrder: 1 } } },
    ],
  },
});
