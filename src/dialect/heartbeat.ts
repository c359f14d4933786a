/**
 * pt-heartbeat's table, as pt-heartbeat itself writes and reads it (/usr/bin/pt-heartbeat):
 *  - `ts varchar(26)`: with --utc, `YYYY-MM-DDTHH:MM:SS.ffffff` in UTC (its ts()); --check reads
 *    `UNIX_TIMESTAMP(ts)` under `time_zone='+0:00'` and takes the age against its own clock.
 *  - one row per `server_id`; --update writes `@@server_id`'s row, --check reads the row of
 *    --master-server-id.
 * We write the same text from the server's own clock (UTC_TIMESTAMP(6)) and let the standby's
 * server compute the age against its clock, so the figure does not depend on where we run.
 * pt-heartbeat's optional binlog position columns are left alone: reading them would need
 * SHOW MASTER STATUS, a grant the check does not otherwise need.
 */
import { MAX_ROWS } from '../limits.js';
import type { HeartbeatRow, HeartbeatTable } from '../types/heartbeat.js';
import type { Row } from '../types/row.js';
import type { Flavor } from '../types/server.js';

/** UTC with microseconds, in pt-heartbeat's format: the same expression on MySQL and MariaDB. */
const UTC_TS = "DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%f')";

/**
 * The write of this server's row. The server id is a literal, as pt-heartbeat writes it: under
 * statement-based replication `@@server_id` would be read again on the replica, as its own.
 */
export function heartbeatUpsert(table: HeartbeatTable, serverId: number): string {
  return `INSERT INTO ${table.quoted} (ts, server_id) VALUES (${UTC_TS}, ${serverId}) ON DUPLICATE KEY UPDATE ts = ${UTC_TS}`;
}

/** Lock waits are whole seconds, at least 1, on both servers. */
const lockWaitSeconds = (boundMs: number): number => Math.max(1, Math.ceil(boundMs / 1000));

/**
 * The write, bounded on the server too, so a statement we stopped waiting for cannot wait for a
 * day (lock_wait_timeout's default) if it cannot be killed:
 *  - MariaDB (10.1+): `SET STATEMENT ... FOR`, fractional max_statement_time, nothing left set.
 *    Under statement-based logging (MariaDB's default MIXED) the clause is binlogged with the
 *    INSERT, but the replica's applier does not apply those bounds: measured on 10.11, a standby
 *    under a read lock held the event back for as long as the lock lasted, with no retry or error;
 *  - MySQL, and a MariaDB that cannot parse that: the session's lock waits (whole seconds, min 1;
 *    MySQL's max_execution_time bounds SELECTs only).
 */
export function heartbeatWriteStatements(flavor: Flavor, table: HeartbeatTable, serverId: number, boundMs: number): { first: string[]; older: string[] } {
  const upsert = heartbeatUpsert(table, serverId);
  const wait = lockWaitSeconds(boundMs);
  const session = [`SET SESSION lock_wait_timeout = ${wait}, innodb_lock_wait_timeout = ${wait}`, upsert];
  if (flavor === 'mysql') return { first: session, older: [] };
  const seconds = Math.max(0.001, boundMs / 1000).toFixed(3);
  return { first: [`SET STATEMENT max_statement_time = ${seconds}, lock_wait_timeout = ${wait}, innodb_lock_wait_timeout = ${wait} FOR ${upsert}`], older: session };
}

/**
 * The rows of the given sources, aged by this server: TIMESTAMPDIFF against UTC_TIMESTAMP(6)
 * needs no time zone, and UNIX_TIMESTAMP(NOW(6)) is mysqld_exporter's "now".
 */
export function heartbeatRead(table: HeartbeatTable, serverIds: readonly number[]): string {
  return `SELECT server_id, TIMESTAMPDIFF(MICROSECOND, ts, UTC_TIMESTAMP(6)) AS age_us, UNIX_TIMESTAMP(NOW(6)) AS now_s FROM ${table.quoted} WHERE server_id IN (${serverIds.join(', ')}) LIMIT ${MAX_ROWS}`;
}

const numberOf = (v: unknown): number | null => {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

/** Rows of heartbeatRead(); a ts that is not a time has no age (NULL), never 0. */
export function parseHeartbeatRows(rows: readonly Row[]): HeartbeatRow[] {
  return rows.map((row) => {
    const serverId = numberOf(row.server_id);
    const now = numberOf(row.now_s);
    if (serverId === null || !Number.isInteger(serverId) || now === null) throw new Error('the heartbeat table answered without server_id or the time');
    const ageUs = numberOf(row.age_us);
    const ageSeconds = ageUs === null ? null : ageUs / 1e6;
    return { serverId, ageSeconds, storedSeconds: ageSeconds === null ? null : now - ageSeconds, nowSeconds: now };
  });
}
