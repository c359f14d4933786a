/**
 * The worst a server can make of what check-mysql writes and serves: 64 channels (the most it
 * reads) with every field at its limit, in characters that escaping doubles. The status file is
 * rewritten every check and /metrics is scraped every few seconds, so both stay bounded; the
 * figures are printed for docs/security.md.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { statusDocument } from '../../src/daemon/state-files.js';
import type { TargetConfig } from '../../src/daemon/daemon-config.js';
import { parseReplicaStatus } from '../../src/dialect/replica-status.js';
import { parseServerVariables } from '../../src/dialect/server-info.js';
import { MAX_CHANNELS } from '../../src/limits.js';
import { createDaemonMetrics } from '../../src/metrics/daemon-metrics.js';
import { formatHuman } from '../../src/output/human.js';
import { formatJson } from '../../src/output/json.js';
import { formatNagios } from '../../src/output/nagios.js';
import type { CheckReport, Facts } from '../../src/types/facts.js';
import type { Row } from '../../src/types/row.js';
import type { TargetState } from '../../src/types/target-state.js';
import { evaluate } from '../../src/verdict/evaluate.js';

const KiB = 1024;
const HUGE = '"'.repeat(1024 * KiB);
const HUGE_LINES = '\n'.repeat(1024 * KiB);

/** A channel row whose every text column is 1 MiB of quotes, as a hostile server may send. */
const hostileRow = (i: number): Row => ({
  Channel_Name: `${i}${HUGE}`,
  Source_Host: HUGE,
  Source_Port: 3306,
  Source_UUID: HUGE,
  Replica_IO_Running: 'No',
  Replica_SQL_Running: 'No',
  Last_IO_Errno: 1236,
  Last_IO_Error: HUGE,
  Last_SQL_Errno: 1062,
  Last_SQL_Error: HUGE,
  Seconds_Behind_Source: null,
  Source_Log_File: HUGE,
  Relay_Source_Log_File: HUGE,
  Replica_SQL_Running_State: HUGE,
  Retrieved_Gtid_Set: HUGE_LINES,
  Executed_Gtid_Set: HUGE_LINES,
});

function worstReport(): CheckReport {
  const server = parseServerVariables([
    { Variable_name: 'read_only', Value: 'ON' },
    { Variable_name: 'version', Value: `8.4.3${HUGE}` },
    { Variable_name: 'version_comment', Value: HUGE },
    { Variable_name: 'innodb_version', Value: HUGE },
  ]);
  const facts: Facts = {
    target: '192.0.2.3:3306',
    connect: { ok: true, elapsedMs: 2 },
    server: { ok: true, value: server, elapsedMs: 1 },
    replication: { ok: true, value: parseReplicaStatus(Array.from({ length: MAX_CHANNELS }, (_, i) => hostileRow(i))), elapsedMs: 1 },
  };
  return { facts, verdict: evaluate(facts, { maxLagSeconds: 30, role: 'auto', onSaturated: 'healthy', channels: [] }), elapsedMs: 4 };
}

const report = worstReport();
const state: TargetState = { healthy: false, consecutiveOk: 0, consecutiveFail: 1, lastChangeAt: 0, transitions: 0, lastReport: report, lastCheckAt: 1000 };
const sizes: string[] = [];
const measured = (what: string, bytes: number): number => {
  sizes.push(`${what}: ${Math.round(bytes / KiB)} KiB`);
  return bytes;
};

describe(`outputs for ${MAX_CHANNELS} channels of maximal text`, () => {
  it('the status file stays under 1.5 MiB (it was 8 MB for one 8 MB Master_Host)', () => {
    const doc = statusDocument({ name: 'db1', rise: 2, fall: 2, intervalMs: 1000 } as TargetConfig, state, 4242);
    expect(measured('status file', Buffer.byteLength(doc))).toBeLessThan(1536 * KiB);
  });

  it('--json stays under 1.5 MiB, the human and nagios lines under 256 KiB', () => {
    expect(measured('--json', Buffer.byteLength(formatJson(report)))).toBeLessThan(1536 * KiB);
    expect(measured('human line', Buffer.byteLength(formatHuman(report)))).toBeLessThan(256 * KiB);
    expect(measured('nagios line', Buffer.byteLength(formatNagios(report, 30).line))).toBeLessThan(256 * KiB);
  });

  it('/metrics stays under 640 KiB (it was 58 MB for one 8 MB Master_Host)', async () => {
    const registry = new Registry();
    createDaemonMetrics(registry, []).record({ name: 'db1', labels: {} }, state);
    const text = await registry.metrics();
    expect(text.match(/^mysql_slave_status_slave_sql_running\{/gm)).toHaveLength(MAX_CHANNELS);
    expect(measured('/metrics', Buffer.byteLength(text))).toBeLessThan(640 * KiB);
    console.log(`[output-bounds] ${sizes.join(', ')}`);
  });
});
