import { versionTuple } from './server-info.js';
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
  const [major, minor, patch] = versionTuple(version);
  const hasReplica = major > 8 || (major === 8 && (minor > 0 || patch >= 22));
  return hasReplica ? ['SHOW REPLICA STATUS', 'SHOW SLAVE STATUS'] : ['SHOW SLAVE STATUS', 'SHOW REPLICA STATUS'];
}
