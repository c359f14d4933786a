/**
 * runNotify against the scripted SQL fake: every statement the handler sends is listed, in order,
 * with the rows a real server would answer; anything else fails the test. The replication status
 * rows are the recorded / documented fixtures of test/fixtures/replica-status, so the MySQL
 * branches (which no test can run against a real server here) read the columns MySQL prints.
 *
 * What the wait functions return, per their manuals (and the MariaDB ones measured on 10.11.19):
 *  - MASTER_GTID_WAIT: 0 done, -1 timed out.
 *    https://mariadb.com/kb/en/master_gtid_wait/
 *  - WAIT_FOR_EXECUTED_GTID_SET: 0 done, 1 timed out; it waits whatever the replication threads do.
 *    https://dev.mysql.com/doc/refman/8.4/en/gtid-functions.html
 *  - SOURCE_POS_WAIT / MASTER_POS_WAIT: events waited for (>= 0) done, -1 timed out, NULL when the
 *    SQL thread is not running (or stops while waiting).
 *    https://dev.mysql.com/doc/refman/8.4/en/replication-functions-synchronization.html
 *    https://mariadb.com/kb/en/master_pos_wait/
 */
import { describe, expect, it } from 'vitest';
import { SERVER_VARIABLES_SQL } from '../../src/dialect/server-info.js';
import type { NotifyState } from '../../src/notify/event.js';
import { runNotify, type NotifyOutcome, type NotifyPolicy, type NotifySpec } from '../../src/notify/notify.js';
import type { InterfaceTable } from '../../src/vip.js';
import type { Row } from '../../src/types/row.js';
import { scriptedConnector, variablesRows, type Expectation } from '../helpers/scripted-db.js';
import * as mariadb10 from '../fixtures/replica-status/mariadb-10-all-slaves-status.js';
import * as mariadb1011 from '../fixtures/replica-status/mariadb-10.11-recorded.js';
import * as mariadb11 from '../fixtures/replica-status/mariadb-11-all-slaves-status.js';
import * as mysql57 from '../fixtures/replica-status/mysql57-slave-status.js';
import * as mysql80replica from '../fixtures/replica-status/mysql80-replica-status.js';
import * as mysql80slave from '../fixtures/replica-status/mysql80-slave-status.js';
import * as mysql84 from '../fixtures/replica-status/mysql84-replica-status.js';
import * as mysql84multi from '../fixtures/replica-status/mysql84-multi-channel.js';
import * as mariadbProcesslist from '../fixtures/processlist/mariadb-10.11-recorded.js';
import * as mysqlProcesslist from '../fixtures/processlist/mysql-8.4-manual.js';

const VIP = '192.0.2.10';
const TIMEOUT_MS = 5000;
const CONNECTIONS_SQL = 'SELECT ID, USER, COMMAND FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()';
/** Demotion's SET as sent, bounded on the server by a fifth of the 5 s deadline (notify/fence.ts). */
const MARIADB_DEMOTE = 'SET STATEMENT max_statement_time=1.000 FOR SET GLOBAL read_only = ON';
const MYSQL_BOUND = 'SET SESSION lock_wait_timeout = 1';

/** A server's flavour: its version string, whether it has super_read_only (MySQL), and how it shows replication status. */
interface Server {
  readonly version: string;
  readonly superReadOnly: boolean;
  readonly status: 'SHOW ALL SLAVES STATUS' | 'SHOW REPLICA STATUS' | 'SHOW SLAVE STATUS';
}
const MARIADB: Server = { version: '10.11.6-MariaDB-log', superReadOnly: false, status: 'SHOW ALL SLAVES STATUS' };
const MYSQL_57: Server = { version: '5.7.44-log', superReadOnly: true, status: 'SHOW SLAVE STATUS' };
const MYSQL_8021: Server = { version: '8.0.21', superReadOnly: true, status: 'SHOW SLAVE STATUS' };
const MYSQL_8025: Server = { version: '8.0.25', superReadOnly: true, status: 'SHOW REPLICA STATUS' };
const MYSQL_8026: Server = { version: '8.0.26', superReadOnly: true, status: 'SHOW REPLICA STATUS' };
const MYSQL_80: Server = { version: '8.0.36', superReadOnly: true, status: 'SHOW REPLICA STATUS' };
const MYSQL_84: Server = { version: '8.4.3', superReadOnly: true, status: 'SHOW REPLICA STATUS' };

/** SHOW GLOBAL VARIABLES for `server`: read_only, and on MySQL super_read_only (the same unless given). */
const vars = (server: Server, readOnly: boolean, superReadOnly = readOnly): Expectation => ({
  sql: SERVER_VARIABLES_SQL,
  rows: variablesRows(readOnly ? 'ON' : 'OFF', server.version, server.superReadOnly ? (superReadOnly ? 'ON' : 'OFF') : undefined),
});
/** The replication status `server` answers: by default no replication configured. */
const replicas = (server: Server, rows: readonly Row[] = []): Expectation => ({ sql: server.status, rows });

const interfaces = (vipHere: boolean): InterfaceTable => ({
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
  ...(vipHere && { eth0: [{ address: VIP, netmask: '255.255.255.255', family: 'IPv4', mac: '52:54:00:12:34:56', internal: false, cidr: `${VIP}/32` }] }),
});

interface RunOptions {
  readonly notify?: Partial<NotifyPolicy>;
  /**
   * Whether this node holds the VIP, at each look (the last answer repeats). Absent: held, for
   * MASTER (which needs --vip); no --vip at all for the other states. [] is no --vip.
   */
  readonly vip?: readonly boolean[];
  readonly connectError?: { errno?: number; code?: string; message: string };
}

async function run(state: NotifyState, script: readonly Expectation[], options: RunOptions = {}) {
  const db = scriptedConnector(script, options.connectError);
  const looks = [...(options.vip ?? (state === 'MASTER' ? [true] : []))];
  let t = 0;
  const spec: NotifySpec = {
    connection: { label: 'db1:3306', host: 'db1', port: 3306, user: 'notify' },
    timeoutMs: TIMEOUT_MS,
    policy: { maxLagSeconds: 30, role: 'auto', onSaturated: 'unhealthy', channels: [], ...(looks.length > 0 && { vip: VIP }) },
    notify: { catchUpTimeoutS: 30, onCatchUpTimeout: 'stay-read-only', killConnections: false, keepUsers: ['root'], ...options.notify },
  };
  const outcome = await runNotify(spec, { type: 'INSTANCE', name: 'VI_1', state, priority: 100 }, {
    connect: db.connect,
    now: () => db.elapsedMs() + (t += 1),
    networkInterfaces: () => interfaces(looks.length > 1 ? looks.shift()! : (looks[0] ?? false)),
  });
  db.expectationsMet();
  expect(db.closedCount(), 'every session opened is closed').toBe(db.openedCount());
  return { outcome, db };
}

// ---------------------------------------------------------------------------------------------
// MASTER: catch up, then writable

