import { describe, expect, it } from 'vitest';
import type { ReplicationChannel } from '../../src/types/replication.js';
import type { Row } from '../../src/types/row.js';
import { parseReplicaStatus, UnrecognisedStatusError } from '../../src/dialect/replica-status.js';
import * as mariadb10 from '../fixtures/replica-status/mariadb-10-all-slaves-status.js';
import * as mariadb1011 from '../fixtures/replica-status/mariadb-10.11-recorded.js';
import * as mariadb11 from '../fixtures/replica-status/mariadb-11-all-slaves-status.js';
import * as mysql57 from '../fixtures/replica-status/mysql57-slave-status.js';
import * as mysql80replica from '../fixtures/replica-status/mysql80-replica-status.js';
import * as mysql80slave from '../fixtures/replica-status/mysql80-slave-status.js';
import * as mysql84 from '../fixtures/replica-status/mysql84-replica-status.js';
import * as mysql84multi from '../fixtures/replica-status/mysql84-multi-channel.js';

type Expected = Partial<ReplicationChannel>;
const _ = (name: string, rows: readonly Row[], ...channels: Expected[]) => ({ name, rows, channels });

describe('parseReplicaStatus: every field of one row', () => {
  it('MySQL 5.7 SHOW SLAVE STATUS (Master_*/Slave_* names) maps to a full channel', () => {
    expect(parseReplicaStatus(mysql57.healthy)).toEqual([
      {
        channel: '',
        sourceHost: '192.0.2.10',
        sourcePort: 3306,
        sourceServerId: 1,
        sourceUuid: '3e11fa47-71ca-11e1-9e33-c80aa9429562',
        ioRunning: 'yes',
        sqlRunning: true,
        lastIoErrno: 0,
        lastIoError: '',
        lastSqlErrno: 0,
        lastSqlError: '',
        secondsBehind: 0,
        sqlDelay: 0,
        sqlRemainingDelay: null,
        sourceLogFile: 'mysql-bin.000123',
        readSourceLogPos: 9876,
        relaySourceLogFile: 'mysql-bin.000123',
        execSourceLogPos: 9876,
        retrievedGtid: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-4502',
        executedGtid: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-4502',
        sqlState: 'Slave has read all relay log; waiting for more updates',
      } satisfies ReplicationChannel,
    ]);
  });

  it('MySQL 8.4 SHOW REPLICA STATUS (Source_*/Replica_* names) maps to the same fields', () => {
    expect(parseReplicaStatus(mysql84.healthy)).toEqual([
      {
        channel: '',
        sourceHost: '192.0.2.40',
        sourcePort: 3306,
        sourceServerId: 1,
        sourceUuid: '73f86016-978b-11ee-ade5-8d2a2a562feb',
        ioRunning: 'yes',
        sqlRunning: true,
        lastIoErrno: 0,
        lastIoError: '',
        lastSqlErrno: 0,
        lastSqlError: '',
        secondsBehind: 0,
        sqlDelay: 0,
        sqlRemainingDelay: null,
        sourceLogFile: 'binlog.000042',
        readSourceLogPos: 88123,
        relaySourceLogFile: 'binlog.000042',
        execSourceLogPos: 88123,
        retrievedGtid: '73f86016-978b-11ee-ade5-8d2a2a562feb:1-3307',
        executedGtid: '73f86016-978b-11ee-ade5-8d2a2a562feb:1-3307',
        sqlState: 'Replica has read all relay log; waiting for more updates',
      } satisfies ReplicationChannel,
    ]);
  });

  it('recorded MariaDB 10.11 row: empty host-side strings become null, Gtid_IO_Pos is the retrieved GTID', () => {
    expect(parseReplicaStatus(mariadb1011.allSlavesStatus)[0]).toEqual({
      channel: '',
      sourceHost: '127.0.0.1',
      sourcePort: 23307,
      sourceServerId: 0,
      sourceUuid: null,
      ioRunning: 'connecting',
      sqlRunning: true,
      lastIoErrno: 2003,
      lastIoError:
        "error connecting to master 'x@127.0.0.1:23307' - retry-time: 5  maximum-retries: 100000  " +
        "message: Can't connect to server on '127.0.0.1' (111 \"Connection refused\")",
      lastSqlErrno: 0,
      lastSqlError: '',
      secondsBehind: null,
      sqlDelay: 0,
      sqlRemainingDelay: null,
      sourceLogFile: null,
      readSourceLogPos: 4,
      relaySourceLogFile: null,
      execSourceLogPos: 4,
      retrievedGtid: null,
      executedGtid: null,
      sqlState: 'Slave has read all relay log; waiting for more updates',
    } satisfies ReplicationChannel);
  });
});

