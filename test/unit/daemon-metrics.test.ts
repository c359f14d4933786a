/**
 * The daemon's /metrics as Prometheus reads it: exact exposition lines from a fresh Registry per
 * test (prom-client's own test style), for reports built from recorded MySQL 8.4 and MariaDB rows.
 */
import { Registry } from 'prom-client';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/types/facts.js';
import type { Policy } from '../../src/types/config.js';
import { applyCheck, initialState } from '../../src/daemon/hysteresis.js';
import type { TargetState } from '../../src/types/target-state.js';
import { classifyDriverError } from '../../src/db/failure.js';
import type { Row } from '../../src/types/row.js';
import { parseReplicaStatus } from '../../src/dialect/replica-status.js';
import type { ServerInfo } from '../../src/types/server.js';
import { createDaemonMetrics, type DaemonMetrics, type TargetMeta } from '../../src/metrics/daemon-metrics.js';
import { evaluate } from '../../src/verdict/evaluate.js';
import type { Facts } from '../../src/types/facts.js';
import * as mariadbMulti from '../fixtures/replica-status/mariadb-10-all-slaves-status.js';
import * as mysql84 from '../fixtures/replica-status/mysql84-replica-status.js';
import * as mysql84Multi from '../fixtures/replica-status/mysql84-multi-channel.js';

const POLICY: Policy = { maxLagSeconds: 30, role: 'auto', onSaturated: 'healthy', channels: [] };
const HYSTERESIS = { rise: 2, fall: 2 };
const UUID_1 = '2912c95d-e9f0-11ef-b511-0242ac140002';
const UUID_2 = '4bc25a7e-05fa-11f0-a474-3a37024b6791';

const MYSQL_84: ServerInfo = {
  version: '8.4.3',
  versionComment: 'MySQL Community Server - GPL',
  innodbVersion: '8.4.3',
  flavor: 'mysql',
  serverId: 3,
  readOnly: true,
  superReadOnly: true,
};
const MARIADB_1011: ServerInfo = {
  version: '10.11.6-MariaDB-0+deb12u1-log',
  versionComment: 'Debian 12',
  innodbVersion: '10.11.6',
  flavor: 'mariadb',
  serverId: 7,
  readOnly: true,
  superReadOnly: null,
};

function answered(server: ServerInfo, rows: readonly Row[], vip?: Facts['vip']): Facts {
  return {
    target: '192.0.2.3:3306',
    connect: { ok: true, elapsedMs: 2 },
    server: { ok: true, value: server, elapsedMs: 1 },
    replication: { ok: true, value: parseReplicaStatus(rows), elapsedMs: 1 },
    ...(vip && { vip }),
  };
}