type Wait = readonly [sql: string, returns: number | null, outcome: 'caught-up' | 'timed-out' | 'sql-thread-stopped'];
interface PromoteCase {
  readonly name: string;
  readonly server: Server;
  readonly status: readonly [sql: string, rows: readonly Row[]];
  /** STOP ... IO_THREAD sent before the catch-up; START ... IO_THREAD sent when it does not promote after all. */
  readonly peerIo: readonly string[];
  readonly waits: readonly Wait[];
  readonly action: 'promoted' | 'stayed-read-only';
  readonly message: string;
  readonly onCatchUpTimeout?: NotifyPolicy['onCatchUpTimeout'];
}
const _ = (name: string, server: Server, status: PromoteCase['status'], peerIo: string[], waits: Wait[], action: PromoteCase['action'], message: string, onCatchUpTimeout?: PromoteCase['onCatchUpTimeout']): PromoteCase =>
  ({ name, server, status, peerIo, waits, action, message, ...(onCatchUpTimeout && { onCatchUpTimeout }) });

/** A replica without GTIDs: same row, the GTID columns empty (MySQL gtid_mode=OFF, MariaDB Using_Gtid No). */
const noGtid = (row: Row): Row =>
  'Gtid_IO_Pos' in row ? { ...row, Using_Gtid: 'No', Gtid_IO_Pos: '' } : { ...row, Retrieved_Gtid_Set: '', Executed_Gtid_Set: '' };
/** The same row after STOP ... IO_THREAD: what was received and the last IO error stay; only the thread is off. */
const ioStopped = (row: Row): Row => ('Replica_IO_Running' in row ? { ...row, Replica_IO_Running: 'No' } : { ...row, Slave_IO_Running: 'No' });

const MARIADB_PROMOTED = 'promoted: read_only=ON -> read_only=OFF';
const MYSQL_PROMOTED = 'promoted: read_only=ON super_read_only=ON -> read_only=OFF super_read_only=OFF';
const STAY = '(--on-catchup-timeout stay-read-only)';
/** The log line's suffixes for the IO threads stopped by a promotion, or started again when it does not promote. */
const fenced = (channels: string): string => `; replication from the peer stopped (IO thread) (${channels})`;
const resumed = (channels: string): string => `; replication from the peer started again (IO thread) (${channels})`;
const UUID_80 = 'a112acd9-25e7-11ed-9d0f-d00d1c6358e2';
const UUID_84 = '73f86016-978b-11ee-ade5-8d2a2a562feb';
const UUID_57 = '3e11fa47-71ca-11e1-9e33-c80aa9429562';

