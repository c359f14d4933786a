/**
 * The subset of mysqld_exporter's series that HA dashboards and the public alert rules
 * (awesome-prometheus-alerts, dist/rules/mysql/mysqld-exporter.yml) read, with the same names,
 * labels and values, so they keep working when check-mysql is the scraped endpoint.
 *
 * mysqld_exporter collector/slave_status.go emits one series per numeric SHOW SLAVE STATUS column,
 * named `mysql_slave_status_<lower-cased column>`, labelled
 * `master_host, master_uuid, channel_name, connection_name` from the columns `Master_Host`,
 * `Master_UUID`, `Channel_Name` (MySQL/Percona) and `Connection_name` (MariaDB), a column that is
 * absent giving ''. Its parseStatus() reads Yes/ON as 1 and No/OFF/Connecting as 0 and skips what
 * does not parse, so a NULL Seconds_Behind_Master gives no series at all.
 * On MySQL 8.4 mysqld_exporter follows the server's renaming (`..._replica_io_running`,
 * `..._seconds_behind_source`) and those rules go silent; we keep the classic names on every
 * version, because the names are what the dashboards and rules depend on.
 */
import type { ReplicationChannel } from '../types/replication.js';
import type { Flavor } from '../types/server.js';
import type { Facts } from '../types/facts.js';
import { bit, type GaugeSample, type GaugeSpec } from './gauge-sample.js';

const SLAVE_LABELS = ['master_host', 'master_uuid', 'channel_name', 'connection_name'] as const;
const slave = (column: string, help: string): GaugeSpec => ({ name: `mysql_slave_status_${column}`, help, labelNames: SLAVE_LABELS });

export const MYSQLD_EXPORTER_GAUGES: readonly GaugeSpec[] = [
  { name: 'mysql_up', help: 'Whether the last connection to MySQL succeeded (mysqld_exporter compatible).', labelNames: [] },
  { name: 'mysql_version_info', help: 'MySQL version and distribution (mysqld_exporter compatible).', labelNames: ['version', 'version_comment', 'innodb_version'] },
  { name: 'mysql_global_variables_read_only', help: 'Global variable read_only (mysqld_exporter compatible).', labelNames: [] },
  { name: 'mysql_global_variables_super_read_only', help: 'Global variable super_read_only; absent where the server has none (MariaDB).', labelNames: [] },
  slave('slave_io_running', 'Slave_IO_Running / Replica_IO_Running: 1 Yes, 0 No or Connecting.'),
  slave('slave_sql_running', 'Slave_SQL_Running / Replica_SQL_Running: 1 Yes, 0 No.'),
  slave('seconds_behind_master', 'Seconds_Behind_Master / Seconds_Behind_Source; absent while NULL (a thread is down), which is not 0.'),
  slave('sql_delay', 'SQL_Delay: the configured replication delay in seconds.'),
  slave('master_server_id', 'Master_Server_Id / Source_Server_Id.'),
  slave('last_io_errno', 'Last_IO_Errno: the IO thread\'s last error number, 0 for none.'),
  slave('last_sql_errno', 'Last_SQL_Errno: the SQL thread\'s last error number, 0 for none.'),
  // collector/heartbeat.go: one pair per row read. We read a standby's sources' rows only, and ts
  // as UTC (pt-heartbeat --utc), so the stored time is a true Unix time whatever the server's zone.
  { name: 'mysql_heartbeat_stored_timestamp_seconds', help: 'Timestamp stored in the heartbeat table (mysqld_exporter compatible; read on a standby, for its sources).', labelNames: ['server_id'] },
  { name: 'mysql_heartbeat_now_timestamp_seconds', help: 'Timestamp of the current server (mysqld_exporter compatible).', labelNames: ['server_id'] },
];

/** What mysqld_exporter would report for this check's observations. */
export function mysqldExporterSamples(facts: Facts): GaugeSample[] {
  const up: GaugeSample = { name: 'mysql_up', labels: {}, value: bit(facts.connect.ok) };
  const server = facts.server?.ok ? facts.server.value : undefined;
  if (!facts.connect.ok || !server) return [up];

  const samples: GaugeSample[] = [
    up,
    { name: 'mysql_version_info', labels: { version: server.version, version_comment: server.versionComment, innodb_version: server.innodbVersion }, value: 1 },
    { name: 'mysql_global_variables_read_only', labels: {}, value: bit(server.readOnly) },
  ];
  if (server.superReadOnly !== null) samples.push({ name: 'mysql_global_variables_super_read_only', labels: {}, value: bit(server.superReadOnly) });
  const channels = facts.replication?.ok ? facts.replication.value : [];
  for (const channel of channels) samples.push(...slaveStatusSamples(channel, server.flavor));
  for (const row of facts.heartbeat?.ok ? facts.heartbeat.value : []) {
    const labels = { server_id: String(row.serverId) };
    if (row.storedSeconds !== null) samples.push({ name: 'mysql_heartbeat_stored_timestamp_seconds', labels, value: row.storedSeconds });
    samples.push({ name: 'mysql_heartbeat_now_timestamp_seconds', labels, value: row.nowSeconds });
  }
  return samples;
}

/** A channel as mysqld_exporter labels it: its name in the label of the column the flavour has, the other ''. */
export const channelLabels = (flavor: Flavor, channel: string): { channel_name: string; connection_name: string } => ({
  channel_name: flavor === 'mysql' ? channel : '',
  connection_name: flavor === 'mariadb' ? channel : '',
});

function slaveStatusSamples(c: ReplicationChannel, flavor: Flavor): GaugeSample[] {
  const labels = { master_host: c.sourceHost ?? '', master_uuid: c.sourceUuid ?? '', ...channelLabels(flavor, c.channel) };
  const readings: [string, number | null][] = [
    ['slave_io_running', bit(c.ioRunning === 'yes')],
    ['slave_sql_running', bit(c.sqlRunning)],
    ['seconds_behind_master', c.secondsBehind],
    ['sql_delay', c.sqlDelay],
    ['master_server_id', c.sourceServerId],
    ['last_io_errno', c.lastIoErrno],
    ['last_sql_errno', c.lastSqlErrno],
  ];
  return readings.flatMap(([column, value]) => (value === null ? [] : [{ name: `mysql_slave_status_${column}`, labels, value }]));
}
