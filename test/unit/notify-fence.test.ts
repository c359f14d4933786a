/**
 * Demotion while writes are stalled (src/notify/fence.ts, writes-in-flight.ts), against the
 * scripted SQL fake: which processlist rows hold up read_only=ON and how each is ended, and the
 * sequence bounded SET -> read the processlist -> KILL -> SET again, within the deadline. The
 * MariaDB rows are recorded (a full binlog disk, row locks, a held read lock, a semi-sync wait);
 * the MySQL ones follow its manual and source. What the real server does is proven in
 * test/integration/notify-write-stall.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { SERVER_VARIABLES_SQL } from '../../src/dialect/server-info.js';
import { runNotify, type NotifyPolicy, type NotifySpec } from '../../src/notify/notify.js';
import { WRITES_SQL, writesInFlight } from '../../src/notify/writes-in-flight.js';
import type { Row } from '../../src/types/row.js';
import { scriptedConnector, variablesRows, type Expectation } from '../helpers/scripted-db.js';
import * as mariadb from '../fixtures/processlist/mariadb-10.11-writes-in-flight.js';
import * as mysql from '../fixtures/processlist/mysql-8.4-writes-in-flight.js';

describe('writesInFlight: the statements that hold up read_only=ON, and how to end each', () => {
  const root = new Set(['root']);
  const CASES: readonly { name: string; rows: readonly Row[]; keep?: ReadonlySet<string>; end: string[]; spared?: string[] }[] = [
    { name: 'MariaDB, full binlog disk (recorded): the stuck commit and the one queued behind it, KILL QUERY', rows: mariadb.fullDisk, end: ['7 QUERY', '6 QUERY'] },
    { name: 'MariaDB, row locks (recorded): the UPDATE and the SELECT ... FOR UPDATE that wait; not the idle holder, not a read', rows: mariadb.rowLocks, end: ['7 QUERY', '6 QUERY'] },
    { name: 'MariaDB, a held FLUSH TABLES WITH READ LOCK (recorded): nothing (the waiting INSERT will get 1290)', rows: mariadb.heldReadLock, end: [] },
    { name: 'MariaDB, semi-sync ACK wait (recorded): KILL CONNECTION, so that the client is not answered OK', rows: mariadb.semiSyncWait, end: ['10 CONNECTION'] },
    { name: 'MariaDB, full disk with the app user kept: spared, and said why', rows: mariadb.fullDisk, keep: new Set(['app']), end: [], spared: ['7 QUERY kept user', '6 QUERY kept user'] },
    {
      name: 'MySQL: disk, semi-sync, commit and row-lock waits; the applier and root are spared; idle and read-only transactions are not writes',
      rows: mysql.writesInFlight,
      end: ['16640 QUERY', '16641 CONNECTION', '16642 QUERY', '16643 QUERY'],
      spared: ['13 QUERY server thread', '17001 QUERY kept user'],
    },
    { name: 'SHOW PROCESSLIST spelling (Id, User, Command, State) is read too', rows: [{ Id: 41, User: 'app', Command: 'Query', State: 'Waiting for someone to free space' }], end: ['41 QUERY'] },
    { name: 'a row without a usable id is never killed', rows: [{ ID: null, USER: 'app', COMMAND: 'Query', STATE: 'Waiting for someone to free space' }], end: [] },
  ];
  it.each(CASES)('$name', ({ rows, keep, end, spared = [] }) => {
    const found = writesInFlight(rows, keep ?? root);
    expect(found.end.map((w) => `${w.id} ${w.kill}`)).toEqual(end);
    expect(found.spared.map((w) => `${w.id} ${w.kill} ${w.spared}`)).toEqual(spared);
  });
});

const MARIADB = '10.11.19-MariaDB-log';
const MYSQL = '8.4.3';
const vars = (version: string, readOnly: boolean): Expectation => ({
  sql: SERVER_VARIABLES_SQL,
  rows: variablesRows(readOnly ? 'ON' : 'OFF', version, version === MYSQL ? (readOnly ? 'ON' : 'OFF') : undefined),
});
/** The bounded SET: max_statement_time on MariaDB, lock_wait_timeout (whole seconds) on MySQL. */
const set = (version: string, seconds: string, outcome: Partial<Expectation> = {}): Expectation[] =>
  version === MARIADB
    ? [{ sql: `SET STATEMENT max_statement_time=${seconds} FOR SET GLOBAL read_only = ON`, ...outcome } as Expectation]
    : [{ sql: `SET SESSION lock_wait_timeout = ${Math.ceil(Number(seconds))}` }, { sql: 'SET GLOBAL super_read_only = ON', ...outcome } as Expectation];