const PROMOTIONS: readonly PromoteCase[] = [
  // MariaDB: by GTID, MASTER_GTID_WAIT on each connection's Gtid_IO_Pos (0 done, -1 timed out)
  _('MariaDB GTID: both connections caught up (MASTER_GTID_WAIT on each Gtid_IO_Pos); only the running one is stopped', MARIADB, ['SHOW ALL SLAVES STATUS', mariadb11.rows], ['STOP SLAVE IO_THREAD'], [
    ["SELECT MASTER_GTID_WAIT('0-1-2042', 30) AS waited", 0, 'caught-up'],
    ["SELECT MASTER_GTID_WAIT('5-75-90', 30) AS waited", 0, 'caught-up'],
  ], 'promoted', MARIADB_PROMOTED + fenced('default')),
  _('MariaDB GTID: a connection whose SQL thread stopped times out, and the node stays read-only', MARIADB, ['SHOW ALL SLAVES STATUS', mariadb10.rows], ["STOP SLAVE 'east' IO_THREAD", "STOP SLAVE 'west' IO_THREAD", "START SLAVE 'east' IO_THREAD", "START SLAVE 'west' IO_THREAD"], [
    ["SELECT MASTER_GTID_WAIT('1-101-50215', 30) AS waited", 0, 'caught-up'],
    ["SELECT MASTER_GTID_WAIT('2-102-785', 30) AS waited", -1, 'timed-out'],
  ], 'stayed-read-only', `not promoting: west timed-out waiting for Gtid_IO_Pos 2-102-785 ${STAY}${resumed('east, west')}`),
  _('MariaDB GTID: the same timeout with --on-catchup-timeout promote promotes, and says so', MARIADB, ['SHOW ALL SLAVES STATUS', mariadb10.rows], ["STOP SLAVE 'east' IO_THREAD", "STOP SLAVE 'west' IO_THREAD"], [
    ["SELECT MASTER_GTID_WAIT('1-101-50215', 30) AS waited", 0, 'caught-up'],
    ["SELECT MASTER_GTID_WAIT('2-102-785', 30) AS waited", -1, 'timed-out'],
  ], 'promoted', `promoted WITHOUT catching up (--on-catchup-timeout promote): read_only=ON -> read_only=OFF${fenced('east, west')}`, 'promote'),
  // MariaDB: by position, MASTER_POS_WAIT(file, pos, t[, connection_name])
  _('MariaDB by position, default connection: MASTER_POS_WAIT without a connection name', MARIADB, ['SHOW ALL SLAVES STATUS', [noGtid(mariadb11.rows[0]!)]], ['STOP SLAVE IO_THREAD'], [
    ["SELECT MASTER_POS_WAIT('mariadb-bin.000021', 17315, 30) AS waited", 0, 'caught-up'],
  ], 'promoted', MARIADB_PROMOTED + fenced('default')),
  _('MariaDB by position, named connection with both threads stopped: nothing to stop; NULL, stays read-only', MARIADB, ['SHOW ALL SLAVES STATUS', [noGtid(mariadb11.rows[1]!)]], [], [
    ["SELECT MASTER_POS_WAIT('mariadb-bin.000007', 4410, 30, 'reports') AS waited", null, 'sql-thread-stopped'],
  ], 'stayed-read-only', `not promoting: reports sql-thread-stopped waiting for mariadb-bin.000007:4410 ${STAY}`),
  _('MariaDB by position after MASTER_USE_GTID=no: the stale Gtid_IO_Pos left behind is not waited on', MARIADB, ['SHOW ALL SLAVES STATUS', [{ ...mariadb11.rows[0]!, Using_Gtid: 'No' }]], ['STOP SLAVE IO_THREAD'], [
    ["SELECT MASTER_POS_WAIT('mariadb-bin.000021', 17315, 30) AS waited", 0, 'caught-up'],
  ], 'promoted', MARIADB_PROMOTED + fenced('default')),
  _('MariaDB replica that never received an event (recorded 10.11): connecting IO threads are stopped too; nothing to wait for', MARIADB, ['SHOW ALL SLAVES STATUS', mariadb1011.allSlavesStatus], ['STOP SLAVE IO_THREAD', "STOP SLAVE 'm2' IO_THREAD"], [], 'promoted', MARIADB_PROMOTED + fenced('default, m2')),
  _('no replication configured: nothing to stop, nothing to wait for', MARIADB, ['SHOW ALL SLAVES STATUS', []], [], [], 'promoted', MARIADB_PROMOTED),

  // MySQL: by GTID, WAIT_FOR_EXECUTED_GTID_SET(Retrieved_Gtid_Set) (0 done, 1 timed out)
  _('MySQL 8.0 GTID: WAIT_FOR_EXECUTED_GTID_SET on Retrieved_Gtid_Set', MYSQL_80, ['SHOW REPLICA STATUS', mysql80replica.healthy], ['STOP REPLICA IO_THREAD'], [
    [`SELECT WAIT_FOR_EXECUTED_GTID_SET('${UUID_80}:3-1187', 30) AS waited`, 0, 'caught-up'],
  ], 'promoted', MYSQL_PROMOTED + fenced('default')),
  _('MySQL 8.0 GTID: 1 means timed out, and the node stays read-only (and replicates again)', MYSQL_80, ['SHOW REPLICA STATUS', mysql80replica.healthy], ['STOP REPLICA IO_THREAD', 'START REPLICA IO_THREAD'], [
    [`SELECT WAIT_FOR_EXECUTED_GTID_SET('${UUID_80}:3-1187', 30) AS waited`, 1, 'timed-out'],
  ], 'stayed-read-only', `not promoting: default timed-out waiting for Retrieved_Gtid_Set ${UUID_80}:3-1187 ${STAY}${resumed('default')}`),
  _('MySQL 8.4 GTID, two channels: one wait per channel (the GTID wait takes no channel)', MYSQL_84, ['SHOW REPLICA STATUS', mysql84multi.rows], ["STOP REPLICA IO_THREAD FOR CHANNEL 'source_1'", "STOP REPLICA IO_THREAD FOR CHANNEL 'source_2'"], [
    ["SELECT WAIT_FOR_EXECUTED_GTID_SET('2912c95d-e9f0-11ef-b511-0242ac140002:1-20433', 30) AS waited", 0, 'caught-up'],
    ["SELECT WAIT_FOR_EXECUTED_GTID_SET('4bc25a7e-05fa-11f0-a474-3a37024b6791:1-880', 30) AS waited", 0, 'caught-up'],
  ], 'promoted', MYSQL_PROMOTED + fenced('source_1, source_2')),
  _('MySQL 8.4 GTID, applier stopped on 1062: the GTID wait runs out (it ignores thread state)', MYSQL_84, ['SHOW REPLICA STATUS', mysql84.sqlStoppedDuplicateKey], ['STOP REPLICA IO_THREAD', 'START REPLICA IO_THREAD'], [
    [`SELECT WAIT_FOR_EXECUTED_GTID_SET('${UUID_84}:1-3315', 30) AS waited`, 1, 'timed-out'],
  ], 'stayed-read-only', `not promoting: default timed-out waiting for Retrieved_Gtid_Set ${UUID_84}:1-3315 ${STAY}${resumed('default')}`),
  _('MySQL 5.7 GTID: WAIT_FOR_EXECUTED_GTID_SET after SHOW SLAVE STATUS', MYSQL_57, ['SHOW SLAVE STATUS', mysql57.healthy], ['STOP SLAVE IO_THREAD'], [
    [`SELECT WAIT_FOR_EXECUTED_GTID_SET('${UUID_57}:1-4502', 30) AS waited`, 0, 'caught-up'],
  ], 'promoted', MYSQL_PROMOTED + fenced('default')),

  // MySQL: by position, SOURCE_POS_WAIT from 8.0.26, MASTER_POS_WAIT before; the channel as 4th argument
  _('MySQL 8.0.26 by position, named channel: SOURCE_POS_WAIT with the channel argument', MYSQL_8026, ['SHOW REPLICA STATUS', [noGtid(mysql84multi.rows[0]!)]], ["STOP REPLICA IO_THREAD FOR CHANNEL 'source_1'"], [
    ["SELECT SOURCE_POS_WAIT('binlog.000210', 4470021, 30, 'source_1') AS waited", 3, 'caught-up'],
  ], 'promoted', MYSQL_PROMOTED + fenced('source_1')),
  _('MySQL 8.4 by position, two channels: one SOURCE_POS_WAIT per channel, each naming it', MYSQL_84, ['SHOW REPLICA STATUS', mysql84multi.rows.map(noGtid)], ["STOP REPLICA IO_THREAD FOR CHANNEL 'source_1'", "STOP REPLICA IO_THREAD FOR CHANNEL 'source_2'", "START REPLICA IO_THREAD FOR CHANNEL 'source_1'", "START REPLICA IO_THREAD FOR CHANNEL 'source_2'"], [
    ["SELECT SOURCE_POS_WAIT('binlog.000210', 4470021, 30, 'source_1') AS waited", 0, 'caught-up'],
    ["SELECT SOURCE_POS_WAIT('binlog.000031', 90114, 30, 'source_2') AS waited", -1, 'timed-out'],
  ], 'stayed-read-only', `not promoting: source_2 timed-out waiting for binlog.000031:90114 ${STAY}${resumed('source_1, source_2')}`),
  _('MySQL 8.4 by position, default channel: SOURCE_POS_WAIT without a channel', MYSQL_84, ['SHOW REPLICA STATUS', mysql84.healthy.map(noGtid)], ['STOP REPLICA IO_THREAD'], [
    ["SELECT SOURCE_POS_WAIT('binlog.000042', 88123, 30) AS waited", 0, 'caught-up'],
  ], 'promoted', MYSQL_PROMOTED + fenced('default')),
  _('MySQL 8.0.25 by position: MASTER_POS_WAIT (SOURCE_POS_WAIT came with 8.0.26)', MYSQL_8025, ['SHOW REPLICA STATUS', mysql80replica.healthy.map(noGtid)], ['STOP REPLICA IO_THREAD'], [
    ["SELECT MASTER_POS_WAIT('binlog.000017', 52841, 30) AS waited", 0, 'caught-up'],
  ], 'promoted', MYSQL_PROMOTED + fenced('default')),
  _('MySQL 8.0.21 delayed replica (SQL_Delay 3600): MASTER_POS_WAIT runs out (-1)', MYSQL_8021, ['SHOW SLAVE STATUS', mysql80slave.delayed], ['STOP SLAVE IO_THREAD', 'START SLAVE IO_THREAD'], [
    ["SELECT MASTER_POS_WAIT('binlog.000044', 734112, 30) AS waited", -1, 'timed-out'],
  ], 'stayed-read-only', `not promoting: default timed-out waiting for binlog.000044:734112 ${STAY}${resumed('default')}`),
  _('MySQL 8.0.21 by position, named channel: STOP SLAVE ... FOR CHANNEL (STOP REPLICA came with 8.0.22)', MYSQL_8021, ['SHOW SLAVE STATUS', [{ ...mysql80slave.delayed[0]!, Channel_name: 'east' }]], ["STOP SLAVE IO_THREAD FOR CHANNEL 'east'"], [
    ["SELECT MASTER_POS_WAIT('binlog.000044', 734112, 30, 'east') AS waited", 0, 'caught-up'],
  ], 'promoted', MYSQL_PROMOTED + fenced('east')),
  _('MySQL 5.7 by position, named channel: MASTER_POS_WAIT with the channel argument', MYSQL_57, ['SHOW SLAVE STATUS', [{ ...noGtid(mysql57.healthy[0]!), Channel_name: 'east' }]], ["STOP SLAVE IO_THREAD FOR CHANNEL 'east'"], [
    ["SELECT MASTER_POS_WAIT('mysql-bin.000123', 9876, 30, 'east') AS waited", 0, 'caught-up'],
  ], 'promoted', MYSQL_PROMOTED + fenced('east')),
  _('MySQL 5.7 by position, SQL thread stopped on 1062: NULL, stays read-only', MYSQL_57, ['SHOW SLAVE STATUS', mysql57.sqlStoppedDuplicateKey.map(noGtid)], ['STOP SLAVE IO_THREAD', 'START SLAVE IO_THREAD'], [
    ["SELECT MASTER_POS_WAIT('mysql-bin.000123', 15022, 30) AS waited", null, 'sql-thread-stopped'],
  ], 'stayed-read-only', `not promoting: default sql-thread-stopped waiting for mysql-bin.000123:15022 ${STAY}${resumed('default')}`),
  _('MySQL 5.7 SQL thread stopped, --on-catchup-timeout promote: promotes anyway', MYSQL_57, ['SHOW SLAVE STATUS', mysql57.sqlStoppedDuplicateKey.map(noGtid)], ['STOP SLAVE IO_THREAD'], [
    ["SELECT MASTER_POS_WAIT('mysql-bin.000123', 15022, 30) AS waited", null, 'sql-thread-stopped'],
  ], 'promoted', `promoted WITHOUT catching up (--on-catchup-timeout promote): read_only=ON super_read_only=ON -> read_only=OFF super_read_only=OFF${fenced('default')}`, 'promote'),
];

