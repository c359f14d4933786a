import { describe, expect, it } from 'vitest';
import { replicationStatements } from '../../src/dialect/replication-statements.js';
import { MYSQL_REPLICA_STATUS, MYSQL_SOURCE_POS_WAIT, atLeast } from '../../src/dialect/version.js';
import { catchUpWaits } from '../../src/notify/catch-up.js';
import { healthyChannel } from './channel-builder.js';

describe('version gates', () => {
  it.each([
    ['8.0.21', MYSQL_REPLICA_STATUS, false],
    ['8.0.22', MYSQL_REPLICA_STATUS, true],
    ['8.0.36-28', MYSQL_REPLICA_STATUS, true],
    ['8.4.3', MYSQL_REPLICA_STATUS, true],
    ['9.1.0', MYSQL_REPLICA_STATUS, true],
    ['5.7.44-log', MYSQL_REPLICA_STATUS, false],
    ['8.0.25', MYSQL_SOURCE_POS_WAIT, false],
    ['8.0.26', MYSQL_SOURCE_POS_WAIT, true],
    ['not a version', MYSQL_REPLICA_STATUS, false],
  ] as const)('%s is at least %j: %s', (version, gate, expected) => {
    expect(atLeast(version, gate)).toBe(expected);
  });

  it('MySQL 8.0.22 and later are asked SHOW REPLICA STATUS first, older ones SHOW SLAVE STATUS', () => {
    expect(replicationStatements('mysql', '8.0.22')[0]).toBe('SHOW REPLICA STATUS');
    expect(replicationStatements('mysql', '8.0.21')[0]).toBe('SHOW SLAVE STATUS');
  });

  it('a MySQL 8.0.26 standby without GTIDs waits with SOURCE_POS_WAIT, 8.0.25 and MariaDB with MASTER_POS_WAIT', () => {
    const byPosition = [healthyChannel({ retrievedGtid: null })];
    const fn = (flavor: 'mysql' | 'mariadb', version: string) => catchUpWaits(flavor, version, byPosition)[0]!.sql(30).split('(')[0];
    expect(fn('mysql', '8.0.26')).toBe('SELECT SOURCE_POS_WAIT');
    expect(fn('mysql', '8.0.25')).toBe('SELECT MASTER_POS_WAIT');
    expect(fn('mariadb', '11.4.2-MariaDB')).toBe('SELECT MASTER_POS_WAIT');
  });
});