const TIMED_OUT = { error: { errno: 1969, message: 'Query execution was interrupted (max_statement_time exceeded)' }, takesMs: 1000 };
const LOCK_WAIT_TIMEOUT = { error: { errno: 1205, message: 'Lock wait timeout exceeded; try restarting transaction' }, takesMs: 1000 };
const processlist = (rows: readonly Row[], takesMs = 1): Expectation => ({ sql: WRITES_SQL, rows, takesMs });
const kill = (how: string, id: number, error?: Expectation['error']): Expectation => ({ sql: `KILL ${how} ${id}`, ...(error && { error }) });
const STUCK = 'Waiting for someone to free space';
/** The replication status a demotion reads last, to start again what a promotion stopped: none configured here. */
const noReplicas = (version: string): Expectation => ({ sql: version === MARIADB ? 'SHOW ALL SLAVES STATUS' : 'SHOW REPLICA STATUS', rows: [] });

/** notify FAULT against the scripted server, no --vip, the handler's user 'notify'. */
async function fault(script: readonly Expectation[], o: { timeoutMs?: number; notify?: Partial<NotifyPolicy> } = {}) {
  const db = scriptedConnector(script);
  let t = 0;
  const spec: NotifySpec = {
    connection: { label: 'db1:3306', host: 'db1', port: 3306, user: 'notify' },
    timeoutMs: o.timeoutMs ?? 5000,
    policy: { maxLagSeconds: 30, role: 'auto', onSaturated: 'unhealthy', channels: [] },
    notify: { catchUpTimeoutS: 30, onCatchUpTimeout: 'stay-read-only', killConnections: false, keepUsers: ['root'], ...o.notify },
  };
  const outcome = await runNotify(spec, { type: 'INSTANCE', name: 'VI_1', state: 'FAULT', priority: 100 }, { connect: db.connect, now: () => db.elapsedMs() + (t += 1), networkInterfaces: () => ({}) });
  db.expectationsMet();
  return outcome;
}

interface SequenceCase {
  readonly name: string;
  readonly script: readonly Expectation[];
  readonly timeoutMs?: number;
  readonly notify?: Partial<NotifyPolicy>;
  readonly outcome: Record<string, unknown>;
}