describe('notify MASTER: stop replication from the peer, catch up on every channel, then read_only=OFF', () => {
  it.each(PROMOTIONS)('$name', async (c) => {
    const promotes = c.action === 'promoted';
    const [status, rows] = c.status;
    const stops = c.peerIo.filter((sql) => sql.startsWith('STOP '));
    const starts = c.peerIo.filter((sql) => sql.startsWith('START '));
    // After a stop the catch-up waits on what the status says then; a run that does not promote reads it once more.
    const reread: Expectation[] = stops.length > 0 ? [{ sql: status, rows: rows.map(ioStopped) }] : [];
    const script: Expectation[] = [
      vars(c.server, true),
      { sql: status, rows },
      ...stops.map((sql) => ({ sql })),
      ...reread,
      ...c.waits.map(([sql, returns]): Expectation => ({ sql, rows: [{ waited: returns }] })),
      ...(promotes ? [{ sql: 'SET GLOBAL read_only = OFF' }, vars(c.server, false)] : [...reread, ...starts.map((sql) => ({ sql }))]),
    ];
    const { outcome, db } = await run('MASTER', script, { vip: [true], notify: c.onCatchUpTimeout ? { onCatchUpTimeout: c.onCatchUpTimeout } : {} });
    expect(outcome).toMatchObject({ ok: promotes, action: c.action, message: c.message });
    expect(outcome.waited?.map((w) => w.outcome)).toEqual(c.waits.map(([, , o]) => o));
    expect(outcome.fenced).toEqual(promotes && stops.length > 0 ? expect.any(Array) : undefined);
    expect(outcome.resumed).toEqual(starts.length > 0 ? expect.any(Array) : undefined);
    // The server waits up to the catch-up timeout itself; our deadline only guards a hung server.
    const firstWait = 2 + stops.length + reread.length;
    expect(db.deadlines().slice(firstWait, firstWait + c.waits.length)).toEqual(c.waits.map(() => 30_000 + TIMEOUT_MS));
  });

  it('a writable node gets no SET, but is fenced all the same: the VIP holder takes nothing from its peer', async () => {
    const { outcome, db } = await run('MASTER', [vars(MYSQL_80, false), replicas(MYSQL_80, mysql80replica.healthy), { sql: 'STOP REPLICA IO_THREAD' }]);
    expect(outcome).toMatchObject({ ok: true, action: 'already-writable', message: `already writable (read_only=OFF super_read_only=OFF)${fenced('default')}`, fenced: [''] });
    expect(db.statements().filter((q) => q.startsWith('SET'))).toEqual([]);
  });

  it('a writable node with no replication: nothing to stop', async () => {
    const { outcome } = await run('MASTER', [vars(MYSQL_80, false), replicas(MYSQL_80, [])]);
    expect(outcome).toMatchObject({ ok: true, action: 'already-writable', message: 'already writable (read_only=OFF super_read_only=OFF)' });
    expect(outcome.fenced).toBeUndefined();
  });

  it('a writable node whose VIP left while its IO thread was stopped: started again, and the notification is stale', async () => {
    const row = mariadb11.rows[0]!;
    const { outcome } = await run('MASTER', [vars(MARIADB, false), replicas(MARIADB, [row]), { sql: 'STOP SLAVE IO_THREAD' }, replicas(MARIADB, [ioStopped(row)]), { sql: 'START SLAVE IO_THREAD' }], { vip: [true, false] });
    expect(outcome).toMatchObject({
      ok: true,
      action: 'stale-ignored',
      message: `stale MASTER notification: VIP ${VIP} is not on this node any more; not promoting (already writable)${resumed('default')}`,
      resumed: [''],
    });
  });

  it('the VIP moving away while catching up stops the promotion (checked again after the wait)', async () => {
    const { outcome } = await run('MASTER', [
      vars(MARIADB, true),
      replicas(MARIADB, mariadb11.rows.slice(0, 1)),
      { sql: 'STOP SLAVE IO_THREAD' },
      replicas(MARIADB, mariadb11.rows.slice(0, 1).map(ioStopped)),
      { sql: "SELECT MASTER_GTID_WAIT('0-1-2042', 30) AS waited", rows: [{ waited: 0 }] },
      replicas(MARIADB, mariadb11.rows.slice(0, 1).map(ioStopped)),
      { sql: 'START SLAVE IO_THREAD' },
    ], { vip: [true, false] });
    expect(outcome).toMatchObject({
      ok: true,
      action: 'stale-ignored',
      message: `stale MASTER notification: VIP ${VIP} is not on this node any more; not promoting (after catching up)${resumed('default')}`,
      resumed: [''],
    });
  });

  it('the VIP leaving between the last look and read_only=OFF: it looks once more, demotes again, and says so', async () => {
    // A FAULT run (no lock) found the node read-only and left; then this run made it writable.
    const { outcome, db } = await run('MASTER', [
      vars(MARIADB, true),
      replicas(MARIADB),
      { sql: 'SET GLOBAL read_only = OFF' },
      vars(MARIADB, false),
      { sql: MARIADB_DEMOTE },
      vars(MARIADB, true),
      replicas(MARIADB),
    ], { vip: [true, true, false] });
    expect(outcome).toMatchObject({
      ok: true,
      action: 'demoted-again',
      message: `VIP ${VIP} left while promoting; demoted again: demoted: read_only=OFF -> read_only=ON`,
      before: 'read_only=ON',
      after: 'read_only=ON',
    });
    expect(db.statements().filter((q) => q.startsWith('SET'))).toEqual(['SET GLOBAL read_only = OFF', MARIADB_DEMOTE]);
  });

  it('demoting again ends client connections too, with --kill-connections (MySQL: super_read_only)', async () => {
    const { outcome } = await run('MASTER', [
      vars(MYSQL_84, true),
      replicas(MYSQL_84),
      { sql: 'SET GLOBAL read_only = OFF' },
      vars(MYSQL_84, false),
      { sql: MYSQL_BOUND },
      { sql: 'SET GLOBAL super_read_only = ON' },
      vars(MYSQL_84, true),
      { sql: CONNECTIONS_SQL, rows: [{ ID: 7, USER: 'app', COMMAND: 'Query' }] },
      { sql: 'KILL CONNECTION 7' },
      replicas(MYSQL_84),
    ], { vip: [true, true, false], notify: { killConnections: true } });
    expect(outcome).toMatchObject({ ok: true, action: 'demoted-again', killed: 1 });
  });

  it('MASTER without --vip is refused before connecting: only the VIP tells a current notification from a stale one', async () => {
    const { outcome, db } = await run('MASTER', [], { vip: [] });
    expect(outcome).toMatchObject({ ok: false, action: 'failed', message: expect.stringMatching(/^MASTER without --vip: not promoting/) });
    expect(db.connectCount()).toBe(0);
  });

  it('--catchup-timeout 0 still bounds the server wait: 0 would mean "wait forever" to the wait functions', async () => {
    // MASTER_POS_WAIT / SOURCE_POS_WAIT: "a zero or negative timeout means no timeout" (MariaDB KB;
    // measured on 10.11.19: still waiting after 3 s); WAIT_FOR_EXECUTED_GTID_SET: "the default timeout
    // is 0 seconds, in which case the function always waits" (MySQL 8.4 manual).
    const { outcome, db } = await run('MASTER', [
      vars(MYSQL_84, true),
      replicas(MYSQL_84, mysql84.healthy.map(noGtid)),
      { sql: 'STOP REPLICA IO_THREAD' },
      replicas(MYSQL_84, mysql84.healthy.map(noGtid).map(ioStopped)),
      { sql: "SELECT SOURCE_POS_WAIT('binlog.000042', 88123, 1) AS waited", rows: [{ waited: -1 }] },
      replicas(MYSQL_84, mysql84.healthy.map(noGtid).map(ioStopped)),
      { sql: 'START REPLICA IO_THREAD' },
    ], { notify: { catchUpTimeoutS: 0 } });
    expect(outcome).toMatchObject({ ok: false, action: 'stayed-read-only' });
    expect(db.deadlines()[4], 'our deadline outlasts the server-side wait').toBe(1000 + TIMEOUT_MS);
  });

  it('all channels share one catch-up budget: a later wait gets what the earlier ones left', async () => {
    const { outcome, db } = await run('MASTER', [
      vars(MYSQL_84, true),
      replicas(MYSQL_84, mysql84multi.rows),
      { sql: "STOP REPLICA IO_THREAD FOR CHANNEL 'source_1'" },
      { sql: "STOP REPLICA IO_THREAD FOR CHANNEL 'source_2'" },
      replicas(MYSQL_84, mysql84multi.rows.map(ioStopped)),
      { sql: "SELECT WAIT_FOR_EXECUTED_GTID_SET('2912c95d-e9f0-11ef-b511-0242ac140002:1-20433', 30) AS waited", rows: [{ waited: 0 }], takesMs: 24_500 },
      { sql: "SELECT WAIT_FOR_EXECUTED_GTID_SET('4bc25a7e-05fa-11f0-a474-3a37024b6791:1-880', 6) AS waited", rows: [{ waited: 1 }], takesMs: 6_000 },
      replicas(MYSQL_84, mysql84multi.rows.map(ioStopped)),
      { sql: "START REPLICA IO_THREAD FOR CHANNEL 'source_1'" },
      { sql: "START REPLICA IO_THREAD FOR CHANNEL 'source_2'" },
    ]);
    expect(outcome).toMatchObject({ ok: false, action: 'stayed-read-only' });
    expect(outcome.waited?.map((w) => Math.floor(w.ms / 100) * 100)).toEqual([24_500, 6_000]);
    expect(db.deadlines().slice(5, 7)).toEqual([30_000 + TIMEOUT_MS, 6_000 + TIMEOUT_MS]);
  });

  it('a value from the server that is unsafe to quote is refused, nothing is written, and the IO thread it stopped is started again', async () => {
    const hostile = { ...mariadb11.rows[0]!, Gtid_IO_Pos: "0-1-1', 0) OR SLEEP(9" };
    const { outcome, db } = await run('MASTER', [
      vars(MARIADB, true),
      replicas(MARIADB, [hostile]),
      { sql: 'STOP SLAVE IO_THREAD' },
      replicas(MARIADB, [ioStopped(hostile)]),
      replicas(MARIADB, [ioStopped(hostile)]),
      { sql: 'START SLAVE IO_THREAD' },
    ]);
    expect(outcome).toMatchObject({ ok: false, action: 'failed', message: 'refusing to put "0-1-1\', 0) OR SLEEP(9" into SQL' });
    expect(db.statements().filter((q) => q.startsWith('SET'))).toEqual([]);
  });

  it('without the privilege to read replication status it fails before writing anything', async () => {
    const { outcome } = await run('MASTER', [
      vars(MARIADB, true),
      { sql: 'SHOW ALL SLAVES STATUS', error: { errno: 1227, message: 'Access denied; you need (at least one of) the SUPER, SLAVE MONITOR privilege(s) for this operation' } },
    ]);
    expect(outcome).toMatchObject({ ok: false, action: 'failed', message: 'Access denied; you need (at least one of) the SUPER, SLAVE MONITOR privilege(s) for this operation (errno 1227)' });
  });

  it('a refused SET GLOBAL read_only = OFF is a failure with the server\'s words', async () => {
    const { outcome } = await run('MASTER', [
      vars(MYSQL_80, true),
      replicas(MYSQL_80),
      { sql: 'SET GLOBAL read_only = OFF', error: { errno: 1227, message: 'Access denied; you need (at least one of) the SUPER or SYSTEM_VARIABLES_ADMIN privilege(s) for this operation' } },
    ]);
    expect(outcome).toMatchObject({ ok: false, action: 'failed', message: 'Access denied; you need (at least one of) the SUPER or SYSTEM_VARIABLES_ADMIN privilege(s) for this operation (errno 1227)' });
  });

  it('a server that still reads read-only after the SET is not reported as done', async () => {
    const { outcome } = await run('MASTER', [
      vars(MARIADB, true),
      replicas(MARIADB),
      { sql: 'SET GLOBAL read_only = OFF' },
      vars(MARIADB, true),
    ]);
    expect(outcome).toMatchObject({ ok: false, action: 'promoted', message: 'promoted: read_only=ON -> read_only=ON' });
  });
});