describe('parseReplicaStatus: recorded and documented result sets', () => {
  it.each([
    _('MySQL 5.7: SQL thread stopped on duplicate key reports 1062 and its message, lag unknown',
      mysql57.sqlStoppedDuplicateKey,
      { ioRunning: 'yes', sqlRunning: false, lastSqlErrno: 1062, secondsBehind: null, readSourceLogPos: 15022,
        execSourceLogPos: 9876, lastSqlError: expect.stringMatching(/^Could not execute Write_rows event on table shop\.orders; Duplicate entry '1042' for key 'PRIMARY', Error_code: 1062;/) }),
    _('MySQL 8.0 before 8.0.22: delayed replica shows SQL_Delay, the remaining delay and lag including the delay',
      mysql80slave.delayed,
      { ioRunning: 'yes', sqlRunning: true, secondsBehind: 3605, sqlDelay: 3600, sqlRemainingDelay: 3595,
        sqlState: 'Waiting until MASTER_DELAY seconds after master executed event', sourceHost: '192.0.2.20',
        relaySourceLogFile: 'binlog.000043', execSourceLogPos: 1048230, retrievedGtid: null, executedGtid: null }),
    _('MySQL 8.0 before 8.0.22: after STOP SLAVE both threads read stopped and the lag stays unknown, not zero',
      mysql80slave.stoppedByOperator,
      { ioRunning: 'no', sqlRunning: false, secondsBehind: null, lastIoErrno: 0, lastSqlErrno: 0, sqlRemainingDelay: null }),
    _('MySQL 8.0.22+: healthy SHOW REPLICA STATUS keeps the multi-line executed GTID set verbatim',
      mysql80replica.healthy,
      { ioRunning: 'yes', sqlRunning: true, secondsBehind: 1, sourceUuid: 'a112acd9-25e7-11ed-9d0f-d00d1c6358e2',
        executedGtid: 'a112acd9-25e7-11ed-9d0f-d00d1c6358e2:1-1187,\nb52c0e11-25e7-11ed-8a3e-d00d1c6358e3:1-6' }),
    _('MySQL 8.0.22+: source down reads as IO Connecting with errno 2003 and NULL Seconds_Behind_Source stays unknown, not zero',
      mysql80replica.sourceDown,
      { ioRunning: 'connecting', sqlRunning: true, lastIoErrno: 2003, secondsBehind: null,
        lastIoError: expect.stringContaining("Error connecting to source 'repl@192.0.2.30:3306'") }),
    _('MySQL 8.4: multithreaded applier stopped on duplicate key reports the worker errno 1062 with the coordinator text',
      mysql84.sqlStoppedDuplicateKey,
      { sqlRunning: false, lastSqlErrno: 1062, secondsBehind: null, readSourceLogPos: 91544, execSourceLogPos: 89002,
        lastSqlError: expect.stringMatching(/^Coordinator stopped because there were error\(s\) in the worker\(s\)/),
        executedGtid: '73f86016-978b-11ee-ade5-8d2a2a562feb:1-3310' }),
    _('MySQL 8.4: SOURCE_DELAY replica reports the configured delay apart from the lag',
      mysql84.delayed,
      { secondsBehind: 3605, sqlDelay: 3600, sqlRemainingDelay: 3595,
        sqlState: 'Waiting until SOURCE_DELAY seconds after source executed event' }),
    _('MySQL 8.4 multi-source: one channel per row, named by Channel_Name, each with its own health',
      mysql84multi.rows,
      { channel: 'source_1', ioRunning: 'yes', sqlRunning: true, secondsBehind: 2, sourceHost: '192.0.2.51', sourceServerId: 11 },
      { channel: 'source_2', ioRunning: 'connecting', sqlRunning: true, secondsBehind: null, lastIoErrno: 2003,
        sourceHost: '192.0.2.52', sourceServerId: 12, sourceUuid: '4bc25a7e-05fa-11f0-a474-3a37024b6791' }),
    _('MariaDB 10.6 multi-source: connections named by Connection_name, the broken one reports 1062 and unknown lag',
      mariadb10.rows,
      { channel: 'east', ioRunning: 'yes', sqlRunning: true, secondsBehind: 3, retrievedGtid: '1-101-50215',
        executedGtid: null, sourceUuid: null, sourceServerId: 101 },
      { channel: 'west', ioRunning: 'yes', sqlRunning: false, secondsBehind: null, lastSqlErrno: 1062,
        lastSqlError: expect.stringContaining("Duplicate entry '1042' for key 'PRIMARY'"), retrievedGtid: '2-102-785' }),
    _('MariaDB 11.8: a stopped connection reads as stopped with unknown lag, next to a healthy default connection',
      mariadb11.rows,
      { channel: '', ioRunning: 'yes', sqlRunning: true, secondsBehind: 0, retrievedGtid: '0-1-2042' },
      { channel: 'reports', ioRunning: 'no', sqlRunning: false, secondsBehind: null, lastIoErrno: 0, lastSqlErrno: 0, sqlState: null }),
    _('MariaDB 11.8: MASTER_DELAY replica reports delay, remaining delay and lag',
      mariadb11.delayed,
      { secondsBehind: 3605, sqlDelay: 3600, sqlRemainingDelay: 3595 }),
    _('recorded MariaDB 10.11: both connections of SHOW ALL SLAVES STATUS are Connecting with errno 2003 and unknown lag',
      mariadb1011.allSlavesStatus,
      { channel: '', ioRunning: 'connecting', lastIoErrno: 2003, secondsBehind: null, sourcePort: 23307 },
      { channel: 'm2', ioRunning: 'connecting', lastIoErrno: 2003, secondsBehind: null, sourcePort: 23308 }),
    _('recorded MariaDB 10.11: plain SHOW SLAVE STATUS (no Connection_name column) is the default channel',
      mariadb1011.slaveStatus,
      { channel: '', ioRunning: 'connecting', sqlRunning: true, lastIoErrno: 2003, secondsBehind: null }),
  ])('$name', ({ rows, channels }) => {
    expect(parseReplicaStatus(rows)).toMatchObject(channels);
  });
});