const SEQUENCES: readonly SequenceCase[] = [
  {
    name: 'MariaDB, full disk: the SET gives up at 1 s (1969), both stuck commits get KILL QUERY, the SET then succeeds',
    script: [vars(MARIADB, false), ...set(MARIADB, '1.000', TIMED_OUT), processlist(mariadb.fullDisk), kill('QUERY', 7), kill('QUERY', 6), ...set(MARIADB, '1.000'), vars(MARIADB, true), noReplicas(MARIADB)],
    outcome: {
      ok: true, action: 'demoted',
      message: `demoted: read_only=OFF -> read_only=ON; ended 2 stalled write(s) holding it up: KILL QUERY thread 7 (app, "Commit"), KILL QUERY thread 6 (app, "${STUCK}")`,
      ended: [{ id: 7, user: 'app', state: 'Commit', kill: 'QUERY' }, { id: 6, user: 'app', state: STUCK, kill: 'QUERY' }],
    },
  },
  {
    name: 'MySQL, lock_wait_timeout (1205): the same, in whole seconds, with super_read_only',
    script: [vars(MYSQL, false), ...set(MYSQL, '1', LOCK_WAIT_TIMEOUT), processlist(mysql.writesInFlight), kill('QUERY', 16640), kill('CONNECTION', 16641), kill('QUERY', 16642), kill('QUERY', 16643), ...set(MYSQL, '1'), vars(MYSQL, true), noReplicas(MYSQL)],
    outcome: { ok: true, action: 'demoted', ended: [16640, 16641, 16642, 16643].map((id) => expect.objectContaining({ id })) },
  },
  {
    name: 'semi-sync: the waiting commit loses its connection at once, so its client is never answered OK',
    script: [vars(MARIADB, false), ...set(MARIADB, '1.000', TIMED_OUT), processlist(mariadb.semiSyncWait), kill('CONNECTION', 10), ...set(MARIADB, '1.000'), vars(MARIADB, true), noReplicas(MARIADB)],
    outcome: { ok: true, action: 'demoted', message: expect.stringContaining('KILL CONNECTION thread 10 (app, "Waiting for semi-sync ACK from slave")') },
  },
  {
    name: 'a write that outlives KILL QUERY goes with its connection, and the third try succeeds',
    script: [
      vars(MARIADB, false), ...set(MARIADB, '1.000', TIMED_OUT), processlist(mariadb.fullDisk.slice(1)), kill('QUERY', 6),
      ...set(MARIADB, '1.000', TIMED_OUT), processlist(mariadb.fullDisk.slice(1)), kill('CONNECTION', 6), ...set(MARIADB, '1.000'), vars(MARIADB, true), noReplicas(MARIADB),
    ],
    outcome: { ok: true, action: 'demoted', ended: [expect.objectContaining({ id: 6, kill: 'QUERY' }), expect.objectContaining({ id: 6, kill: 'CONNECTION' })] },
  },
  {
    name: 'a write that ended by itself meanwhile (1094 unknown thread) is no error, and not reported as ended',
    script: [vars(MARIADB, false), ...set(MARIADB, '1.000', TIMED_OUT), processlist(mariadb.fullDisk), kill('QUERY', 7, { errno: 1094, message: 'Unknown thread id: 7' }), kill('QUERY', 6), ...set(MARIADB, '1.000'), vars(MARIADB, true), noReplicas(MARIADB)],
    outcome: { ok: true, action: 'demoted', ended: [expect.objectContaining({ id: 6 })] },
  },
  {
    name: "a kept user's stalled write is never ended: not demoted, exit 1, and the log says who holds it up",
    notify: { keepUsers: ['root', 'app'] },
    script: [vars(MARIADB, false), ...set(MARIADB, '1.000', TIMED_OUT), processlist(mariadb.fullDisk), vars(MARIADB, false)],
    outcome: {
      ok: false, action: 'failed', before: 'read_only=OFF', after: 'read_only=OFF',
      message: expect.stringMatching(new RegExp(`^not demoted: SET GLOBAL read_only = ON still waited after 1 try \\(10\\d\\d ms\\), held up by thread 7 \\(app, kept user, "Commit"\\), thread 6 \\(app, kept user, "${STUCK}"\\)$`)),
    },
  },
  {
    name: 'nothing a client does holds it up (DDL, the applier): not demoted, and nothing killed',
    script: [vars(MARIADB, false), ...set(MARIADB, '1.000', TIMED_OUT), processlist(mariadb.heldReadLock), vars(MARIADB, false)],
    outcome: { ok: false, action: 'failed', message: expect.stringMatching(/held up by no client write that can be ended/) },
  },
  {
    name: 'three tries at most: the writes that keep coming back are listed',
    script: [
      vars(MARIADB, false), ...set(MARIADB, '1.000', TIMED_OUT), processlist(mariadb.rowLocks), kill('QUERY', 7), kill('QUERY', 6),
      ...set(MARIADB, '1.000', TIMED_OUT), processlist(mariadb.rowLocks), kill('CONNECTION', 7), kill('CONNECTION', 6),
      ...set(MARIADB, '1.000', TIMED_OUT), processlist(mariadb.rowLocks), vars(MARIADB, false),
    ],
    outcome: { ok: false, action: 'failed', message: expect.stringMatching(/^not demoted: SET GLOBAL read_only = ON still waited after 3 tries \(\d+ ms\), held up by thread 7 .*; ended 4 stalled write\(s\)/) },
  },
  {
    name: 'the tries never outlast the deadline: with 2 s and a slow processlist, the second try gets what is left (0.2 s), then no third',
    timeoutMs: 2000,
    script: [
      vars(MARIADB, false), ...set(MARIADB, '0.400', { ...TIMED_OUT, takesMs: 400 }), processlist(mariadb.fullDisk.slice(1), 1100), kill('QUERY', 6),
      ...set(MARIADB, '0.200', { ...TIMED_OUT, takesMs: 200 }), processlist(mariadb.fullDisk.slice(1)), kill('CONNECTION', 6), vars(MARIADB, false),
    ],
    outcome: { ok: false, action: 'failed', message: expect.stringMatching(/^not demoted: no time left in the 2000 ms deadline for another try; ended 2/) },
  },
  {
    name: 'with --kill-connections: the stalled write first, then every other client after read_only is set',
    notify: { killConnections: true },
    script: [
      vars(MARIADB, false), ...set(MARIADB, '1.000', TIMED_OUT), processlist(mariadb.fullDisk), kill('QUERY', 7), kill('QUERY', 6), ...set(MARIADB, '1.000'), vars(MARIADB, true),
      { sql: 'SELECT ID, USER, COMMAND FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()', rows: mariadb.fullDisk }, kill('CONNECTION', 7), kill('CONNECTION', 6), kill('CONNECTION', 5), noReplicas(MARIADB),
    ],
    outcome: { ok: true, action: 'demoted', killed: 3, message: expect.stringMatching(/; ended 2 stalled write\(s\) holding it up: .*; killed 3 client connection\(s\)$/) },
  },
  {
    name: 'any other KILL error fails the run with the server\'s words',
    script: [vars(MARIADB, false), ...set(MARIADB, '1.000', TIMED_OUT), processlist(mariadb.fullDisk), kill('QUERY', 7, { errno: 1095, message: 'You are not owner of thread 7' })],
    outcome: { ok: false, action: 'failed', message: 'You are not owner of thread 7 (errno 1095)' },
  },
  {
    name: 'without PROCESS the processlist cannot be read: the run fails and says so',
    script: [vars(MARIADB, false), ...set(MARIADB, '1.000', TIMED_OUT), { sql: WRITES_SQL, error: { errno: 1227, message: 'Access denied; you need (at least one of) the PROCESS privilege(s) for this operation' } }],
    outcome: { ok: false, action: 'failed', message: expect.stringContaining('PROCESS privilege') },
  },
];

describe('notify FAULT with a stalled write: bounded SET, end what holds it up, SET again', () => {
  it.each(SEQUENCES)('$name', async (c) => {
    const outcome = await fault(c.script, { ...(c.timeoutMs && { timeoutMs: c.timeoutMs }), ...(c.notify && { notify: c.notify }) });
    expect(outcome).toMatchObject(c.outcome);
  });
});
