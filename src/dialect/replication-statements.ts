import { MYSQL_REPLICA_STATUS, atLeast } from './version.js';
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