/** What mysql2 hands over with supportBigNumbers + bigNumberStrings: every number as a decimal string. */
const asStrings = (rows: readonly Row[]): Row[] =>
  rows.map((row) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v])),
  );

describe('parseReplicaStatus: driver value shapes', () => {
  it.each([
    ['MySQL 5.7', mysql57.rows],
    ['MySQL 8.0 (SLAVE)', mysql80slave.rows],
    ['MySQL 8.0.22+', mysql80replica.rows],
    ['MySQL 8.4', mysql84.rows],
    ['MySQL 8.4 multi-channel', mysql84multi.rows],
    ['MariaDB 10.6', mariadb10.rows],
    ['MariaDB 10.11 recorded', mariadb1011.rows],
    ['MariaDB 11.8', mariadb11.rows],
  ])('%s: numbers that arrive as numeric strings parse exactly like numbers', (_name, rows) => {
    expect(parseReplicaStatus(asStrings(rows))).toEqual(parseReplicaStatus(rows));
  });

  it('a position beyond 2^53 given as a bigint-sized string, or a JS bigint, still becomes a number', () => {
    const [row] = mysql57.healthy;
    const [big] = parseReplicaStatus([{ ...row, Read_Master_Log_Pos: '18446744073709551615', Exec_Master_Log_Pos: 4294967296n }]);
    expect(big?.readSourceLogPos).toBe(18446744073709551615);
    expect(big?.execSourceLogPos).toBe(4294967296);
  });

  it('binary-flagged columns delivered as Buffers are decoded as text', () => {
    const [row] = mysql84.healthy;
    const [got] = parseReplicaStatus([{ ...row, Replica_IO_Running: Buffer.from('Yes'), Source_Host: Buffer.from('db1') }]);
    expect(got).toMatchObject({ ioRunning: 'yes', sourceHost: 'db1' });
  });

  it('a non-numeric value in a numeric column reads as unknown rather than as zero', () => {
    const [row] = mysql84.healthy;
    const [got] = parseReplicaStatus([{ ...row, Seconds_Behind_Source: 'NULL', Source_Port: '' }]);
    expect(got).toMatchObject({ secondsBehind: null, sourcePort: null });
  });
});

