import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration suites start real mariadbd instances (1-3 s each).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    // Child processes, not threads: a suite's process 'exit' hook and its
    // watchdog pipe (test/helpers/reaper.ts) then see the suite's real end.
    pool: 'forks',
    // .ci/run asks for a JSON report to print "N passed, N failed" at the end.
    ...(process.env.VITEST_JSON_REPORT && {
      reporters: ['default', 'json'],
      outputFile: { json: process.env.VITEST_JSON_REPORT },
    }),
  },
});
