/**
 * --heartbeat-table against the scripted fake: who writes and who reads, the exact statements,
 * what a stalled write is reported as, and that the write never costs the reads.
 */
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check.js';
import { heartbeatRead, heartbeatUpsert } from '../../src/dialect/heartbeat.js';
import { SERVER_VARIABLES_SQL } from '../../src/dialect/server-info.js';
import { heartbeat, sourceIds } from '../../src/probes/heartbeat.js';
import { heartbeatWrite } from '../../src/probes/heartbeat-write.js';
import { probeRuns } from '../../src/probes/registry.js';
import type { Policy } from '../../src/types/config.js';
import type { Found } from '../../src/types/facts.js';
import type { ServerInfo } from '../../src/types/server.js';
import { render } from '../../src/types/finding.js';
import { SCRIPTED_SPEC, scriptedConnector, variablesRows, type Expectation } from '../helpers/scripted-db.js';
import { healthyChannel } from './channel-builder.js';

const TABLE = { database: 'hb', table: 'heartbeat', quoted: '`hb`.`heartbeat`' };
const POLICY: Policy = { ...SCRIPTED_SPEC.policy, heartbeat: { table: TABLE, writeBoundMs: 800 } };
const UPSERT = heartbeatUpsert(TABLE, 2);
const MARIADB_WRITE = `SET STATEMENT max_statement_time = 0.800, lock_wait_timeout = 1, innodb_lock_wait_timeout = 1 FOR ${UPSERT}`;
// A standby (server_id 2) reads its source's row and its own (src/verdict/heartbeat.ts readBeats).
const READ_SOURCE_1 = heartbeatRead(TABLE, [1, 2]);
const ALL_SLAVES = 'SHOW ALL SLAVES STATUS';

const server = (readOnly: boolean, flavor: ServerInfo['flavor'] = 'mariadb'): ServerInfo => ({
  version: flavor === 'mariadb' ? '10.11.6-MariaDB-log' : '8.0.36',
  versionComment: '',
  innodbVersion: '',
  flavor,
  serverId: 2,
  readOnly,
  superReadOnly: flavor === 'mysql' ? readOnly : null,
});
const held = { address: '192.0.2.10', held: true };
const notHeld = { address: '192.0.2.10', held: false };

