// The daemon's reading of a peer over the scripted SQL fake: one held connection, the flavour
// asked once and then one round trip per reading, a lost connection reopened, readings that
// never pile up, and a failure that is a result, never a throw; and the monitor, which never
// waits for the peer to publish its target's verdict.
import { describe, expect, it } from 'vitest';
import { PeerWatch } from '../../src/daemon/peer-watch.js';
import { TargetMonitor } from '../../src/daemon/monitor.js';
import { initialState } from '../../src/daemon/hysteresis.js';
import { SERVER_VARIABLES_SQL } from '../../src/dialect/server-info.js';
import { MARIADB_GTID_SQL } from '../../src/gtid/gtid-state.js';
import type { ConnectionConfig } from '../../src/types/config.js';
import type { Deadline } from '../../src/types/deadline.js';
import { scriptedConnector, variablesRows, type Expectation } from '../helpers/scripted-db.js';

const PEER: ConnectionConfig = { label: '192.0.2.2:3306', host: '192.0.2.2', port: 3306, user: 'check' };
const DEADLINE: Deadline = { totalMs: 800, remainingMs: () => 800 };
const gtidRow = [{ server_id: '2', gtid_domain_id: '0', log_bin: '1', log_slave_updates: '1', gtid_binlog_state: '0-1-10,0-2-3', gtid_binlog_pos: '0-1-10', gtid_current_pos: '0-1-10', gtid_slave_pos: '0-1-10' }];

const firstReading: Expectation[] = [
  { sql: SERVER_VARIABLES_SQL, rows: variablesRows('OFF') },
  { sql: MARIADB_GTID_SQL, rows: gtidRow },
];
const laterReading = (readOnly: 'ON' | 'OFF'): Expectation => ({ batch: [SERVER_VARIABLES_SQL, MARIADB_GTID_SQL], results: [variablesRows(readOnly), gtidRow] });

function watch(script: Expectation[], connectError?: { code: string; message: string }) {
  const db = scriptedConnector(script, connectError);
  let t = 0;
  const peer = new PeerWatch(PEER, { connect: db.connect, now: () => (t += 1), wallClock: () => 1_800_000_000_000 });
  return { db, peer };
}

describe('reading the peer', () => {
  it('asks the flavour on a new connection, then reads read_only, server_id and the GTID state in one round trip on the held connection', async () => {
    const { db, peer } = watch([...firstReading, laterReading('OFF'), laterReading('ON')]);
    const first = await peer.read(DEADLINE);
    expect(first).toMatchObject({ address: '192.0.2.2:3306', ok: true, server: { readOnly: false, serverId: 2, flavor: 'mariadb' }, gtid: { flavor: 'mariadb', binlogState: '0-1-10,0-2-3' } });
    await peer.read(DEADLINE);
    const third = await peer.read(DEADLINE);
    expect(third).toMatchObject({ ok: true, server: { readOnly: true } });
    expect(peer.latest).toBe(third);
    expect(db.connectCount()).toBe(1);
    db.expectationsMet();
  });

  it('a reading in progress is the one returned: readings never pile up on a hung peer', async () => {
    const { db, peer } = watch(firstReading);
    const one = peer.read(DEADLINE);
    const two = peer.read(DEADLINE);
    expect(two).toBe(one);
    expect(peer.busy).toBe(true);
    await one;
    expect(peer.busy).toBe(false);
    db.expectationsMet();
  });

  it('a peer that refuses is a failed reading, with its class, not a throw', async () => {
    const { peer } = watch([], { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 192.0.2.2:3306' });
    const fact = await peer.read(DEADLINE);
    expect(fact).toMatchObject({ address: '192.0.2.2:3306', ok: false, error: { failure: 'refused' } });
    expect(peer.latest).toBe(fact);
  });

  it('a query that fails leaves the reading failed and the next one asks again', async () => {
    const { db, peer } = watch([{ sql: SERVER_VARIABLES_SQL, error: { errno: 1227, message: 'Access denied' } }, ...firstReading]);
    expect(await peer.read(DEADLINE)).toMatchObject({ ok: false, error: { failure: 'query-error', errno: 1227 } });
    expect(await peer.read(DEADLINE)).toMatchObject({ ok: true });
    db.expectationsMet();
  });

  it('stop quits the held connection; a reading that ends after it is not kept', async () => {
    const { db, peer } = watch(firstReading);
    await peer.read(DEADLINE);
    await peer.stop(DEADLINE);
    expect(db.closedCount()).toBe(1);
  });
});

describe('the monitor with a peer', () => {
  it("publishes the target's verdict without waiting for the peer, then again with the peer's reading when it ends", async () => {
    const target = scriptedConnector([
      { sql: SERVER_VARIABLES_SQL, rows: variablesRows('OFF').map((r) => (r.Variable_name === 'server_id' ? { ...r, Value: '1' } : r)) },
      { sql: 'SHOW ALL SLAVES STATUS', rows: [] },
      { sql: MARIADB_GTID_SQL, rows: [{ ...gtidRow[0], server_id: '1' }] },
    ]);
    // The peer answers only when the test says so.
    let answer: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (answer = resolve));
    const peerRows = [variablesRows('OFF'), gtidRow];
    const peerConnect = async () => ({
      usable: true,
      threadId: 7,
      onLost() {},
      async query(sql: string) {
        await held;
        return sql === SERVER_VARIABLES_SQL ? peerRows[0]! : peerRows[1]!;
      },
      async queryBatch() {
        throw new Error('not expected: first reading');
      },
      async close() {},
    });
    const published: { warnings: string[]; lastCheckAt: number | undefined }[] = [];
    let t = 0;
    const config = {
      name: 'db1',
      connection: { label: '192.0.2.1:3306', host: '192.0.2.1', port: 3306, user: 'check' },
      peer: PEER,
      timeoutMs: 800,
      policy: { maxLagSeconds: 30, role: 'auto', onSaturated: 'healthy', channels: [], peer: PEER.label },
      intervalMs: 1000,
      rise: 1,
      fall: 1,
      labels: {},
    } as const;
    const monitor = new TargetMonitor(
      config,
      {
        connect: (cfg, deadline) => (cfg === PEER ? peerConnect() : target.connect(cfg, deadline)),
        now: () => (t += 1),
        wallClock: () => 1_800_000_000_000 + t,
        networkInterfaces: () => ({}),
        timers: { setTimeout: () => undefined, clearTimeout: () => undefined },
      },
      initialState(0),
      (state) => published.push({ warnings: state.lastReport?.verdict.warnings.map((w) => w.code) ?? [], lastCheckAt: state.lastCheckAt }),
    );
    monitor.checkNow();
    for (let i = 0; i < 50 && published.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(published).toHaveLength(1);
    expect(published[0]!.warnings).toEqual([]);
    expect(monitor.current.healthy).toBe(true);

    answer();
    for (let i = 0; i < 50 && published.length === 1; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(published).toHaveLength(2);
    expect(published[1]).toEqual({ warnings: ['peer-writable'], lastCheckAt: published[0]!.lastCheckAt });
    expect(monitor.current.lastReport?.facts.peer).toMatchObject({ ok: true, server: { serverId: 2 } });
    target.expectationsMet();
  });
});
