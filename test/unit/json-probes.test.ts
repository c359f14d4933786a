/** --json lists each probe that ran, with its success and time, after the keys scripts already read. */
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check.js';
import { SERVER_VARIABLES_SQL } from '../../src/dialect/server-info.js';
import { formatJson } from '../../src/output/json.js';
import { SCRIPTED_SPEC, scriptedConnector, variablesRows, type Expectation } from '../helpers/scripted-db.js';

/** The --json document of a one-shot check against the scripted server; the clock ticks 2 ms per reading. */
async function jsonOf(script: readonly Expectation[], connectError?: { code: string; message: string }) {
  const db = scriptedConnector(script, connectError);
  let t = 0;
  const report = await runCheck(SCRIPTED_SPEC, { connect: db.connect, now: () => (t += 2), networkInterfaces: () => ({}) });
  db.expectationsMet();
  return JSON.parse(formatJson(report)) as Record<string, unknown>;
}

describe('--json: per-probe results', () => {
  it('a healthy writer lists both probes, ok, with their times, after the existing keys', async () => {
    const json = await jsonOf([
      { sql: SERVER_VARIABLES_SQL, rows: variablesRows('OFF') },
      { sql: 'SHOW ALL SLAVES STATUS', rows: [] },
    ]);
    expect(Object.keys(json)).toEqual(['healthy', 'role', 'target', 'reasons', 'warnings', 'checks', 'server', 'replication', 'vip', 'elapsedMs', 'probes', 'heartbeat']);
    expect(json.probes).toEqual([
      { name: 'server_variables', ok: true, elapsedMs: 2 },
      { name: 'replication', ok: true, elapsedMs: 2 },
    ]);
  });

  it('a probe that fails says why, and the probe that needed its answer is not listed', async () => {
    const json = await jsonOf([{ sql: SERVER_VARIABLES_SQL, error: { errno: 1227, message: 'Access denied; you need the PROCESS privilege' } }]);
    expect(json).toMatchObject({ healthy: false, server: null, replication: null });
    expect(json.probes).toEqual([{ name: 'server_variables', ok: false, elapsedMs: 2, error: 'query-error: Access denied; you need the PROCESS privilege (errno 1227)' }]);
  });

  it('no connection, no probes', async () => {
    const json = await jsonOf([], { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 192.0.2.8:3306' });
    expect(json).toMatchObject({ healthy: false, probes: [] });
  });
});