describe('planning: who writes, who reads', () => {
  const plans = (found: Found, policy: Policy = POLICY) => ({ write: heartbeatWrite.plan(found, policy)?.statements, read: heartbeat.plan(found, policy)?.statements });

  it.each([
    ['a writable writer (read_only=OFF) writes, and reads nothing', { server: server(false), replication: [healthyChannel()] }, { write: [MARIADB_WRITE], read: undefined }],
    ['the writable VIP holder writes', { server: server(false), replication: [], vip: held }, { write: [MARIADB_WRITE], read: undefined }],
    ['a standby reads its source row, and writes nothing', { server: server(true), replication: [healthyChannel()] }, { write: undefined, read: [READ_SOURCE_1] }],
    ['a read-only VIP holder (promoting, or writer-read-only) writes nothing and reads nothing', { server: server(true), replication: [healthyChannel()], vip: held }, { write: undefined, read: undefined }],
    ['a writable node that does not hold the VIP is a standby: it reads and does not write', { server: server(false), replication: [healthyChannel()], vip: notHeld }, { write: undefined, read: [READ_SOURCE_1] }],
    ['a standby whose source id is not known yet (Master_Server_Id 0) reads nothing', { server: server(true), replication: [healthyChannel({ sourceServerId: 0 })] }, { write: undefined, read: undefined }],
    ['nothing is planned before the server variables are known', { replication: [healthyChannel()] }, { write: undefined, read: undefined }],
  ] as const)('%s', (_name, found, expected) => {
    expect(plans(found as unknown as Found)).toEqual(expected);
  });

  it('without --heartbeat-table nothing is written or read', () => {
    expect(plans({ server: server(false), replication: [] }, SCRIPTED_SPEC.policy)).toEqual({ write: undefined, read: undefined });
    expect(plans({ server: server(true), replication: [healthyChannel()] }, SCRIPTED_SPEC.policy)).toEqual({ write: undefined, read: undefined });
  });

  it('--role writer writes to a writable server even without the VIP', () => {
    expect(plans({ server: server(false), vip: notHeld }, { ...POLICY, role: 'writer' }).write).toEqual([MARIADB_WRITE]);
  });

  it('MariaDB bounds the write with SET STATEMENT, and falls back to the session bounds if it cannot parse that; MySQL sets the session bounds', () => {
    const session = ['SET SESSION lock_wait_timeout = 1, innodb_lock_wait_timeout = 1', UPSERT];
    expect(heartbeatWrite.plan({ server: server(false) }, POLICY)).toEqual({ statements: [MARIADB_WRITE], onSyntaxError: { statements: session } });
    expect(heartbeatWrite.plan({ server: server(false, 'mysql') }, POLICY)).toEqual({ statements: session });
    const long = { ...POLICY, heartbeat: { table: TABLE, writeBoundMs: 2_500 } };
    expect(heartbeatWrite.plan({ server: server(false, 'mysql') }, long)?.statements[0]).toBe('SET SESSION lock_wait_timeout = 3, innodb_lock_wait_timeout = 3');
  });

  it("writes pt-heartbeat's ts (UTC, microseconds, a T between date and time) and the server id as a literal", () => {
    expect(UPSERT).toBe(
      "INSERT INTO `hb`.`heartbeat` (ts, server_id) VALUES (DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%f'), 2) ON DUPLICATE KEY UPDATE ts = DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%f')",
    );
  });

  it('reads the rows of the sources of the judged channels only, each once', () => {
    const channels = [healthyChannel({ sourceServerId: 3 }), healthyChannel({ channel: 'b', sourceServerId: 1 }), healthyChannel({ channel: 'c', sourceServerId: 3 }), healthyChannel({ channel: 'd', sourceServerId: null })];
    expect(sourceIds(channels, [])).toEqual([1, 3]);
    expect(sourceIds(channels, ['b'])).toEqual([1]);
    expect(heartbeatRead(TABLE, [1, 3])).toBe(
      'SELECT server_id, TIMESTAMPDIFF(MICROSECOND, ts, UTC_TIMESTAMP(6)) AS age_us, UNIX_TIMESTAMP(NOW(6)) AS now_s FROM `hb`.`heartbeat` WHERE server_id IN (1, 3) LIMIT 64',
    );
  });
});