// ---------------------------------------------------------------------------------------------
// BACKUP / FAULT / STOP: read-only, as strongly as the server allows

interface DemoteCase {
  readonly name: string;
  readonly state: NotifyState;
  readonly server: Server;
  readonly before: readonly [readOnly: boolean, superReadOnly?: boolean];
  /** The statements that set it, in order; absent when there is nothing to set. */
  readonly sets?: readonly string[];
  readonly message: string;
}
const MYSQL_DEMOTE = [MYSQL_BOUND, 'SET GLOBAL super_read_only = ON'];
const DEMOTIONS: readonly DemoteCase[] = [
  { name: 'MariaDB writer on BACKUP: read_only = ON', state: 'BACKUP', server: MARIADB, before: [false], sets: [MARIADB_DEMOTE], message: 'demoted: read_only=OFF -> read_only=ON' },
  { name: 'MariaDB writer on FAULT: read_only = ON', state: 'FAULT', server: MARIADB, before: [false], sets: [MARIADB_DEMOTE], message: 'demoted: read_only=OFF -> read_only=ON' },
  { name: 'MySQL 8.0 writer on FAULT: super_read_only = ON (implies read_only)', state: 'FAULT', server: MYSQL_80, before: [false], sets: MYSQL_DEMOTE, message: 'demoted: read_only=OFF super_read_only=OFF -> read_only=ON super_read_only=ON' },
  { name: 'MySQL 5.7 writer on STOP: super_read_only = ON', state: 'STOP', server: MYSQL_57, before: [false], sets: MYSQL_DEMOTE, message: 'demoted: read_only=OFF super_read_only=OFF -> read_only=ON super_read_only=ON' },
  { name: 'MySQL with read_only only: super_read_only = ON still, so SUPER users stop writing too', state: 'BACKUP', server: MYSQL_84, before: [true, false], sets: MYSQL_DEMOTE, message: 'demoted: read_only=ON super_read_only=OFF -> read_only=ON super_read_only=ON' },
  { name: 'MariaDB already read-only: nothing to set', state: 'BACKUP', server: MARIADB, before: [true], message: 'already read-only: read_only=ON -> read_only=ON' },
  { name: 'MySQL already super_read_only: nothing to set', state: 'STOP', server: MYSQL_80, before: [true, true], message: 'already read-only: read_only=ON super_read_only=ON -> read_only=ON super_read_only=ON' },
];

