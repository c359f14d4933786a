/**
 * The statements that stop and start one channel's IO thread (src/dialect/replication-statements.ts
 * ioThreadSql), per flavour and version, as the notify handler sends them (src/notify/peer-io.ts):
 *  - MariaDB: STOP SLAVE ['connection_name'] IO_THREAD
 *    https://mariadb.com/kb/en/stop-replica/
 *  - MySQL 8.0.22+: STOP REPLICA IO_THREAD [FOR CHANNEL 'name']; older: STOP SLAVE IO_THREAD [FOR CHANNEL 'name']
 *    https://dev.mysql.com/doc/refman/8.4/en/stop-replica.html
 * The whole notify sequences (stop, catch up, start again) are in notify.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ioThreadSql } from '../../src/dialect/replication-statements.js';
import type { Flavor } from '../../src/types/server.js';

const MARIADB = ['mariadb', '10.11.6-MariaDB-log'] as const;
const MYSQL_84 = ['mysql', '8.4.3'] as const;
const MYSQL_8022 = ['mysql', '8.0.22'] as const;
const MYSQL_8021 = ['mysql', '8.0.21'] as const;
const MYSQL_57 = ['mysql', '5.7.44-log'] as const;

type Server = readonly [flavor: Flavor, version: string];
const _ = (server: Server, channel: string, verb: 'STOP' | 'START', sql: string) => ({ name: `${server.join(' ')} ${verb} ${JSON.stringify(channel)}`, server, channel, verb, sql });

const SPELLINGS = [
  _(MARIADB, '', 'STOP', 'STOP SLAVE IO_THREAD'),
  _(MARIADB, 'east', 'STOP', "STOP SLAVE 'east' IO_THREAD"),
  _(MARIADB, 'east', 'START', "START SLAVE 'east' IO_THREAD"),
  _(MYSQL_84, '', 'STOP', 'STOP REPLICA IO_THREAD'),
  _(MYSQL_84, 'source_1', 'STOP', "STOP REPLICA IO_THREAD FOR CHANNEL 'source_1'"),
  _(MYSQL_84, 'source_1', 'START', "START REPLICA IO_THREAD FOR CHANNEL 'source_1'"),
  _(MYSQL_8022, 'east', 'STOP', "STOP REPLICA IO_THREAD FOR CHANNEL 'east'"),
  _(MYSQL_8021, '', 'STOP', 'STOP SLAVE IO_THREAD'),
  _(MYSQL_8021, 'east', 'STOP', "STOP SLAVE IO_THREAD FOR CHANNEL 'east'"),
  _(MYSQL_8021, 'east', 'START', "START SLAVE IO_THREAD FOR CHANNEL 'east'"),
  _(MYSQL_57, '', 'START', 'START SLAVE IO_THREAD'),
  _(MYSQL_57, 'east.dc-2', 'STOP', "STOP SLAVE IO_THREAD FOR CHANNEL 'east.dc-2'"),
];

describe('ioThreadSql: STOP REPLICA from MySQL 8.0.22, STOP SLAVE before it and on MariaDB', () => {
  it.each(SPELLINGS)('$name', ({ server: [flavor, version], channel, verb, sql }) => {
    expect(ioThreadSql(flavor, version, channel, verb)).toBe(sql);
  });
});

describe('ioThreadSql: a channel name it would have to quote is refused, not quoted', () => {
  it.each(["it's", 'a`b', 'a b', "x' FOR CHANNEL 'y", 'c'.repeat(65), 'ü'])('%j', (channel) => {
    for (const [flavor, version] of [MARIADB, MYSQL_84, MYSQL_57]) {
      expect(() => ioThreadSql(flavor, version, channel, 'STOP')).toThrow(`refusing to put channel name ${JSON.stringify(channel)} into SQL`);
    }
  });

  it('64 characters is still a name', () => {
    expect(ioThreadSql('mysql', '8.4.3', 'c'.repeat(64), 'START')).toBe(`START REPLICA IO_THREAD FOR CHANNEL '${'c'.repeat(64)}'`);
  });
});
