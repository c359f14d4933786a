/**
 * catchUpWaits: which wait function, with which arguments, for each flavour, version and channel
 * shape; and the refusal to quote what a position or GTID set never contains. The return values
 * read here are the manuals' (see test/unit/notify.test.ts for the pages).
 */
import { describe, expect, it } from 'vitest';
import { catchUpWaits, serverWaitSeconds } from '../../src/notify/catch-up.js';
import type { ReplicationChannel } from '../../src/types/replication.js';
import type { Flavor } from '../../src/types/server.js';
import { healthyChannel } from './channel-builder.js';

type Expected = readonly [channel: string, target: string, sql: string];
const _ = (name: string, flavor: Flavor, version: string, channels: Partial<ReplicationChannel>[], ...waits: Expected[]) => ({ name, flavor, version, channels, waits });
const byPosition = { retrievedGtid: null, sourceLogFile: 'bin.000003', readSourceLogPos: 1234 };
const UUID_1 = '2912c95d-e9f0-11ef-b511-0242ac140002';
const UUID_2 = '4bc25a7e-05fa-11f0-a474-3a37024b6791';

const CASES = [
  _('MariaDB GTID: MASTER_GTID_WAIT on Gtid_IO_Pos', 'mariadb', '10.11.6-MariaDB-log', [{ retrievedGtid: '0-1-42' }],
    ['', 'Gtid_IO_Pos 0-1-42', "SELECT MASTER_GTID_WAIT('0-1-42', 30) AS waited"]),
  _('MariaDB GTID, several domains, named connection: the GTID wait takes no connection', 'mariadb', '10.6.21-MariaDB', [{ channel: 'east', retrievedGtid: '0-1-42,1-101-50215' }],
    ['east', 'Gtid_IO_Pos 0-1-42,1-101-50215', "SELECT MASTER_GTID_WAIT('0-1-42,1-101-50215', 30) AS waited"]),
  _('MariaDB by position, default connection', 'mariadb', '10.11.6-MariaDB-log', [byPosition],
    ['', 'bin.000003:1234', "SELECT MASTER_POS_WAIT('bin.000003', 1234, 30) AS waited"]),
  _('MariaDB by position, named connection: connection_name as 4th argument', 'mariadb', '10.11.6-MariaDB-log', [{ ...byPosition, channel: 'east' }],
    ['east', 'bin.000003:1234', "SELECT MASTER_POS_WAIT('bin.000003', 1234, 30, 'east') AS waited"]),
  _('MariaDB 11 by position: still MASTER_POS_WAIT (the 8.0.26 gate is MySQL\'s)', 'mariadb', '11.8.2-MariaDB', [byPosition],
    ['', 'bin.000003:1234', "SELECT MASTER_POS_WAIT('bin.000003', 1234, 30) AS waited"]),
  _('MySQL GTID: WAIT_FOR_EXECUTED_GTID_SET on Retrieved_Gtid_Set, ",\\n" between UUIDs dropped', 'mysql', '8.0.36', [{ retrievedGtid: `${UUID_1}:1-20433,\n${UUID_2}:1-880` }],
    ['', `Retrieved_Gtid_Set ${UUID_1}:1-20433,\n${UUID_2}:1-880`, `SELECT WAIT_FOR_EXECUTED_GTID_SET('${UUID_1}:1-20433,${UUID_2}:1-880', 30) AS waited`]),
  _('MySQL 5.7 by position: MASTER_POS_WAIT', 'mysql', '5.7.44-log', [byPosition],
    ['', 'bin.000003:1234', "SELECT MASTER_POS_WAIT('bin.000003', 1234, 30) AS waited"]),
  _('MySQL 5.7 by position, named channel: channel as 4th argument', 'mysql', '5.7.44-log', [{ ...byPosition, channel: 'source_1' }],
    ['source_1', 'bin.000003:1234', "SELECT MASTER_POS_WAIT('bin.000003', 1234, 30, 'source_1') AS waited"]),
  _('MySQL 8.0.25 by position: MASTER_POS_WAIT', 'mysql', '8.0.25', [byPosition],
    ['', 'bin.000003:1234', "SELECT MASTER_POS_WAIT('bin.000003', 1234, 30) AS waited"]),
  _('MySQL 8.0.26 by position: SOURCE_POS_WAIT', 'mysql', '8.0.26', [byPosition],
    ['', 'bin.000003:1234', "SELECT SOURCE_POS_WAIT('bin.000003', 1234, 30) AS waited"]),
  _('Percona 8.0.26-16 by position: SOURCE_POS_WAIT', 'mysql', '8.0.26-16', [byPosition],
    ['', 'bin.000003:1234', "SELECT SOURCE_POS_WAIT('bin.000003', 1234, 30) AS waited"]),
  _('MySQL 8.1.0 by position: SOURCE_POS_WAIT', 'mysql', '8.1.0', [byPosition],
    ['', 'bin.000003:1234', "SELECT SOURCE_POS_WAIT('bin.000003', 1234, 30) AS waited"]),
  _('MySQL 8.4 by position, named channel: SOURCE_POS_WAIT with the channel', 'mysql', '8.4.3', [{ ...byPosition, channel: 'source_2' }],
    ['source_2', 'bin.000003:1234', "SELECT SOURCE_POS_WAIT('bin.000003', 1234, 30, 'source_2') AS waited"]),
  _('MySQL 9.1 by position: SOURCE_POS_WAIT', 'mysql', '9.1.0', [byPosition],
    ['', 'bin.000003:1234', "SELECT SOURCE_POS_WAIT('bin.000003', 1234, 30) AS waited"]),
  _('a channel that never received anything (no file, no GTIDs) gets no wait', 'mysql', '8.4.3', [{ retrievedGtid: null, sourceLogFile: null, readSourceLogPos: 4 }]),
  _('a file without a position gets no wait', 'mariadb', '10.11.6-MariaDB-log', [{ retrievedGtid: null, readSourceLogPos: null }]),
  _('no channels, no waits', 'mysql', '8.0.36', []),
  _('several channels: one wait each, in order, GTID and position mixed', 'mysql', '8.0.36', [
    { channel: 'source_1', retrievedGtid: `${UUID_1}:1-20433` },
    { ...byPosition, channel: 'source_2' },
    { channel: 'idle', retrievedGtid: null, sourceLogFile: null },
  ],
  ['source_1', `Retrieved_Gtid_Set ${UUID_1}:1-20433`, `SELECT WAIT_FOR_EXECUTED_GTID_SET('${UUID_1}:1-20433', 30) AS waited`],
  ['source_2', 'bin.000003:1234', "SELECT SOURCE_POS_WAIT('bin.000003', 1234, 30, 'source_2') AS waited"]),
];