describe('notify BACKUP, FAULT, STOP: read-only', () => {
  it.each(DEMOTIONS)('$name', async (c) => {
    const [readOnly, superReadOnly = readOnly] = c.before;
    const script: Expectation[] = [vars(c.server, readOnly, superReadOnly), ...(c.sets ? [...c.sets.map((sql) => ({ sql })), vars(c.server, true)] : []), replicas(c.server)];
    const { outcome } = await run(c.state, script, { vip: [false] });
    expect(outcome).toMatchObject({ ok: true, action: c.sets ? 'demoted' : 'already-read-only', message: c.message, killed: 0 });
    expect(outcome.ended).toBeUndefined();
    expect(outcome.resumed).toBeUndefined();
  });

  it('a refused SET GLOBAL read_only = ON is a failure', async () => {
    const { outcome } = await run('FAULT', [
      vars(MARIADB, false),
      { sql: MARIADB_DEMOTE, error: { errno: 1227, message: 'Access denied; you need (at least one of) the SUPER, READ_ONLY ADMIN privilege(s) for this operation' } },
    ]);
    expect(outcome).toMatchObject({ ok: false, action: 'failed', message: 'Access denied; you need (at least one of) the SUPER, READ_ONLY ADMIN privilege(s) for this operation (errno 1227)' });
  });
});

describe('notify --kill-connections: clients only, never replication, system threads or kept users', () => {
  const kills = (...ids: number[]): Expectation[] => ids.map((id) => ({ sql: `KILL CONNECTION ${id}` }));

  it('MariaDB (recorded processlist): kills the app connections, keeps root, replication and the event scheduler', async () => {
    const rows = [...mariadbProcesslist.replica, ...mariadbProcesslist.source, { ID: 31, USER: 'notify', COMMAND: 'Sleep' }];
    const { outcome } = await run('BACKUP', [vars(MARIADB, false), { sql: MARIADB_DEMOTE }, vars(MARIADB, true), { sql: CONNECTIONS_SQL, rows }, ...kills(24, 21), replicas(MARIADB)], {
      notify: { killConnections: true },
    });
    expect(outcome).toMatchObject({ ok: true, action: 'demoted', killed: 2, message: 'demoted: read_only=OFF -> read_only=ON; killed 2 client connection(s)' });
  });

  it('MySQL (manual processlist): --keep-user spares its users; replication under root or repl is not a client', async () => {
    const { outcome } = await run('FAULT', [vars(MYSQL_84, true), { sql: CONNECTIONS_SQL, rows: mysqlProcesslist.replica }, ...kills(16648, 16653), replicas(MYSQL_84)], {
      notify: { killConnections: true, keepUsers: ['root', 'backup'] },
    });
    expect(outcome).toMatchObject({ ok: true, action: 'already-read-only', killed: 2 });
  });

  it('a connection that ended meanwhile (1094 unknown thread) is not an error', async () => {
    const { outcome } = await run('STOP', [
      vars(MARIADB, true),
      { sql: CONNECTIONS_SQL, rows: mariadbProcesslist.replica },
      { sql: 'KILL CONNECTION 24', error: { errno: 1094, message: 'Unknown thread id: 24' } },
      ...kills(21),
      replicas(MARIADB),
    ], { notify: { killConnections: true } });
    expect(outcome).toMatchObject({ ok: true, killed: 1, message: 'already read-only: read_only=ON -> read_only=ON; killed 1 client connection(s)' });
  });

  it('any other KILL error fails the run, after read-only is already set', async () => {
    const { outcome } = await run('BACKUP', [
      vars(MARIADB, false),
      { sql: MARIADB_DEMOTE },
      vars(MARIADB, true),
      { sql: CONNECTIONS_SQL, rows: mariadbProcesslist.replica },
      { sql: 'KILL CONNECTION 24', error: { errno: 1095, message: 'You are not owner of thread 24' } },
    ], { notify: { killConnections: true } });
    expect(outcome).toMatchObject({ ok: false, action: 'failed', message: 'You are not owner of thread 24 (errno 1095)' });
  });

  it('without --kill-connections the processlist is not even read', async () => {
    const { outcome } = await run('BACKUP', [vars(MARIADB, false), { sql: MARIADB_DEMOTE }, vars(MARIADB, true), replicas(MARIADB)]);
    expect(outcome.message).toBe('demoted: read_only=OFF -> read_only=ON');
  });
});