describe('parseReplicaStatus: normalisation rules', () => {
  const [base] = mysql57.healthy as [Row];

  it.each([
    ['Yes', 'yes'],
    ['YES', 'yes'],
    ['Connecting', 'connecting'],
    [' connecting ', 'connecting'],
    ['No', 'no'],
    ['Preparing', 'no'],
    ['', 'no'],
    [null, 'no'],
  ] as const)('IO thread %j reads as %j', (value, io) => {
    expect(parseReplicaStatus([{ ...base, Slave_IO_Running: value }])[0]?.ioRunning).toBe(io);
  });

  it.each([
    ['Yes', true],
    ['yes', true],
    ['No', false],
    [null, false],
  ] as const)('SQL thread %j reads as running=%j', (value, running) => {
    expect(parseReplicaStatus([{ ...base, Slave_SQL_Running: value }])[0]?.sqlRunning).toBe(running);
  });

  it('NULL Seconds_Behind_Master stays unknown, not zero', () => {
    expect(parseReplicaStatus([{ ...base, Seconds_Behind_Master: null }])[0]?.secondsBehind).toBeNull();
  });

  it('a replica without SQL_Delay (MariaDB before 10.2.3) reads as not delayed', () => {
    const { SQL_Delay: _d, SQL_Remaining_Delay: _r, ...withoutDelay } = base;
    expect(parseReplicaStatus([withoutDelay])[0]).toMatchObject({ sqlDelay: 0, sqlRemainingDelay: null });
  });

  it('the channel column is found whatever its case (the 5.7 manual prints Channel_name, servers send Channel_Name)', () => {
    const { Channel_name: _c, ...rest } = base;
    expect(parseReplicaStatus([{ ...rest, Channel_Name: 'dc2' }])[0]?.channel).toBe('dc2');
    expect(parseReplicaStatus([{ ...rest, Channel_name: 'dc2' }])[0]?.channel).toBe('dc2');
  });

  it('a row without any channel column is the default channel', () => {
    const { Channel_name: _c, ...rest } = base;
    expect(parseReplicaStatus([rest])[0]?.channel).toBe('');
  });

  it('blank host, UUID and GTID sets become null', () => {
    const [got] = parseReplicaStatus([{ ...base, Master_Host: '', Master_UUID: '', Retrieved_Gtid_Set: '', Executed_Gtid_Set: '' }]);
    expect(got).toMatchObject({ sourceHost: null, sourceUuid: null, retrievedGtid: null, executedGtid: null });
  });

  it('MariaDB with Using_Gtid No: Gtid_IO_Pos is a stale position, not what was received', () => {
    // Measured on 10.11.19: after CHANGE MASTER TO MASTER_USE_GTID=no, Gtid_IO_Pos kept 0-12-5
    // while the source went on to 0-12-7 and Read_Master_Log_Pos advanced.
    const [primary] = mariadb11.rows as [Row];
    expect(parseReplicaStatus([{ ...primary, Using_Gtid: 'No' }])[0]?.retrievedGtid).toBeNull();
    expect(parseReplicaStatus([{ ...primary, Using_Gtid: 'Current_Pos' }])[0]?.retrievedGtid).toBe('0-1-2042');
    expect(parseReplicaStatus([{ ...primary, Using_Gtid: 'Slave_Pos' }])[0]?.retrievedGtid).toBe('0-1-2042');
  });

  it('a row that has only one of the two thread columns is still a status row', () => {
    const { Slave_IO_Running: _io, ...sqlOnly } = base;
    expect(parseReplicaStatus([sqlOnly])[0]).toMatchObject({ ioRunning: 'no', sqlRunning: true });
  });

  it('an empty result set (not a replica) gives no channels', () => {
    expect(parseReplicaStatus([])).toEqual([]);
  });
});

describe('parseReplicaStatus: rows from an unknown dialect', () => {
  it('a SHOW MASTER STATUS row is refused with an error naming the columns it saw', () => {
    const masterStatus = { File: 'binlog.000042', Position: 88123, Binlog_Do_DB: '', Binlog_Ignore_DB: '', Executed_Gtid_Set: '' };
    const parse = () => parseReplicaStatus([masterStatus]);
    expect(parse).toThrow(UnrecognisedStatusError);
    expect(parse).toThrow('not a replication status row; columns seen: File, Position, Binlog_Do_DB, Binlog_Ignore_DB, Executed_Gtid_Set');
  });

  it('the error lists only the first few columns of a wide row, and keeps them all for the caller', () => {
    const wide = Object.fromEntries(Array.from({ length: 9 }, (_v, i) => [`Col_${i}`, i]));
    try {
      parseReplicaStatus([wide]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UnrecognisedStatusError);
      expect((error as UnrecognisedStatusError).message).toBe(
        'not a replication status row; columns seen: Col_0, Col_1, Col_2, Col_3, Col_4, Col_5, … (3 more)',
      );
      expect((error as UnrecognisedStatusError).columns).toHaveLength(9);
      expect((error as UnrecognisedStatusError).name).toBe('UnrecognisedStatusError');
    }
  });

  it('an empty row is refused rather than read as "stopped"', () => {
    expect(() => parseReplicaStatus([{}])).toThrow('columns seen: (none)');
  });
});
