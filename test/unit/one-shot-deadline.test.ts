/**
 * The one-shot's deadline covers the work after the last answer too: keepalived kills the check
 * at its timeout, so a verdict reached past --timeout is `timeout`, never healthy. The scripted
 * server's clock lets the answers arrive, or the reading end, after the deadline.
 */
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check.js';
import { SERVER_VARIABLES_SQL } from '../../src/dialect/server-info.js';
import { SCRIPTED_SPEC, scriptedConnector, variablesRows, type Expectation } from '../helpers/scripted-db.js';
import { allSlavesStatus } from '../fixtures/replica-status/mariadb-10.11-recorded.js';

const standby = (replicationTakesMs: number): Expectation[] => [
  { sql: SERVER_VARIABLES_SQL, rows: variablesRows('ON') },
  { sql: 'SHOW ALL SLAVES STATUS', rows: allSlavesStatus, takesMs: replicationTakesMs },
];

/** A one-shot with --timeout 0.8 whose clock advances by what each scripted statement takes. */
async function check(script: readonly Expectation[]) {
  const db = scriptedConnector(script);
  const report = await runCheck(SCRIPTED_SPEC, { connect: db.connect, now: () => db.elapsedMs(), networkInterfaces: () => ({}) });
  db.expectationsMet();
  return report;
}

describe('one-shot: the deadline covers the work after the last answer', () => {
  it('a healthy standby judged within --timeout is healthy', async () => {
    const report = await check(standby(700));
    expect(report.verdict).toMatchObject({ healthy: true, role: 'standby', reasons: [] });
  });

  it('the same answers read until past --timeout: timeout, never healthy', async () => {
    const report = await check(standby(2200));
    expect(report.verdict.healthy).toBe(false);
    expect(report.verdict.reasons).toEqual([{ code: 'timeout', message: 'the check took 2200 ms, past its 800 ms deadline: not judged healthy' }]);
  });

  it('a failure already named keeps its reason, with timeout first', async () => {
    const report = await check([{ sql: SERVER_VARIABLES_SQL, rows: variablesRows('ON') }, { sql: 'SHOW ALL SLAVES STATUS', rows: [], takesMs: 900 }]);
    expect(report.verdict.reasons.map((r) => r.code)).toEqual(['timeout', 'no-replication']);
  });
});