describe('notify: what is not acted on sends no SQL at all', () => {
  const NONE: readonly { name: string; state: NotifyState; vip?: boolean[]; outcome: Partial<NotifyOutcome> }[] = [
    { name: 'MASTER while the VIP is not here (stale)', state: 'MASTER', vip: [false], outcome: { ok: true, action: 'stale-ignored', message: `stale MASTER notification: VIP ${VIP} is not on this node any more; not promoting` } },
    { name: 'BACKUP while the VIP is here again (stale)', state: 'BACKUP', vip: [true], outcome: { ok: true, action: 'stale-ignored', message: `stale notification: VIP ${VIP} is on this node again; not demoting` } },
    { name: 'FAULT while the VIP is here again (stale)', state: 'FAULT', vip: [true], outcome: { ok: true, action: 'stale-ignored', message: `stale notification: VIP ${VIP} is on this node again; not demoting` } },
    { name: 'STOP while the VIP is here again (stale)', state: 'STOP', vip: [true], outcome: { ok: true, action: 'stale-ignored', message: `stale notification: VIP ${VIP} is on this node again; not demoting` } },
    { name: 'DELETED', state: 'DELETED', vip: [true], outcome: { ok: true, action: 'nothing', message: 'DELETED: nothing to do' } },
    { name: 'DELETED without --vip', state: 'DELETED', outcome: { ok: true, action: 'nothing', message: 'DELETED: nothing to do' } },
  ];
  it.each(NONE)('$name', async (c) => {
    const { outcome, db } = await run(c.state, [], c.vip ? { vip: c.vip } : {});
    expect(outcome).toEqual(c.outcome);
    expect(db.connectCount(), 'not even a connection').toBe(0);
  });

  it('a server that cannot be reached fails the run with the connect error', async () => {
    const { outcome, db } = await run('MASTER', [], { connectError: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 192.0.2.21:3306' } });
    expect(outcome).toEqual({ ok: false, action: 'failed', message: 'cannot connect: refused: connect ECONNREFUSED 192.0.2.21:3306' });
    expect(db.statements()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Replication from the peer (notify/peer-io.ts): MASTER stops the IO threads before catching up;
// a demotion, or a MASTER run that does not promote, starts them again.

const DENIED_IO = 'Access denied; you need (at least one of) the SUPER, REPLICATION SLAVE ADMIN privilege(s) for this operation';
const NOT_FENCED = "; NOT stopped, so the old writer's later writes may land here: ";
const NOT_RESUMED = '; could not start replication from the peer again: ';
const QUOTED = "it's";

describe('notify MASTER: replication from the peer is stopped (IO thread) before the catch-up', () => {
  it('MariaDB, two connections running: one STOP each, and the catch-up waits on the Gtid_IO_Pos read after the stop', async () => {
    const found = [mariadb11.rows[0]!, mariadb10.rows[0]!];
    // Events that arrived between the first read and the stop: the waits must cover them.
    const afterStop = [{ ...ioStopped(found[0]!), Gtid_IO_Pos: '0-1-2047' }, { ...ioStopped(found[1]!), Gtid_IO_Pos: '1-101-50219' }];
    const { outcome, db } = await run('MASTER', [
      vars(MARIADB, true),
      replicas(MARIADB, found),
      { sql: 'STOP SLAVE IO_THREAD' },
      { sql: "STOP SLAVE 'east' IO_THREAD" },
      replicas(MARIADB, afterStop),
      { sql: "SELECT MASTER_GTID_WAIT('0-1-2047', 30) AS waited", rows: [{ waited: 0 }] },
      { sql: "SELECT MASTER_GTID_WAIT('1-101-50219', 30) AS waited", rows: [{ waited: 0 }] },
      { sql: 'SET GLOBAL read_only = OFF' },
      vars(MARIADB, false),
    ]);
    expect(outcome).toMatchObject({ ok: true, action: 'promoted', message: MARIADB_PROMOTED + fenced('default, east'), fenced: ['', 'east'] });
    expect(outcome.waited?.map((w) => w.target)).toEqual(['Gtid_IO_Pos 0-1-2047', 'Gtid_IO_Pos 1-101-50219']);
    expect(db.statements().indexOf('SET GLOBAL read_only = OFF')).toBeGreaterThan(db.statements().indexOf("STOP SLAVE 'east' IO_THREAD"));
  });

  it('--peer-channel east: only the channel from the peer is stopped; the other source keeps replicating, and a channel named but absent is reported', async () => {
    const found = [mariadb11.rows[0]!, mariadb10.rows[0]!];
    const { outcome, db } = await run('MASTER', [
      vars(MARIADB, true),
      replicas(MARIADB, found),
      { sql: "STOP SLAVE 'east' IO_THREAD" },
      replicas(MARIADB, [found[0]!, ioStopped(found[1]!)]),
      { sql: "SELECT MASTER_GTID_WAIT('0-1-2042', 30) AS waited", rows: [{ waited: 0 }] },
      { sql: "SELECT MASTER_GTID_WAIT('1-101-50215', 30) AS waited", rows: [{ waited: 0 }] },
      { sql: 'SET GLOBAL read_only = OFF' },
      vars(MARIADB, false),
    ], { notify: { peerChannels: ['east', 'west'] } });
    expect(outcome).toMatchObject({ ok: true, action: 'promoted', message: `${MARIADB_PROMOTED}${fenced('east')}${NOT_FENCED}west: no such channel (--peer-channel)`, fenced: ['east'] });
    expect(db.statements().filter((q) => q.includes('IO_THREAD'))).toEqual(["STOP SLAVE 'east' IO_THREAD"]);
  });

  it('--peer-fence off: nothing is stopped, as before the fence', async () => {
    const { outcome, db } = await run('MASTER', [
      vars(MARIADB, true),
      replicas(MARIADB, [mariadb11.rows[0]!]),
      { sql: "SELECT MASTER_GTID_WAIT('0-1-2042', 30) AS waited", rows: [{ waited: 0 }] },
      { sql: 'SET GLOBAL read_only = OFF' },
      vars(MARIADB, false),
    ], { notify: { peerFence: false } });
    expect(outcome).toMatchObject({ ok: true, action: 'promoted', message: MARIADB_PROMOTED });
    expect(outcome.fenced).toBeUndefined();
    expect(db.statements().filter((q) => q.includes('IO_THREAD'))).toEqual([]);
  });

  it('--peer-channel east on a demotion: only that channel is started again, not another source stopped alone', async () => {
    const { outcome, db } = await run('BACKUP', [
      vars(MARIADB, true),
      replicas(MARIADB, [ioStopped(mariadb11.rows[0]!), ioStopped(mariadb10.rows[0]!)]),
      { sql: "START SLAVE 'east' IO_THREAD" },
    ], { vip: [false], notify: { peerChannels: ['east'] } });
    expect(outcome).toMatchObject({ ok: true, action: 'already-read-only', resumed: ['east'] });
    expect(db.statements().filter((q) => q.includes('IO_THREAD'))).toEqual(["START SLAVE 'east' IO_THREAD"]);
  });

  it('a refused STOP (1227) still promotes, and the log line says replication was NOT stopped, in the server\'s words', async () => {
    const { outcome } = await run('MASTER', [
      vars(MYSQL_84, true),
      replicas(MYSQL_84, mysql84.healthy),
      { sql: 'STOP REPLICA IO_THREAD', error: { errno: 1227, message: DENIED_IO } },
      { sql: `SELECT WAIT_FOR_EXECUTED_GTID_SET('${UUID_84}:1-3307', 30) AS waited`, rows: [{ waited: 0 }] },
      { sql: 'SET GLOBAL read_only = OFF' },
      vars(MYSQL_84, false),
    ]);
    expect(outcome).toMatchObject({ ok: true, action: 'promoted', message: `${MYSQL_PROMOTED}${NOT_FENCED}default: ${DENIED_IO} (errno 1227)` });
    expect(outcome.fenced).toBeUndefined();
  });

  it('a channel name with a quote in it is refused: no STOP is sent for it, and the log line says so', async () => {
    const { outcome, db } = await run('MASTER', [
      vars(MYSQL_84, true),
      replicas(MYSQL_84, [{ ...mysql84.healthy[0]!, Channel_Name: QUOTED }]),
      { sql: `SELECT WAIT_FOR_EXECUTED_GTID_SET('${UUID_84}:1-3307', 30) AS waited`, rows: [{ waited: 0 }] },
      { sql: 'SET GLOBAL read_only = OFF' },
      vars(MYSQL_84, false),
    ]);
    expect(outcome).toMatchObject({ ok: true, action: 'promoted', message: `${MYSQL_PROMOTED}${NOT_FENCED}${QUOTED}: refusing to put channel name "${QUOTED}" into SQL` });
    expect(db.statements().filter((q) => q.includes('IO_THREAD'))).toEqual([]);
  });

  it('a catch-up that runs out (stay-read-only) starts the stopped IO thread again: the node stays a standby', async () => {
    const row = mariadb11.rows[0]!;
    const { outcome } = await run('MASTER', [
      vars(MARIADB, true),
      replicas(MARIADB, [row]),
      { sql: 'STOP SLAVE IO_THREAD' },
      replicas(MARIADB, [ioStopped(row)]),
      { sql: "SELECT MASTER_GTID_WAIT('0-1-2042', 30) AS waited", rows: [{ waited: -1 }] },
      replicas(MARIADB, [ioStopped(row)]),
      { sql: 'START SLAVE IO_THREAD' },
    ]);
    expect(outcome).toMatchObject({
      ok: false,
      action: 'stayed-read-only',
      message: `not promoting: default timed-out waiting for Gtid_IO_Pos 0-1-2042 ${STAY}${resumed('default')}`,
      resumed: [''],
    });
    expect(outcome.fenced).toBeUndefined();
  });
});

interface ResumeCase {
  readonly name: string;
  readonly server: Server;
  readonly rows: readonly Row[];
  /** The START statements sent, each with its error if the server refuses it. */
  readonly starts: readonly Expectation[];
  /** What follows 'already read-only: ...' in the log line. */
  readonly suffix: string;
  readonly resumed?: readonly string[];
}
const IO_ERROR_1236 = { Last_IO_Errno: 1236, Last_IO_Error: 'Got fatal error 1236 from master when reading data from binary log' };
const RESUMES: readonly ResumeCase[] = [
  { name: 'a channel stopped alone (IO no, no error, SQL running) is started again', server: MARIADB, rows: [ioStopped(mariadb11.rows[0]!)], starts: [{ sql: 'START SLAVE IO_THREAD' }], suffix: resumed('default'), resumed: [''] },
  { name: 'an operator\'s STOP SLAVE (both threads stopped) is left alone', server: MARIADB, rows: [mariadb11.rows[1]!], starts: [], suffix: '' },
  { name: 'MySQL 8.0.21, stopped by the operator (both threads): left alone', server: MYSQL_8021, rows: mysql80slave.stoppedByOperator, starts: [], suffix: '' },
  {
    // The promotion stopped it while the old writer was down: the error stays until START SLAVE.
    name: 'stopped while it could not reach its source (Last_IO_Errno 2003 kept after the STOP): started again',
    server: MARIADB,
    rows: [{ ...ioStopped(mariadb11.rows[0]!), Last_IO_Errno: 2003, Last_IO_Error: "error connecting to master 'repl@192.0.2.11:3306' - retry-time: 60  maximum-retries: 86400  message: Can't connect to server on '192.0.2.11' (111)" }],
    starts: [{ sql: 'START SLAVE IO_THREAD' }],
    suffix: resumed('default'),
    resumed: [''],
  },
  { name: 'an IO thread stopped by an error (Last_IO_Errno 1236) is left alone', server: MARIADB, rows: [{ ...ioStopped(mariadb11.rows[0]!), ...IO_ERROR_1236 }], starts: [], suffix: '' },
  {
    name: 'MySQL 8.4, two channels: only the one stopped alone is started, FOR CHANNEL',
    server: MYSQL_84,
    rows: [ioStopped(mysql84multi.rows[0]!), { ...ioStopped(mysql84multi.rows[1]!), ...IO_ERROR_1236 }],
    starts: [{ sql: "START REPLICA IO_THREAD FOR CHANNEL 'source_1'" }],
    suffix: resumed('source_1'),
    resumed: ['source_1'],
  },
  {
    name: 'a refused START (1227) leaves the demotion ok, and says so',
    server: MYSQL_57,
    rows: [ioStopped(mysql57.healthy[0]!)],
    starts: [{ sql: 'START SLAVE IO_THREAD', error: { errno: 1227, message: DENIED_IO } }],
    suffix: `${NOT_RESUMED}default: ${DENIED_IO} (errno 1227)`,
  },
  {
    name: 'a channel name with a quote in it is refused: no START is sent for it, and the log line says so',
    server: MYSQL_84,
    rows: [{ ...ioStopped(mysql84.healthy[0]!), Channel_Name: QUOTED }],
    starts: [],
    suffix: `${NOT_RESUMED}${QUOTED}: refusing to put channel name "${QUOTED}" into SQL`,
  },
];

describe('notify BACKUP, FAULT, STOP: once read-only, replication from the peer starts again (IO thread)', () => {
  it.each(RESUMES)('$name', async (c) => {
    const { outcome, db } = await run('BACKUP', [vars(c.server, true), replicas(c.server, c.rows), ...c.starts]);
    const readOnly = c.server.superReadOnly ? 'read_only=ON super_read_only=ON' : 'read_only=ON';
    expect(outcome).toMatchObject({ ok: true, action: 'already-read-only', message: `already read-only: ${readOnly} -> ${readOnly}${c.suffix}` });
    expect(outcome.resumed).toEqual(c.resumed);
    expect(db.statements().filter((q) => q.includes('IO_THREAD'))).toEqual(c.starts.map((e) => ('sql' in e ? e.sql : '')));
  });

  it('after setting read_only and ending client connections, not before', async () => {
    const { outcome, db } = await run('FAULT', [
      vars(MARIADB, false),
      { sql: MARIADB_DEMOTE },
      vars(MARIADB, true),
      { sql: CONNECTIONS_SQL, rows: [] },
      replicas(MARIADB, [ioStopped(mariadb11.rows[0]!)]),
      { sql: 'START SLAVE IO_THREAD' },
    ], { notify: { killConnections: true } });
    expect(outcome).toMatchObject({ ok: true, action: 'demoted', message: `demoted: read_only=OFF -> read_only=ON; killed 0 client connection(s)${resumed('default')}`, resumed: [''] });
    expect(db.statements().slice(-2)).toEqual(['SHOW ALL SLAVES STATUS', 'START SLAVE IO_THREAD']);
  });

  it('a replication status that cannot be read leaves the demotion ok, and says so', async () => {
    const denied = 'Access denied; you need (at least one of) the SUPER, SLAVE MONITOR privilege(s) for this operation';
    const { outcome } = await run('STOP', [vars(MARIADB, true), { sql: 'SHOW ALL SLAVES STATUS', error: { errno: 1227, message: denied } }]);
    expect(outcome).toMatchObject({ ok: true, action: 'already-read-only', message: `already read-only: read_only=ON -> read_only=ON${NOT_RESUMED}${denied} (errno 1227)` });
    expect(outcome.resumed).toBeUndefined();
  });
});