/** SHOW ALL SLAVES STATUS of a standby replicating from server 1, both threads running. */
const standbyStatus = (secondsBehind: number | null = 0, sqlDelay = 0) => [
  { Connection_name: '', Master_Host: '192.0.2.1', Master_Port: 3306, Master_Server_Id: 1, Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes', Seconds_Behind_Master: secondsBehind, SQL_Delay: sqlDelay, Last_IO_Errno: 0, Last_SQL_Errno: 0 },
];
const beatRow = (ageSeconds: number | null) => ({ server_id: 1, age_us: ageSeconds === null ? null : Math.round(ageSeconds * 1e6), now_s: '1800000000.500000' });

async function oneShot(script: Expectation[], over: Partial<Policy> = {}, timeoutMs = 800) {
  const db = scriptedConnector(script);
  let t = 0;
  const spec = { ...SCRIPTED_SPEC, timeoutMs, policy: { ...POLICY, ...over } };
  const report = await runCheck(spec, { connect: db.connect, now: () => (t += 1) + db.elapsedMs(), networkInterfaces: () => ({}) });
  db.expectationsMet();
  return { report, db, reasons: report.verdict.reasons.map(render), warnings: report.verdict.warnings.map(render) };
}

const writerReads: Expectation[] = [
  { sql: SERVER_VARIABLES_SQL, rows: variablesRows('OFF') },
  { sql: ALL_SLAVES, rows: [] },
];
const standbyReads = (secondsBehind: number | null = 0, sqlDelay = 0): Expectation[] => [
  { sql: SERVER_VARIABLES_SQL, rows: variablesRows('ON') },
  { sql: ALL_SLAVES, rows: standbyStatus(secondsBehind, sqlDelay) },
];

describe('the one-shot check with --heartbeat-table', () => {
  it('the writer writes its row after the reads, and lists the write among its probes', async () => {
    const { report } = await oneShot([...writerReads, { sql: MARIADB_WRITE, rows: [] }]);
    expect(report.verdict).toMatchObject({ healthy: true, role: 'writer', reasons: [] });
    expect(probeRuns(report.facts).map((p) => [p.name, p.result.ok])).toEqual([
      ['server_variables', true],
      ['replication', true],
      ['heartbeat_write', true],
    ]);
  });

  it('a write that does not commit in time is write-stalled, naming what the server says it waits for, and the stuck statement is killed', async () => {
    const { report, reasons, db } = await oneShot([
      ...writerReads,
      { sql: MARIADB_WRITE, error: { code: 'ETIMEDOUT', message: 'no answer' }, takesMs: 588 },
      // The side connection (thread 42) looks at the stalled one (thread 41) and kills it.
      { sql: 'SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = 41', rows: [{ STATE: 'Waiting for global read lock' }] },
      { sql: 'KILL QUERY 41', rows: [] },
    ]);
    expect(report.verdict.healthy).toBe(false);
    expect(reasons).toEqual(['write-stalled: the heartbeat write to `hb`.`heartbeat` did not commit within 590 ms; the server says: Waiting for global read lock; killed (KILL QUERY)']);
    // The reads were not lost: the writer's variables and replication are still reported.
    expect([report.facts.server?.ok, report.facts.replication?.ok]).toEqual([true, true]);
    expect(db.openedCount()).toBe(2);
    expect(db.closedCount()).toBe(2);
  });

  it('keeps a reserve of the deadline for the side connection: the write waits a quarter less', async () => {
    const { db } = await oneShot([...writerReads, { sql: MARIADB_WRITE, rows: [] }]);
    // The deadline each statement ran under, by its total: the reads get the check's 800 ms; the write what is left minus 200 ms.
    const [vars, repl, write] = db.deadlines();
    expect([vars, repl]).toEqual([800, 800]);
    expect(write).toBeLessThanOrEqual(600);
    expect(write).toBeGreaterThan(590);
  });

  it('a stalled write whose state cannot be read says so, still write-stalled', async () => {
    const { reasons } = await oneShot([
      ...writerReads,
      { sql: MARIADB_WRITE, error: { code: 'ETIMEDOUT', message: 'no answer' } },
      { sql: 'SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = 41', error: { code: 'ETIMEDOUT', message: 'no answer' } },
    ]);
    expect(reasons).toEqual([expect.stringMatching(/^write-stalled: the heartbeat write to `hb`.`heartbeat` did not commit within \d+ ms; what it waits for could not be read: no answer$/)]);
  });

  it.each([
    ['MariaDB and MySQL before 8.0.26', 'Waiting for semi-sync ACK from slave'],
    ['MySQL 8.0.26 and later', 'Waiting for semi-sync ACK from replica'],
  ])('a write waiting for a semi-sync ACK (%s), with no earlier one waiting, is write-stalled and left to the server\'s timeout, not killed', async (_flavor, state) => {
    const { reasons } = await oneShot([
      ...writerReads,
      { sql: MARIADB_WRITE, error: { code: 'ETIMEDOUT', message: 'no answer' }, takesMs: 588 },
      { sql: 'SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = 41', rows: [{ STATE: state }] },
      { sql: "SELECT ID FROM information_schema.PROCESSLIST WHERE ID < 41 AND STATE LIKE 'Waiting for semi-sync ACK from %' ORDER BY ID LIMIT 1", rows: [] },
    ]);
    expect(reasons).toEqual([
      `write-stalled: the heartbeat write to \`hb\`.\`heartbeat\` did not commit within 590 ms; the server says: ${state}; left to the server's rpl_semi_sync_master_timeout (it has committed; a kill would keep the server from falling back to async)`,
    ]);
  });

  it('a write waiting for a semi-sync ACK behind an earlier one is killed: one waits out the timeout, no more pile up', async () => {
    const { reasons } = await oneShot([
      ...writerReads,
      { sql: MARIADB_WRITE, error: { code: 'ETIMEDOUT', message: 'no answer' }, takesMs: 588 },
      { sql: 'SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = 41', rows: [{ STATE: 'Waiting for semi-sync ACK from slave' }] },
      { sql: "SELECT ID FROM information_schema.PROCESSLIST WHERE ID < 41 AND STATE LIKE 'Waiting for semi-sync ACK from %' ORDER BY ID LIMIT 1", rows: [{ ID: 17 }] },
      { sql: 'KILL QUERY 41', rows: [] },
    ]);
    expect(reasons).toEqual([
      'write-stalled: the heartbeat write to `hb`.`heartbeat` did not commit within 590 ms; the server says: Waiting for semi-sync ACK from slave; killed (KILL QUERY), thread 17 waits out the semi-sync timeout',
    ]);
  });

  it('a write the server ended at the bound we set (1969) is write-stalled too', async () => {
    const { reasons } = await oneShot([...writerReads, { sql: MARIADB_WRITE, error: { errno: 1969, message: 'Query execution was interrupted (max_statement_time exceeded)' } }]);
    expect(reasons).toEqual([
      'write-stalled: the heartbeat write to `hb`.`heartbeat` did not commit: the server ended it at the bound we set (max_statement_time): Query execution was interrupted (max_statement_time exceeded) (errno 1969)',
    ]);
  });

  it.each([
    [1142, "INSERT command denied to user 'check'@'192.0.2.2' for table `hb`.`heartbeat`", 'the check user lacks INSERT on it: grant SELECT, INSERT and UPDATE on it (docs/grants.md)'],
    [1146, "Table 'hb.heartbeat' doesn't exist", "it does not exist: create it as pt-heartbeat's table (docs/check.md#the-heartbeat)"],
    [1054, "Unknown column 'ts' in 'INSERT INTO'", "it lacks pt-heartbeat's columns (ts varchar(26), server_id int unsigned primary key): create it as pt-heartbeat's table (docs/check.md#the-heartbeat)"],
  ])('a write refused with %i is heartbeat-unusable, naming the fix', async (errno, message, says) => {
    const { reasons } = await oneShot([...writerReads, { sql: MARIADB_WRITE, error: { errno, message } }]);
    expect(reasons).toEqual([`heartbeat-unusable: heartbeat table \`hb\`.\`heartbeat\`: ${says}; the server said: ${message} (errno ${errno})`]);
  });

  it('any other refusal of the write is write-failed (read_only set meanwhile)', async () => {
    const { reasons } = await oneShot([...writerReads, { sql: MARIADB_WRITE, error: { errno: 1290, message: 'The MariaDB server is running with the --read-only option so it cannot execute this statement' } }]);
    expect(reasons).toEqual([expect.stringMatching(/^write-failed: the heartbeat write to `hb`.`heartbeat` failed: The MariaDB server is running with the --read-only option/)]);
  });

  it('a standby judges the larger lag, and says the heartbeat gave it', async () => {
    const { report, reasons } = await oneShot([...standbyReads(0), { sql: READ_SOURCE_1, rows: [beatRow(8.24)] }], { maxLagSeconds: 3 });
    expect(report.verdict.role).toBe('standby');
    expect(reasons).toEqual(["lag: default channel: 8.2 s behind source 192.0.2.1:3306, by its source's heartbeat (Seconds_Behind says 0 s) (max 3 s)"]);
  });

  it('a standby whose Seconds_Behind is larger says so, with the heartbeat beside it', async () => {
    const { reasons } = await oneShot([...standbyReads(45), { sql: READ_SOURCE_1, rows: [beatRow(0.4)] }], { maxLagSeconds: 30 });
    expect(reasons).toEqual(['lag: default channel: 45 s behind source 192.0.2.1:3306, by Seconds_Behind (heartbeat 0.4 s) (max 30 s)']);
  });

  it('a fresh heartbeat keeps a standby healthy, and its age shows in the replication detail', async () => {
    const { report } = await oneShot([...standbyReads(0), { sql: READ_SOURCE_1, rows: [beatRow(0.35)] }]);
    expect(report.verdict).toMatchObject({ healthy: true, reasons: [], warnings: [] });
    expect(report.verdict.checks.find((c) => c.name === 'replication')?.detail).toBe('default: io=yes sql=yes lag 0 s, heartbeat 0.3 s old');
  });

  const ownRow = (ageSeconds: number) => ({ ...beatRow(ageSeconds), server_id: 2 });

  it("a source that has not written its heartbeat since this node last wrote its own is no lag (an old writer back while its standby is broken): Seconds_Behind's, with a note", async () => {
    const { report, warnings } = await oneShot([...standbyReads(0), { sql: READ_SOURCE_1, rows: [beatRow(3600), ownRow(40)] }], { maxLagSeconds: 30 });
    expect(report.verdict).toMatchObject({ healthy: true, reasons: [] });
    expect(warnings).toEqual([
      'heartbeat-missing: default channel: server_id 1 last wrote its heartbeat 3600.0 s ago, before this server last wrote its own (40.0 s ago): it has not been the writer since, so its row\'s age is no lag here; lag from Seconds_Behind only',
    ]);
  });

  it("a source that wrote after this node's own last heartbeat (the writer now) is judged by its row: a silent partition is still lag", async () => {
    const { reasons } = await oneShot([...standbyReads(0), { sql: READ_SOURCE_1, rows: [beatRow(45), ownRow(3600)] }], { maxLagSeconds: 30 });
    expect(reasons).toEqual(["lag: default channel: 45 s behind source 192.0.2.1:3306, by its source's heartbeat (Seconds_Behind says 0 s) (max 30 s)"]);
  });

  it("the source's rule does not hide a Seconds_Behind lag", async () => {
    const { reasons } = await oneShot([...standbyReads(45), { sql: READ_SOURCE_1, rows: [beatRow(3600), ownRow(40)] }], { maxLagSeconds: 30 });
    expect(reasons).toEqual(['lag: default channel: 45 s behind source 192.0.2.1:3306 (max 30 s)']);
  });

  it('a configured SQL_Delay is not lag by the heartbeat either', async () => {
    const { report } = await oneShot([...standbyReads(3605, 3600), { sql: READ_SOURCE_1, rows: [beatRow(3606)] }], { maxLagSeconds: 30 });
    expect(report.verdict.healthy).toBe(true);
  });

  it('a missing row is a heartbeat-missing warning, never a silent 0: the lag is Seconds_Behind alone', async () => {
    const { report, warnings } = await oneShot([...standbyReads(0), { sql: READ_SOURCE_1, rows: [] }]);
    expect(report.verdict.healthy).toBe(true);
    expect(warnings).toEqual([
      'heartbeat-missing: default channel: no heartbeat row for server_id 1 in `hb`.`heartbeat` (not written by the writer, or not replicated yet); lag from Seconds_Behind only',
    ]);
  });

  it('a missing row does not hide a Seconds_Behind lag', async () => {
    const { reasons } = await oneShot([...standbyReads(45), { sql: READ_SOURCE_1, rows: [] }], { maxLagSeconds: 30 });
    expect(reasons).toEqual(['lag: default channel: 45 s behind source 192.0.2.1:3306 (max 30 s)']);
  });

  it('a heartbeat row stands in for a NULL Seconds_Behind while both threads run', async () => {
    const { report } = await oneShot([...standbyReads(null), { sql: READ_SOURCE_1, rows: [beatRow(1.2)] }]);
    expect(report.verdict).toMatchObject({ healthy: true, reasons: [] });
  });

  it('a standby that may not read the table is heartbeat-unusable, naming SELECT', async () => {
    const { reasons } = await oneShot([...standbyReads(0), { sql: READ_SOURCE_1, error: { errno: 1142, message: "SELECT command denied to user 'check'@'192.0.2.2' for table `hb`.`heartbeat`" } }]);
    expect(reasons).toEqual([
      "heartbeat-unusable: heartbeat table `hb`.`heartbeat`: the check user lacks SELECT on it: grant SELECT on it (docs/grants.md); the server said: SELECT command denied to user 'check'@'192.0.2.2' for table `hb`.`heartbeat` (errno 1142)",
    ]);
  });
});
