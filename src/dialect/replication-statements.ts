import { MYSQL_REPLICA_STATEMENTS, MYSQL_REPLICA_STATUS, atLeast } from './version.js';
import type { Flavor } from '../types/server.js';

/**
 * Which status statement to try first, and what to fall back to on a syntax error (1064),
 * as mysqld_exporter's slave_status collector does:
 *  - MariaDB: SHOW ALL SLAVES STATUS sees every multi-source connection (10.0+).
 *  - MySQL 8.0.22+: SHOW REPLICA STATUS (8.4 removed SHOW SLAVE STATUS).
 *  - older MySQL: SHOW SLAVE STATUS.
 */
export function replicationStatements(flavor: Flavor, version: string): readonly string[] {
  if (flavor === 'mariadb') return ['SHOW ALL SLAVES STATUS', 'SHOW SLAVE STATUS'];
  return atLeast(version, MYSQL_REPLICA_STATUS) ? ['SHOW REPLICA STATUS', 'SHOW SLAVE STATUS'] : ['SHOW SLAVE STATUS', 'SHOW REPLICA STATUS'];
}

/** Channel (MySQL) and connection (MariaDB) names we put into SQL; anything else is refused, not quoted. */
const CHANNEL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** Whether a channel name is one we put into SQL: '' (the default channel) or CHANNEL_NAME. */
export const sqlSafeChannel = (channel: string): boolean => channel === '' || CHANNEL_NAME.test(channel);
export const SQL_SAFE_CHANNEL_TEXT = "a channel name of letters, digits, '_', '.' and '-' (at most 64), or '' for the default channel";

/**
 * Stops or starts one channel's IO thread only (its SQL thread goes on applying what was received):
 *  - MariaDB: STOP SLAVE ['connection_name'] IO_THREAD (10.0+; multi-source connection names).
 *  - MySQL 8.0.22+: STOP REPLICA IO_THREAD [FOR CHANNEL 'name'].
 *  - older MySQL: STOP SLAVE IO_THREAD [FOR CHANNEL 'name'] (5.7.6+).
 * Throws for a channel name it would have to quote.
 */
export function ioThreadSql(flavor: Flavor, version: string, channel: string, verb: 'STOP' | 'START'): string {
  if (!sqlSafeChannel(channel)) throw new Error(`refusing to put channel name ${JSON.stringify(channel)} into SQL`);
  if (flavor === 'mariadb') return channel === '' ? `${verb} SLAVE IO_THREAD` : `${verb} SLAVE '${channel}' IO_THREAD`;
  const noun = atLeast(version, MYSQL_REPLICA_STATEMENTS) ? 'REPLICA' : 'SLAVE';
  return `${verb} ${noun} IO_THREAD${channel === '' ? '' : ` FOR CHANNEL '${channel}'`}`;
}