const refused: Facts = {
  target: '192.0.2.3:3306',
  connect: { ok: false, error: classifyDriverError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 192.0.2.3:3306' }), elapsedMs: 1 },
};

const report = (facts: Facts, elapsedMs = 4): CheckReport => ({ facts, verdict: evaluate(facts, POLICY), elapsedMs });

/** Folds checks that finished at 1000, 2000, ... ms into a target state, as the daemon does. */
function stateAfter(...reports: CheckReport[]): TargetState {
  return reports.reduce((state, r, i) => applyCheck(state, r, (i + 1) * 1000, HYSTERESIS), initialState(0));
}

const DB1: TargetMeta = { name: 'db1', labels: {} };

let registry: Registry;
let metrics: DaemonMetrics;

beforeEach(() => {
  registry = new Registry();
  metrics = createDaemonMetrics(registry, []);
});

/** The sample lines of one metric family (histograms: its _bucket/_sum/_count lines too). */
async function lines(name: string): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `) || l.startsWith(`${name}_bucket{`) || l.startsWith(`${name}_sum{`) || l.startsWith(`${name}_count{`));
}

async function sampleLines(): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

const mysql84Channel = (name: string, uuid: string, host: string) => `{target="db1",master_host="${host}",master_uuid="${uuid}",channel_name="${name}",connection_name=""}`;
const SOURCE_1 = mysql84Channel('source_1', UUID_1, '192.0.2.51');
const SOURCE_2 = mysql84Channel('source_2', UUID_2, '192.0.2.52');

describe('mysqld_exporter-compatible series', () => {
  it('a MySQL 8.4 replica keeps the mysql_slave_status_* names, with channel_name from Channel_Name', async () => {
    metrics.record(DB1, stateAfter(report(answered(MYSQL_84, mysql84Multi.rows))));

    expect(await lines('mysql_slave_status_slave_io_running')).toEqual([`mysql_slave_status_slave_io_running${SOURCE_1} 1`, `mysql_slave_status_slave_io_running${SOURCE_2} 0`]);
    expect(await lines('mysql_slave_status_slave_sql_running')).toEqual([`mysql_slave_status_slave_sql_running${SOURCE_1} 1`, `mysql_slave_status_slave_sql_running${SOURCE_2} 1`]);
    expect(await lines('mysql_slave_status_master_server_id')).toEqual([`mysql_slave_status_master_server_id${SOURCE_1} 11`, `mysql_slave_status_master_server_id${SOURCE_2} 12`]);
    expect(await lines('mysql_slave_status_last_io_errno')).toEqual([`mysql_slave_status_last_io_errno${SOURCE_1} 0`, `mysql_slave_status_last_io_errno${SOURCE_2} 2003`]);
    expect(await lines('mysql_slave_status_last_sql_errno')).toEqual([`mysql_slave_status_last_sql_errno${SOURCE_1} 0`, `mysql_slave_status_last_sql_errno${SOURCE_2} 0`]);
    expect(await lines('mysql_slave_status_sql_delay')).toEqual([`mysql_slave_status_sql_delay${SOURCE_1} 0`, `mysql_slave_status_sql_delay${SOURCE_2} 0`]);
    // mysqld_exporter renames these on 8.4, and the public alert rules then go silent.
    expect((await registry.metrics()).match(/replica_|_source\b|behind_source/g)).toBeNull();
  });

  it('an IO thread that is still Connecting reads 0, as mysqld_exporter reads it', async () => {
    metrics.record(DB1, stateAfter(report(answered(MYSQL_84, mysql84Multi.rows))));
    expect(await lines('mysql_slave_status_slave_io_running')).toContain(`mysql_slave_status_slave_io_running${SOURCE_2} 0`);
  });

  it('a NULL lag gives no seconds_behind_master series: NULL is not 0', async () => {
    metrics.record(DB1, stateAfter(report(answered(MYSQL_84, mysql84Multi.rows))));
    expect(await lines('mysql_slave_status_seconds_behind_master')).toEqual([`mysql_slave_status_seconds_behind_master${SOURCE_1} 2`]);
  });

  it('a delayed MySQL 8.4 replica exports lag and SQL_Delay side by side, so the public lag rule subtracts them', async () => {
    metrics.record(DB1, stateAfter(report(answered(MYSQL_84, mysql84.delayed))));
    const channel = mysql84Channel('', '73f86016-978b-11ee-ade5-8d2a2a562feb', '192.0.2.40');
    expect(await lines('mysql_slave_status_seconds_behind_master')).toEqual([`mysql_slave_status_seconds_behind_master${channel} 3605`]);
    expect(await lines('mysql_slave_status_sql_delay')).toEqual([`mysql_slave_status_sql_delay${channel} 3600`]);
  });

  it('MariaDB multi-source: Connection_name goes to connection_name, and there is no super_read_only series', async () => {
    metrics.record(DB1, stateAfter(report(answered(MARIADB_1011, mariadbMulti.rows))));
    const east = '{target="db1",master_host="192.0.2.61",master_uuid="",channel_name="",connection_name="east"}';
    const west = '{target="db1",master_host="192.0.2.62",master_uuid="",channel_name="",connection_name="west"}';
    expect(await lines('mysql_slave_status_slave_sql_running')).toEqual([`mysql_slave_status_slave_sql_running${east} 1`, `mysql_slave_status_slave_sql_running${west} 0`]);
    expect(await lines('mysql_slave_status_seconds_behind_master')).toEqual([`mysql_slave_status_seconds_behind_master${east} 3`]);
    expect(await lines('mysql_slave_status_last_sql_errno')).toEqual([`mysql_slave_status_last_sql_errno${east} 0`, `mysql_slave_status_last_sql_errno${west} 1062`]);
    expect(await lines('mysql_global_variables_super_read_only')).toEqual([]);
    expect(await lines('mysql_global_variables_read_only')).toEqual(['mysql_global_variables_read_only{target="db1"} 1']);
  });

  it('mysql_up, version_info and read_only/super_read_only of a reachable MySQL server', async () => {
    metrics.record(DB1, stateAfter(report(answered(MYSQL_84, mysql84.healthy))));
    expect(await lines('mysql_up')).toEqual(['mysql_up{target="db1"} 1']);
    expect(await lines('mysql_version_info')).toEqual([
      'mysql_version_info{target="db1",version="8.4.3",version_comment="MySQL Community Server - GPL",innodb_version="8.4.3"} 1',
    ]);
    expect(await lines('mysql_global_variables_read_only')).toEqual(['mysql_global_variables_read_only{target="db1"} 1']);
    expect(await lines('mysql_global_variables_super_read_only')).toEqual(['mysql_global_variables_super_read_only{target="db1"} 1']);
  });

  it('a channel that disappears takes all its series with it', async () => {
    const before = report(answered(MYSQL_84, mysql84Multi.rows));
    const after = report(answered(MYSQL_84, mysql84Multi.rows.filter((r) => r.Channel_Name === 'source_1')));
    metrics.record(DB1, stateAfter(before));
    metrics.record(DB1, stateAfter(before, after));

    const slaveLines = (await sampleLines()).filter((l) => l.startsWith('mysql_slave_status_'));
    expect(slaveLines).toHaveLength(7);
    expect(slaveLines.every((l) => l.includes('channel_name="source_1"'))).toBe(true);
  });

  it('gauges are published from the last check when the registry is read, also after a scrape between checks', async () => {
    const before = report(answered(MYSQL_84, mysql84Multi.rows));
    const after = report(answered(MYSQL_84, mysql84Multi.rows.filter((r) => r.Channel_Name === 'source_1')));
    metrics.record(DB1, stateAfter(before));
    expect((await sampleLines()).filter((l) => l.startsWith('mysql_slave_status_slave_io_running'))).toHaveLength(2);
    metrics.record(DB1, stateAfter(before, after));
    metrics.record(DB1, stateAfter(before, after, report(refused)));
    metrics.record(DB1, stateAfter(before, after, report(refused), after));
    const slave = (await sampleLines()).filter((l) => l.startsWith('mysql_slave_status_'));
    expect(slave).toHaveLength(7);
    expect(slave.every((l) => l.includes('channel_name="source_1"'))).toBe(true);
    expect(await lines('check_mysql_checks_total')).toEqual([
      'check_mysql_checks_total{target="db1",result="healthy"} 3',
      'check_mysql_checks_total{target="db1",result="unhealthy"} 1',
    ]);
    expect(await lines('check_mysql_check_duration_seconds_count')).toEqual(['check_mysql_check_duration_seconds_count{target="db1"} 4']);
  });

  it('a target removed before a scrape leaves no series, though its last check was never published', async () => {
    metrics.record(DB1, stateAfter(report(answered(MYSQL_84, mysql84.healthy))));
    await sampleLines();
    metrics.record(DB1, stateAfter(report(answered(MYSQL_84, mysql84.healthy)), report(refused)));
    metrics.remove('db1');
    expect((await sampleLines()).filter((l) => l.includes('target="db1"'))).toEqual([]);
  });

  it('a failed connection sets mysql_up 0 and removes the target\'s other mysql_* series instead of leaving them stale', async () => {
    const ok = report(answered(MYSQL_84, mysql84Multi.rows));
    metrics.record(DB1, stateAfter(ok));
    metrics.record(DB1, stateAfter(ok, report(refused)));

    expect((await sampleLines()).filter((l) => l.startsWith('mysql_'))).toEqual(['mysql_up{target="db1"} 0']);
  });

  it('a server that answers but hides its variables keeps mysql_up 1 and exports nothing it did not read', async () => {
    const facts: Facts = {
      target: '192.0.2.3:3306',
      connect: { ok: true, elapsedMs: 1 },
      server: { ok: false, error: classifyDriverError({ errno: 1227, message: 'Access denied' }, 'query'), elapsedMs: 1 },
    };
    metrics.record(DB1, stateAfter(report(facts)));
    expect((await sampleLines()).filter((l) => l.startsWith('mysql_'))).toEqual(['mysql_up{target="db1"} 1']);
  });
});

describe('check-mysql\'s own series', () => {
  it('check_mysql_healthy follows rise/fall while check_mysql_last_check_healthy is the raw result', async () => {
    const ok = report(answered(MYSQL_84, mysql84.healthy));
    const bad = report(answered(MYSQL_84, mysql84.sqlStoppedDuplicateKey));

    metrics.record(DB1, stateAfter(ok));
    expect([...(await lines('check_mysql_healthy')), ...(await lines('check_mysql_last_check_healthy'))]).toEqual([
      'check_mysql_healthy{target="db1"} 0',
      'check_mysql_last_check_healthy{target="db1"} 1',
    ]);
    metrics.record(DB1, stateAfter(ok, ok));
    metrics.record(DB1, stateAfter(ok, ok, bad));
    expect([...(await lines('check_mysql_healthy')), ...(await lines('check_mysql_last_check_healthy'))]).toEqual([
      'check_mysql_healthy{target="db1"} 1',
      'check_mysql_last_check_healthy{target="db1"} 0',
    ]);
    metrics.record(DB1, stateAfter(ok, ok, bad, bad));
    expect(await lines('check_mysql_healthy')).toEqual(['check_mysql_healthy{target="db1"} 0']);
    expect(await lines('check_mysql_transitions_total')).toEqual(['check_mysql_transitions_total{target="db1"} 2']);
  });

  it('counts checks by result and failures by reason code, starting both results at 0', async () => {
    const ok = report(answered(MYSQL_84, mysql84.healthy));
    metrics.record(DB1, stateAfter(ok));
    expect(await lines('check_mysql_checks_total')).toEqual([
      'check_mysql_checks_total{target="db1",result="healthy"} 1',
      'check_mysql_checks_total{target="db1",result="unhealthy"} 0',
    ]);
    metrics.record(DB1, stateAfter(ok, report(refused)));
    metrics.record(DB1, stateAfter(ok, report(refused), report(refused)));
    expect(await lines('check_mysql_checks_total')).toEqual([
      'check_mysql_checks_total{target="db1",result="healthy"} 1',
      'check_mysql_checks_total{target="db1",result="unhealthy"} 2',
    ]);
    expect(await lines('check_mysql_failures_total')).toEqual(['check_mysql_failures_total{target="db1",reason="refused"} 2']);
    expect(await lines('check_mysql_last_check_reason')).toEqual(['check_mysql_last_check_reason{target="db1",reason="refused"} 1']);
  });

  it('recording the same state again (a reload refilling a registry) does not count another check', async () => {
    const state = stateAfter(report(refused));
    metrics.record(DB1, state);
    metrics.record(DB1, state);
    expect(await lines('check_mysql_checks_total')).toEqual([
      'check_mysql_checks_total{target="db1",result="healthy"} 0',
      'check_mysql_checks_total{target="db1",result="unhealthy"} 1',
    ]);
    expect(await lines('check_mysql_failures_total')).toEqual(['check_mysql_failures_total{target="db1",reason="refused"} 1']);
    expect(await lines('check_mysql_check_duration_seconds')).toContain('check_mysql_check_duration_seconds_count{target="db1"} 1');
  });

  it('the last check\'s reason series go away when the check passes again', async () => {
    const bad = report(answered(MYSQL_84, mysql84.sqlStoppedDuplicateKey));
    metrics.record(DB1, stateAfter(bad));
    expect(await lines('check_mysql_last_check_reason')).toEqual(['check_mysql_last_check_reason{target="db1",reason="sql-thread-error"} 1']);
    metrics.record(DB1, stateAfter(bad, report(answered(MYSQL_84, mysql84.healthy))));
    expect(await lines('check_mysql_last_check_reason')).toEqual([]);
  });

  it('role is one-hot over writer, standby and unknown; unknown when the server is unreachable', async () => {
    const standby = report(answered(MYSQL_84, mysql84.healthy));
    metrics.record(DB1, stateAfter(standby));
    expect(await lines('check_mysql_role')).toEqual([
      'check_mysql_role{target="db1",role="writer"} 0',
      'check_mysql_role{target="db1",role="standby"} 1',
      'check_mysql_role{target="db1",role="unknown"} 0',
    ]);
    metrics.record(DB1, stateAfter(standby, report(refused)));
    expect(await lines('check_mysql_role')).toEqual([
      'check_mysql_role{target="db1",role="writer"} 0',
      'check_mysql_role{target="db1",role="standby"} 0',
      'check_mysql_role{target="db1",role="unknown"} 1',
    ]);
  });

  it('timestamps are in seconds; the last success stays at the last healthy check', async () => {
    metrics.record(DB1, stateAfter(report(answered(MYSQL_84, mysql84.healthy)), report(refused)));
    expect(await lines('check_mysql_last_check_timestamp_seconds')).toEqual(['check_mysql_last_check_timestamp_seconds{target="db1"} 2']);
    expect(await lines('check_mysql_last_success_timestamp_seconds')).toEqual(['check_mysql_last_success_timestamp_seconds{target="db1"} 1']);
  });

  it('a target that never passed has no last-success series', async () => {
    metrics.record(DB1, stateAfter(report(refused)));
    expect(await lines('check_mysql_last_success_timestamp_seconds')).toEqual([]);
  });

  it('check duration is a histogram in seconds', async () => {
    metrics.record(DB1, stateAfter(report(answered(MYSQL_84, mysql84.healthy), 7)));
    const histogram = await lines('check_mysql_check_duration_seconds');
    expect(histogram).toContain('check_mysql_check_duration_seconds_bucket{le="0.005",target="db1"} 0');
    expect(histogram).toContain('check_mysql_check_duration_seconds_bucket{le="0.01",target="db1"} 1');
    expect(histogram).toContain('check_mysql_check_duration_seconds_sum{target="db1"} 0.007');
    expect(histogram).toContain('check_mysql_check_duration_seconds_count{target="db1"} 1');
  });

  it('vip_held is exported only for a target with a VIP', async () => {
    const vip = { address: '192.0.2.10', held: true };
    metrics.record({ name: 'db1', labels: {}, vip: '192.0.2.10' }, stateAfter(report(answered(MYSQL_84, mysql84.healthy, vip))));
    metrics.record({ name: 'db2', labels: {} }, stateAfter(report(answered(MYSQL_84, mysql84.healthy))));
    expect(await lines('check_mysql_vip_held')).toEqual(['check_mysql_vip_held{target="db1",vip="192.0.2.10"} 1']);
  });
});

describe('targets and their labels', () => {
  it('every series carries the configured labels, empty where a target lacks one', async () => {
    metrics = createDaemonMetrics((registry = new Registry()), ['dc', 'rack']);
    metrics.record({ name: 'db1', labels: { dc: 'east', rack: 'r1' } }, stateAfter(report(answered(MYSQL_84, mysql84.healthy))));
    metrics.record({ name: 'db2', labels: { dc: 'west' } }, stateAfter(report(refused)));

    const samples = await sampleLines();
    expect(samples.filter((l) => l.includes('target="db1"')).every((l) => l.includes('target="db1",dc="east",rack="r1"'))).toBe(true);
    expect(samples.filter((l) => l.includes('target="db2"')).every((l) => l.includes('target="db2",dc="west",rack=""'))).toBe(true);
    expect(samples.every((l) => l.includes('target="db1"') || l.includes('target="db2"'))).toBe(true);
    expect(await lines('mysql_up')).toEqual(['mysql_up{target="db1",dc="east",rack="r1"} 1', 'mysql_up{target="db2",dc="west",rack=""} 0']);
  });

  it('remove() drops every series of that target, counters and histogram included, and keeps the others', async () => {
    metrics.record({ name: 'db1', labels: {} }, stateAfter(report(answered(MYSQL_84, mysql84Multi.rows)), report(refused)));
    metrics.record({ name: 'db2', labels: {} }, stateAfter(report(answered(MARIADB_1011, mariadbMulti.rows))));
    metrics.remove('db1');

    const samples = await sampleLines();
    expect(samples.filter((l) => l.includes('target="db1"'))).toEqual([]);
    expect(samples.filter((l) => l.includes('target="db2"')).length).toBeGreaterThan(20);
  });

  it('a reload that changes a target\'s label values leaves no series under the old values', async () => {
    metrics = createDaemonMetrics((registry = new Registry()), ['dc']);
    const state = stateAfter(report(answered(MYSQL_84, mysql84.healthy)));
    metrics.record({ name: 'db1', labels: { dc: 'east' } }, state);
    metrics.record({ name: 'db1', labels: { dc: 'west' } }, state);
    expect((await sampleLines()).filter((l) => l.includes('dc="east"'))).toEqual([]);
  });

  it.each([['target'], ['reason'], ['master_host'], ['__meta'], ['1dc'], ['d-c']])('refuses %s as a target label name', (name) => {
    expect(() => createDaemonMetrics(new Registry(), [name])).toThrow(`target label names not usable in metrics (invalid or reserved): ${name}`);
  });
});

describe('per-probe series, as mysqld_exporter\'s collector_success and collector_duration_seconds', () => {
  const hidden = (): Facts => ({
    target: '192.0.2.3:3306',
    connect: { ok: true, elapsedMs: 1 },
    server: { ok: false, error: classifyDriverError({ errno: 1227, message: 'Access denied' }, 'query'), elapsedMs: 3 },
  });

  it('each probe of the last check has its success and its duration in seconds', async () => {
    metrics.record(DB1, stateAfter(report(answered(MYSQL_84, mysql84.healthy))));
    expect(await lines('check_mysql_probe_success')).toEqual([
      'check_mysql_probe_success{target="db1",probe="server_variables"} 1',
      'check_mysql_probe_success{target="db1",probe="replication"} 1',
    ]);
    expect(await lines('check_mysql_probe_duration_seconds')).toEqual([
      'check_mysql_probe_duration_seconds{target="db1",probe="server_variables"} 0.001',
      'check_mysql_probe_duration_seconds{target="db1",probe="replication"} 0.001',
    ]);
  });

  it('a failing probe reads 0, and a probe it left unreached loses its series', async () => {
    const ok = report(answered(MYSQL_84, mysql84.healthy));
    metrics.record(DB1, stateAfter(ok));
    metrics.record(DB1, stateAfter(ok, report(hidden())));
    expect(await lines('check_mysql_probe_success')).toEqual(['check_mysql_probe_success{target="db1",probe="server_variables"} 0']);
    expect(await lines('check_mysql_probe_duration_seconds')).toEqual(['check_mysql_probe_duration_seconds{target="db1",probe="server_variables"} 0.003']);
  });

  it('a failed connection leaves no probe series', async () => {
    metrics.record(DB1, stateAfter(report(answered(MYSQL_84, mysql84.healthy)), report(refused)));
    expect((await sampleLines()).filter((l) => l.startsWith('check_mysql_probe_'))).toEqual([]);
  });

  it('the help text says what a batched probe\'s duration is', async () => {
    const text = await registry.metrics();
    expect(text).toContain('# TYPE check_mysql_probe_success gauge');
    expect(text).toContain('# TYPE check_mysql_probe_duration_seconds gauge');
    expect(text).toMatch(/# HELP check_mysql_probe_duration_seconds .*one round trip each report that whole round trip's time/);
  });

  it('refuses probe as a target label name', () => {
    expect(() => createDaemonMetrics(new Registry(), ['probe'])).toThrow('target label names not usable in metrics (invalid or reserved): probe');
  });
});
