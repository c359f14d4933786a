/**
 * The daemon with --heartbeat-table, against the scripted fake: the standby's read rides in the
 * one round trip of reads, the writer's write never does, and a write whose end was not seen
 * blocks the next one until a check sees it gone (one write in flight per target).
 */
import { describe, expect, it } from 'vitest';
import type { TargetConfig } from '../../src/daemon/daemon-config.js';
import { heartbeatRead, heartbeatUpsert } from '../../src/dialect/heartbeat.js';
import { SERVER_VARIABLES_SQL } from '../../src/dialect/server-info.js';
import type { CheckReport } from '../../src/types/facts.js';
import { render } from '../../src/types/finding.js';
import { SCRIPTED_SPEC, variablesRows, type Expectation } from '../helpers/scripted-db.js';
import { scriptedMonitor } from '../helpers/scripted-monitor.js';

const TABLE = { database: 'hb', table: 'heartbeat', quoted: '`hb`.`heartbeat`' };
const TARGET: TargetConfig = { ...SCRIPTED_SPEC, policy: { ...SCRIPTED_SPEC.policy, heartbeat: { table: TABLE, writeBoundMs: 800 } }, name: 'db', intervalMs: 1000, rise: 1, fall: 1, labels: {} };
const ALL_SLAVES = 'SHOW ALL SLAVES STATUS';
const WRITE = `SET STATEMENT max_statement_time = 0.800, lock_wait_timeout = 1, innodb_lock_wait_timeout = 1 FOR ${heartbeatUpsert(TABLE, 2)}`;
const READ = heartbeatRead(TABLE, [1, 2]);
const STATE_OF_41 = 'SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = 41';
const status = [{ Connection_name: '', Master_Host: '192.0.2.1', Master_Server_Id: 1, Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes', Seconds_Behind_Master: 0, SQL_Delay: 0 }];
const beat = [{ server_id: 1, age_us: 400_000, now_s: '1800000000.5' }];

const daemonOver = (script: readonly Expectation[]) => scriptedMonitor(TARGET, script);

const reasonsOf = (r: CheckReport) => r.verdict.reasons.map(render);

describe('daemon: the heartbeat', () => {
  it("a standby's heartbeat read rides in the one round trip of reads", async () => {
    const { db, check } = daemonOver([
      { sql: SERVER_VARIABLES_SQL, rows: variablesRows('ON') },
      { sql: ALL_SLAVES, rows: status },
      { sql: READ, rows: beat },
      { batch: [SERVER_VARIABLES_SQL, ALL_SLAVES, READ], results: [variablesRows('ON'), status, beat] },
    ]);
    await check();
    const batched = await check();
    db.expectationsMet();
    expect(batched.verdict).toMatchObject({ healthy: true, role: 'standby', reasons: [], warnings: [] });
    expect(batched.facts.heartbeat).toMatchObject({ ok: true, value: [{ serverId: 1, ageSeconds: 0.4 }] });
  });

  it("the writer's write is never in the round trip: the reads go together, the write alone after them", async () => {
    const { db, check } = daemonOver([
      { sql: SERVER_VARIABLES_SQL, rows: variablesRows('OFF') },
      { sql: ALL_SLAVES, rows: [] },
      { sql: WRITE, rows: [] },
      { batch: [SERVER_VARIABLES_SQL, ALL_SLAVES], results: [variablesRows('OFF'), []] },
      { sql: WRITE, rows: [] },
    ]);
    await check();
    const second = await check();
    db.expectationsMet();
    expect(second.verdict).toMatchObject({ healthy: true, role: 'writer', reasons: [] });
  });

  it('never starts a write while the last one may still be on the server: it is looked for, killed again, and only once gone is another sent', async () => {
    const reads: Expectation = { batch: [SERVER_VARIABLES_SQL, ALL_SLAVES], results: [variablesRows('OFF'), []] };
    const { db, check } = daemonOver([
      { sql: SERVER_VARIABLES_SQL, rows: variablesRows('OFF') },
      { sql: ALL_SLAVES, rows: [] },
      { sql: WRITE, error: { code: 'ETIMEDOUT', message: 'no answer' } },
      // The side connection finds the stalled write (thread 41) but its kill fails.
      { sql: STATE_OF_41, rows: [{ STATE: 'Waiting for someone to free space' }] },
      { sql: 'KILL QUERY 41', error: { errno: 1317, message: 'Query execution was interrupted' } },
      // Next check: the write is still there, so it is killed again and no other is sent.
      reads,
      { sql: STATE_OF_41, rows: [{ STATE: 'Waiting for someone to free space' }] },
      { sql: 'KILL QUERY 41', rows: [] },
      // Then it is gone, and the write goes again.
      reads,
      { sql: STATE_OF_41, rows: [] },
      { sql: WRITE, rows: [] },
      // Once a write has committed, nothing is looked for first.
      reads,
      { sql: WRITE, rows: [] },
    ]);
    const stalled = await check();
    const blocked = await check();
    const written = await check();
    const plain = await check();
    db.expectationsMet();
    expect(reasonsOf(stalled)).toEqual([expect.stringMatching(/^write-stalled: .* did not commit within \d+ ms; the server says: Waiting for someone to free space; not killed: Query execution was interrupted/)]);
    expect(reasonsOf(blocked)).toEqual([
      'write-stalled: the heartbeat write to `hb`.`heartbeat` was not sent: the previous one (thread 41) is still on the server, saying: Waiting for someone to free space; killed again',
    ]);
    expect([written.verdict.healthy, plain.verdict.healthy]).toEqual([true, true]);
  });

  it("a previous write still waiting for a semi-sync ACK is not killed: no other is sent until the server's timeout has released it", async () => {
    const reads: Expectation = { batch: [SERVER_VARIABLES_SQL, ALL_SLAVES], results: [variablesRows('OFF'), []] };
    const ack = [{ STATE: 'Waiting for semi-sync ACK from slave' }];
    const { db, check } = daemonOver([
      { sql: SERVER_VARIABLES_SQL, rows: variablesRows('OFF') },
      { sql: ALL_SLAVES, rows: [] },
      { sql: WRITE, error: { code: 'ETIMEDOUT', message: 'no answer' } },
      // The side connection finds it waiting for an ACK, and no earlier thread waiting: left to the server.
      { sql: STATE_OF_41, rows: ack },
      { sql: "SELECT ID FROM information_schema.PROCESSLIST WHERE ID < 41 AND STATE LIKE 'Waiting for semi-sync ACK from %' ORDER BY ID LIMIT 1", rows: [] },
      // Next check: still waiting; neither killed nor joined by another write.
      reads,
      { sql: STATE_OF_41, rows: ack },
      // The semi-sync timeout released it: the write goes again, asynchronously.
      reads,
      { sql: STATE_OF_41, rows: [] },
      { sql: WRITE, rows: [] },
    ]);
    const stalled = await check();
    const waiting = await check();
    const written = await check();
    db.expectationsMet();
    expect(reasonsOf(stalled)).toEqual([expect.stringMatching(/^write-stalled: .* did not commit within \d+ ms; the server says: Waiting for semi-sync ACK from slave; left to the server's rpl_semi_sync_master_timeout/)]);
    expect(reasonsOf(waiting)).toEqual([
      "write-stalled: the heartbeat write to `hb`.`heartbeat` was not sent: the previous one (thread 41) is still on the server, saying: Waiting for semi-sync ACK from slave; left to the server's rpl_semi_sync_master_timeout (it has committed; a kill would keep the server from falling back to async)",
    ]);
    expect(written.verdict.healthy).toBe(true);
  });
});
