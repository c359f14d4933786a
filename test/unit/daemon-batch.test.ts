/**
 * The daemon's one round trip per check, against the scripted fake: every expected round trip is
 * either one statement or one batch, so a check that sends its probes one by one where a batch
 * is due (or the other way round) leaves the script unmet.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SERVER_VARIABLES_SQL } from '../../src/dialect/server-info.js';
import type { TargetConfig } from '../../src/daemon/daemon-config.js';
import { probeRuns } from '../../src/probes/registry.js';
import { replication } from '../../src/probes/replication.js';
import type { CheckReport } from '../../src/types/facts.js';
import { SCRIPTED_SPEC, variablesRows, type Expectation } from '../helpers/scripted-db.js';
import { scriptedMonitor } from '../helpers/scripted-monitor.js';
import { allSlavesStatus, slaveStatus } from '../fixtures/replica-status/mariadb-10.11-recorded.js';

const STANDBY: TargetConfig = { ...SCRIPTED_SPEC, name: 'standby', intervalMs: 1000, rise: 1, fall: 1, labels: {} };

const ALL_SLAVES = 'SHOW ALL SLAVES STATUS';
const variables = (readOnly: 'ON' | 'OFF' = 'ON'): Expectation => ({ sql: SERVER_VARIABLES_SQL, rows: variablesRows(readOnly) });
const allSlaves: Expectation = { sql: ALL_SLAVES, rows: allSlavesStatus };
const oneRoundTrip = (readOnly: 'ON' | 'OFF' = 'ON'): Expectation => ({ batch: [SERVER_VARIABLES_SQL, ALL_SLAVES], results: [variablesRows(readOnly), allSlavesStatus] });
const syntaxError = { errno: 1064, message: "You have an error in your SQL syntax; check the manual near 'ALL SLAVES STATUS'" };

/** A daemon watching one target over the scripted server; a check runs only when the test asks. */
const daemonOver = (script: readonly Expectation[]) => scriptedMonitor(STANDBY, script);

const probeNames = (r: CheckReport) => probeRuns(r.facts).map((p) => p.name);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('daemon: one round trip per check', () => {
  it('the first check of a session asks one statement at a time (flavour unknown), every later check is one round trip', async () => {
    const { db, checks } = daemonOver([variables(), allSlaves, oneRoundTrip(), oneRoundTrip(), oneRoundTrip()]);
    const [first, ...batched] = await checks(4);
    db.expectationsMet();
    for (const r of [first!, ...batched]) {
      expect(r.verdict.reasons).toEqual([]);
      expect(r.facts.replication).toEqual({ ok: true, value: (first!.facts.replication as { value: unknown }).value, elapsedMs: expect.any(Number) });
    }
    // One round trip cannot be split between its probes: each is given all of it.
    for (const r of batched) expect(r.facts.server?.elapsedMs).toBe(r.facts.replication?.elapsedMs);
  });

  it('a probe whose statement changes stays in the round trip: the batch is built from the probes', async () => {
    const changed = 'SHOW REPLICA STATUS /* a probe edited */';
    vi.spyOn(replication, 'plan').mockImplementation(({ server }) => (server ? { statements: [changed] } : undefined));
    const { db, checks } = daemonOver([
      variables(),
      { sql: changed, rows: allSlavesStatus },
      { batch: [SERVER_VARIABLES_SQL, changed], results: [variablesRows('ON'), allSlavesStatus] },
    ]);
    const [, second] = await checks(2);
    db.expectationsMet();
    expect(second!.verdict.reasons).toEqual([]);
    expect(second!.facts.replication).toMatchObject({ ok: true, value: [{ channel: '' }, { channel: 'm2' }] });
  });

  it('a server that rejects the batch is asked one statement at a time from then on, SHOW SLAVE STATUS after a 1064', async () => {
    const { db, checks } = daemonOver([
      variables(),
      { sql: ALL_SLAVES, error: syntaxError },
      { sql: 'SHOW SLAVE STATUS', rows: slaveStatus },
      { batch: [SERVER_VARIABLES_SQL, ALL_SLAVES], error: syntaxError },
      variables(),
      { sql: ALL_SLAVES, error: syntaxError },
      { sql: 'SHOW SLAVE STATUS', rows: slaveStatus },
      variables(),
      { sql: ALL_SLAVES, error: syntaxError },
      { sql: 'SHOW SLAVE STATUS', rows: slaveStatus },
    ]);
    const reports = await checks(3);
    db.expectationsMet();
    for (const r of reports) {
      expect(r.verdict.reasons).toEqual([]);
      expect(r.facts.replication).toMatchObject({ ok: true, value: [{ channel: '' }] });
    }
  });

  it('a batch that runs into the deadline reads as a timeout, and batching goes on', async () => {
    const { db, checks } = daemonOver([
      variables(),
      allSlaves,
      { batch: [SERVER_VARIABLES_SQL, ALL_SLAVES], error: { code: 'ETIMEDOUT', message: 'no answer within the deadline' } },
      variables(),
      allSlaves,
      oneRoundTrip(),
    ]);
    const [, timedOut, , batchedAgain] = await checks(4);
    db.expectationsMet();
    expect(timedOut!.verdict.reasons.map((r) => r.code)).toEqual(['timeout']);
    expect(probeNames(timedOut!)).toEqual(['server_variables']); // replication needs the flavour it did not get
    expect(batchedAgain!.verdict.reasons).toEqual([]);
  });

  it('a probe sends nothing where it does not apply, even when the last check had batched it', async () => {
    // As a probe that runs only on a standby would be: applicable from what this check found.
    vi.spyOn(replication, 'plan').mockImplementation(({ server }) => (server?.readOnly ? { statements: [ALL_SLAVES] } : undefined));
    const { db, checks } = daemonOver([
      variables('ON'),
      allSlaves,
      oneRoundTrip('OFF'), // planned from a standby, answered by a writer: its replication answer is not used
      variables('ON'), // planned from a writer: variables only, then the status alone once it is a standby again
      allSlaves,
    ]);
    const [standby, writer, standbyAgain] = await checks(3);
    db.expectationsMet();
    expect([standby, writer, standbyAgain].map((r) => probeNames(r!))).toEqual([
      ['server_variables', 'replication'],
      ['server_variables'],
      ['server_variables', 'replication'],
    ]);
  });

  it('a probe whose statement depends on what this check found is sent again when the batched one no longer fits', async () => {
    vi.spyOn(replication, 'plan').mockImplementation(({ server }) => server && { statements: [server.readOnly ? ALL_SLAVES : 'SHOW SLAVE STATUS'] });
    const { db, checks } = daemonOver([variables('ON'), allSlaves, oneRoundTrip('OFF'), { sql: 'SHOW SLAVE STATUS', rows: slaveStatus }]);
    const [, second] = await checks(2);
    db.expectationsMet();
    expect(second!.facts.replication).toMatchObject({ ok: true, value: [{ channel: '' }] });
  });
});
