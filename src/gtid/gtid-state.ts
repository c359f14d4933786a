/**
 * Reads a server's GTID state in one statement. The sets are kept whole or refused: a cut set
 * would name transactions as errant that are not (src/limits.ts bounds them like every GTID set).
 */
import { TEXT_LIMITS } from '../limits.js';
import type { Deadline } from '../types/deadline.js';
import type { GtidState, MariadbGtidState, MysqlGtidState } from '../types/gtid.js';
import type { Row } from '../types/row.js';
import type { Flavor } from '../types/server.js';
import type { Session } from '../types/session.js';

/** MySQL 5.7, 8.0 and 8.4 all have these (gtid_mode since 5.6). */
export const MYSQL_GTID_SQL = 'SELECT @@GLOBAL.server_uuid AS server_uuid, @@GLOBAL.gtid_mode AS gtid_mode, @@GLOBAL.gtid_executed AS gtid_executed';

/** MariaDB 10.0.2+. */
export const MARIADB_GTID_SQL =
  'SELECT @@GLOBAL.server_id AS server_id, @@GLOBAL.gtid_domain_id AS gtid_domain_id, @@GLOBAL.log_bin AS log_bin, ' +
  '@@GLOBAL.log_slave_updates AS log_slave_updates, @@GLOBAL.gtid_binlog_state AS gtid_binlog_state, ' +
  '@@GLOBAL.gtid_binlog_pos AS gtid_binlog_pos, @@GLOBAL.gtid_current_pos AS gtid_current_pos, @@GLOBAL.gtid_slave_pos AS gtid_slave_pos';

export class GtidStateError extends Error {}

export const gtidStateSql = (flavor: Flavor): string => (flavor === 'mariadb' ? MARIADB_GTID_SQL : MYSQL_GTID_SQL);

function text(row: Row, column: string): string {
  const v = row[column];
  if (v === null || v === undefined) return '';
  const s = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  if (Buffer.byteLength(s) > TEXT_LIMITS.gtid) throw new GtidStateError(`${column} is longer than ${TEXT_LIMITS.gtid} bytes: not compared (a cut GTID set would name transactions falsely)`);
  return s.trim();
}

function number(row: Row, column: string): number {
  const n = Number(text(row, column));
  if (!Number.isInteger(n) || n < 0) throw new GtidStateError(`${column} is not a number: ${JSON.stringify(row[column])}`);
  return n;
}

const onOff = (row: Row, column: string): boolean => /^(1|on|yes|true)$/i.test(text(row, column));

/** The one row of gtidStateSql(flavor). */
export function parseGtidState(flavor: Flavor, rows: readonly Row[]): GtidState {
  const row = rows[0];
  if (!row || rows.length !== 1) throw new GtidStateError(`expected one row of GTID variables, got ${rows.length}`);
  if (flavor === 'mysql') {
    const state: MysqlGtidState = { flavor, serverUuid: text(row, 'server_uuid').toLowerCase(), gtidMode: text(row, 'gtid_mode').toUpperCase(), executed: text(row, 'gtid_executed') };
    return state;
  }
  const state: MariadbGtidState = {
    flavor,
    serverId: number(row, 'server_id'),
    domainId: number(row, 'gtid_domain_id'),
    logBin: onOff(row, 'log_bin'),
    logSlaveUpdates: onOff(row, 'log_slave_updates'),
    binlogState: text(row, 'gtid_binlog_state'),
    binlogPos: text(row, 'gtid_binlog_pos'),
    currentPos: text(row, 'gtid_current_pos'),
    slavePos: text(row, 'gtid_slave_pos'),
  };
  return state;
}

export async function readGtidState(session: Session, flavor: Flavor, deadline: Deadline): Promise<GtidState> {
  return parseGtidState(flavor, await session.query(gtidStateSql(flavor), deadline));
}

/**
 * The position a standby must have applied to hold everything this server committed: MySQL
 * gtid_executed; MariaDB gtid_binlog_pos (the last GTID of each domain in its binary log, what
 * MASTER_GTID_WAIT on the standby waits for).
 */
export const finalPosition = (state: GtidState): string => (state.flavor === 'mysql' ? state.executed : state.binlogPos);
