/**
 * What --heartbeat-table adds to what check-mysql says: the lag chosen and its source, the
 * mysqld_exporter heartbeat series and the lag gauge, and the one-shot's one line and exit 2
 * for a table that cannot be used.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { check, type CheckCommandDeps } from '../../src/commands/check.js';
import { runCommand } from '../../src/commands/run-command.js';
import { applyCheck, initialState } from '../../src/daemon/hysteresis.js';
import { heartbeatRead, heartbeatUpsert } from '../../src/dialect/heartbeat.js';
import { SERVER_VARIABLES_SQL } from '../../src/dialect/server-info.js';
import { createDaemonMetrics } from '../../src/metrics/daemon-metrics.js';
import type { Facts } from '../../src/types/facts.js';
import type { ProcessIo } from '../../src/types/io.js';
import type { ServerInfo } from '../../src/types/server.js';
import { evaluate } from '../../src/verdict/evaluate.js';
import { formatNagios } from '../../src/output/nagios.js';
import { channelLag } from '../../src/verdict/lag.js';
import { scriptedConnector, variablesRows, type Expectation } from '../helpers/scripted-db.js';
import { noFiles } from '../helpers/option-files.js';
import { healthyChannel } from './channel-builder.js';

describe('the lag a standby is judged by', () => {
  it.each([
    ['only Seconds_Behind without a heartbeat', { secondsBehind: 4 }, undefined, { seconds: 4, source: 'seconds_behind' }],
    ['the heartbeat when it is older', { secondsBehind: 0 }, 8.2, { seconds: 8.2, source: 'heartbeat' }],
    ['Seconds_Behind when it is larger', { secondsBehind: 45 }, 0.4, { seconds: 45, source: 'seconds_behind' }],
    ['the heartbeat when Seconds_Behind is NULL', { secondsBehind: null }, 1.5, { seconds: 1.5, source: 'heartbeat' }],
    ['both beyond SQL_Delay', { secondsBehind: 3610, sqlDelay: 3600 }, 3625, { seconds: 25, source: 'heartbeat' }],
    ['no lag from a source clock ahead of ours', { secondsBehind: 0 }, -2, { seconds: 0, source: 'seconds_behind' }],
  ] as const)('%s', (_name, over, age, expected) => {
    expect(channelLag(healthyChannel(over), age)).toEqual(expected);
  });

  it('none when neither is known', () => {
    expect(channelLag(healthyChannel({ secondsBehind: null }), undefined)).toBeNull();
  });
});

const STANDBY: ServerInfo = { version: '10.11.6-MariaDB-log', versionComment: '', innodbVersion: '', flavor: 'mariadb', serverId: 2, readOnly: true, superReadOnly: null };
const POLICY = { maxLagSeconds: 30, role: 'auto', onSaturated: 'healthy', channels: [], heartbeat: { table: { database: 'hb', table: 'beat', quoted: '`hb`.`beat`' }, writeBoundMs: 800 } } as const;

const standbyFacts = (): Facts => ({
  target: '192.0.2.2:3306',
  connect: { ok: true, elapsedMs: 1 },
  server: { ok: true, value: STANDBY, elapsedMs: 1 },
  replication: { ok: true, value: [healthyChannel({ channel: 'a', secondsBehind: 0 })], elapsedMs: 1 },
  heartbeat: { ok: true, value: [{ serverId: 1, ageSeconds: 8.25, storedSeconds: 1_800_000_000.25, nowSeconds: 1_800_000_008.5 }], elapsedMs: 1 },
});

describe('Nagios perfdata of a standby with --heartbeat-table', () => {
  it('graphs the lag the verdict judged: the heartbeat when it is the larger', () => {
    const facts = standbyFacts();
    const { line } = formatNagios({ facts, verdict: evaluate(facts, { ...POLICY, maxLagSeconds: 3 }), elapsedMs: 2 }, 3);
    expect(line).toMatch(/^MYSQL CRITICAL - standby 192\.0\.2\.2:3306: lag: channel 'a': 8\.3 s behind .* \| 'lag_a'=8\.25s;;3 'time'=/);
  });
});

describe('metrics of a standby with --heartbeat-table', () => {
  it("exports mysqld_exporter's heartbeat pair by server_id, and the lag from each source", async () => {
    const facts = standbyFacts();
    const registry = new Registry();
    const metrics = createDaemonMetrics(registry, []);
    const report = { facts, verdict: evaluate(facts, { ...POLICY, maxLagSeconds: 3 }), elapsedMs: 2 };
    metrics.record({ name: 'db2', labels: {} }, applyCheck(initialState(0), report, 1, { rise: 1, fall: 1 }));
    const text = await registry.metrics();
    const lines = text.split('\n').filter((l) => /^(mysql_heartbeat|check_mysql_replication_lag)/.test(l));
    expect(lines).toEqual([
      'mysql_heartbeat_stored_timestamp_seconds{target="db2",server_id="1"} 1800000000.25',
      'mysql_heartbeat_now_timestamp_seconds{target="db2",server_id="1"} 1800000008.5',
      'check_mysql_replication_lag_seconds{target="db2",channel_name="",connection_name="a",source="heartbeat"} 8.25',
      'check_mysql_replication_lag_seconds{target="db2",channel_name="",connection_name="a",source="seconds_behind"} 0',
    ]);
    expect(text).toMatch(/^check_mysql_last_check_reason\{target="db2",reason="lag"\} 1$/m);
  });
});

describe('the one-shot check with a heartbeat table it cannot use', () => {
  function run(script: Expectation[], argv: string[]) {
    const db = scriptedConnector(script);
    const out: string[] = [];
    const err: string[] = [];
    const logged: string[] = [];
    let t = 0;
    const deps: CheckCommandDeps & ProcessIo = {
      connect: db.connect,
      now: () => (t += 1),
      networkInterfaces: () => ({}),
      fs: noFiles,
      stdout: (s) => out.push(s),
      stderr: (s) => err.push(s),
      hideArgv: () => undefined,
      appendFile: () => undefined,
      syslog: async (line) => void logged.push(line),
    };
    return { exit: runCommand(check, ['--no-defaults', '--heartbeat-table', 'hb.beat', ...argv], {}, deps, deps), out, err, logged, db };
  }

  it.each([
    ['a writer without INSERT', 'OFF', heartbeatUpsert(POLICY.heartbeat.table, 2), "INSERT command denied to user 'check'@'localhost' for table `hb`.`beat`", 1142],
    ['a standby without the table', 'ON', heartbeatRead(POLICY.heartbeat.table, [1, 2]), "Table 'hb.beat' doesn't exist", 1146],
  ] as const)('%s: one line on stderr, exit 2, and the failure still logged', async (_name, readOnly, sql, message, errno) => {
    const status = [{ Connection_name: '', Master_Server_Id: 1, Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes', Seconds_Behind_Master: 0 }];
    const write = sql.startsWith('INSERT') ? `SET STATEMENT max_statement_time = 0.800, lock_wait_timeout = 1, innodb_lock_wait_timeout = 1 FOR ${sql}` : sql;
    const r = run(
      [
        { sql: SERVER_VARIABLES_SQL, rows: variablesRows(readOnly) },
        { sql: 'SHOW ALL SLAVES STATUS', rows: readOnly === 'ON' ? status : [] },
        { sql: write, error: { errno, message } },
      ],
      ['--json'],
    );
    expect(await r.exit).toBe(2);
    r.db.expectationsMet();
    expect(r.out).toEqual([]);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(new RegExp(`^check-mysql: heartbeat-unusable: heartbeat table \`hb\`\\.\`beat\`: .*\\(errno ${errno}\\)\\n$`));
    expect(r.logged).toHaveLength(1);
  });
});