describe('catchUpWaits: the wait per channel', () => {
  it.each(CASES)('$name', ({ flavor, version, channels, waits }) => {
    const got = catchUpWaits(flavor, version, channels.map((c) => healthyChannel(c)));
    expect(got.map((w) => [w.channel, w.target, w.sql(30)])).toEqual(waits);
  });

  it('the server-side timeout is whatever the caller gives, in the statement', () => {
    const [gtid] = catchUpWaits('mariadb', '10.11.6-MariaDB', [healthyChannel({ retrievedGtid: '0-1-42' })]);
    const [pos] = catchUpWaits('mysql', '8.4.3', [healthyChannel(byPosition)]);
    expect([gtid!.sql(7), pos!.sql(1)]).toEqual(["SELECT MASTER_GTID_WAIT('0-1-42', 7) AS waited", "SELECT SOURCE_POS_WAIT('bin.000003', 1234, 1) AS waited"]);
  });
});

describe('catchUpWaits: values are quoted only when nothing in them needs escaping', () => {
  const REFUSED = [
    { name: 'a quote in a channel name', channel: { ...byPosition, channel: "x', 0) OR SLEEP(9) -- " }, word: "x', 0) OR SLEEP(9) -- " },
    { name: 'a quote in a log file name', channel: { ...byPosition, sourceLogFile: "bin.000003'" }, word: "bin.000003'" },
    { name: 'a backslash in a GTID set', channel: { retrievedGtid: '0-1-42\\' }, word: '0-1-42\\' },
    { name: 'a backtick in a channel name', channel: { ...byPosition, channel: 'a`b' }, word: 'a`b' },
    { name: 'a semicolon in a GTID set', channel: { retrievedGtid: '0-1-42;DROP' }, word: '0-1-42;DROP' },
  ];
  it.each(REFUSED)('refuses $name', ({ channel, word }) => {
    expect(() => catchUpWaits('mysql', '8.4.3', [healthyChannel(channel)])).toThrow(`refusing to put ${JSON.stringify(word)} into SQL`);
  });

  it('refuses before any wait is built, even when the bad value is on a later channel', () => {
    expect(() => catchUpWaits('mariadb', '10.11.6-MariaDB', [healthyChannel(), healthyChannel({ ...byPosition, channel: "b'" })])).toThrow('refusing to put "b\'" into SQL');
  });
});

describe('catchUpWaits: reading what the wait returned', () => {
  const [gtid] = catchUpWaits('mysql', '8.0.36', [healthyChannel({ retrievedGtid: `${UUID_1}:1-5` })]);
  const [mariaGtid] = catchUpWaits('mariadb', '10.11.6-MariaDB', [healthyChannel({ retrievedGtid: '0-1-42' })]);
  const [pos] = catchUpWaits('mysql', '8.0.36', [healthyChannel(byPosition)]);
  const READINGS = [
    { name: 'WAIT_FOR_EXECUTED_GTID_SET 0: applied', wait: gtid!, value: 0, outcome: 'caught-up' },
    { name: 'WAIT_FOR_EXECUTED_GTID_SET 1: timed out', wait: gtid!, value: 1, outcome: 'timed-out' },
    { name: 'MASTER_GTID_WAIT 0: applied', wait: mariaGtid!, value: 0, outcome: 'caught-up' },
    { name: 'MASTER_GTID_WAIT -1: timed out', wait: mariaGtid!, value: -1, outcome: 'timed-out' },
    { name: 'MASTER_GTID_WAIT NULL: not applied', wait: mariaGtid!, value: null, outcome: 'timed-out' },
    { name: 'SOURCE_POS_WAIT 0: already there', wait: pos!, value: 0, outcome: 'caught-up' },
    { name: 'SOURCE_POS_WAIT 17 events waited for: applied', wait: pos!, value: 17, outcome: 'caught-up' },
    { name: 'SOURCE_POS_WAIT as a decimal string', wait: pos!, value: '17', outcome: 'caught-up' },
    { name: 'SOURCE_POS_WAIT -1: timed out', wait: pos!, value: -1, outcome: 'timed-out' },
    { name: 'SOURCE_POS_WAIT NULL: the SQL thread is not running', wait: pos!, value: null, outcome: 'sql-thread-stopped' },
  ] as const;
  it.each(READINGS)('$name', ({ wait, value, outcome }) => {
    expect(wait.outcome(value)).toBe(outcome);
  });
});

describe('serverWaitSeconds: whole seconds, never 0 (0 means "no timeout" to the wait functions)', () => {
  it.each([
    [0, 1],
    [-3, 1],
    [0.2, 1],
    [1, 1],
    [2.5, 3],
    [29.999, 30],
    [30, 30],
  ])('%s s -> %s', (given, sent) => {
    expect(serverWaitSeconds(given)).toBe(sent);
  });
});
