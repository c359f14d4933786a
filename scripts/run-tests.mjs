// npm test's vitest run, in two groups (vitest.config.ts says which file is in which): the
// files that may share the machine, two at a time, then those that measure detection and
// failover times, one at a time. Vitest 3.2 sizes one pool for the whole run, so each group is a
// run of its own. Arguments (a file filter, -t NAME) go to both; with VITEST_JSON_REPORT set,
// the two JSON reports are merged into that file. Exits non-zero if either group failed.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const vitest = createRequire(import.meta.url).resolve('vitest/vitest.mjs');
const GROUPS = [
  { project: 'shared', workers: '2' },
  { project: 'alone', workers: '1' },
];
const merged = process.env.VITEST_JSON_REPORT;
let status = 0;
const reports = [];
for (const { project, workers } of GROUPS) {
  const report = merged && `${merged}.${project}`;
  // A filter that matches files of one group only leaves the other with none: that is no failure.
  const run = spawnSync(process.execPath, [vitest, 'run', '--project', project, '--maxWorkers', workers, '--passWithNoTests', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, ...(report && { VITEST_JSON_REPORT: report }) },
  });
  if (run.status !== 0) status = run.status ?? 1;
  if (report) reports.push(report);
}
if (merged) {
  const total = { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, testResults: [] };
  for (const file of reports) {
    let r = {};
    try {
      r = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      status ||= 1; // a group that wrote no report did not run
    }
    for (const key of ['numPassedTests', 'numFailedTests', 'numPendingTests', 'numTodoTests']) total[key] += r[key] ?? 0;
    total.testResults.push(...(r.testResults ?? []));
    rmSync(file, { force: true });
  }
  writeFileSync(merged, JSON.stringify(total));
}
process.exit(status);
