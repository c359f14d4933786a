/**
 * A replica killed -9 right after an operator moved its GTID position (STOP SLAVE; SET GLOBAL
 * gtid_slave_pos; START SLAVE, as the e2e suite's skip past a torn event does) must restart
 * replicating: check-mysql's failover then has a standby (or a writer with its peer's stream).
 *
 * The MariaDB 10.11 mechanism (measured on 10.11.19): START SLAVE by GTID, with both threads
 * stopped, purges every relay log and starts a new relay-bin.000001, but relay-log.info still
 * names the last relay log of before (relay-bin.00000N, gone) until the SQL thread rewrites it.
 * A kill -9 in that window, and the restart refuses the master info: "Failed to open the relay
 * log ... Could not find target log during relay log initialization ... Failed to initialize the
 * master info structure", and replication does not run. relay_log_recovery=ON discards the relay
 * logs at start-up and fetches again from gtid_slave_pos (an InnoDB table, crash-safe).
 *
 * The window is held open here, deterministically, by starting only the IO thread (the purge
 * happens all the same; the SQL thread, which would rewrite relay-log.info, does not run).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { newCredentials } from '../helpers/servers/credentials.js';
import { replicateFrom, threadsRunning, waitForCatchUp, waitForThreads } from '../helpers/servers/replication.js';
import { startServer, type Server } from '../helpers/servers/server.js';
import { describeWithMariadb } from '../helpers/suite.js';
import { waitFor } from '../helpers/wait.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.cleanup()));
});

/** Writer `a` (server 1) replicating from standby `b` (server 2), as the e2e pair does; `extra` on both. */
async function pairWith(extra: string[]): Promise<{ a: Server; b: Server }> {
  const repl = newCredentials('repl');
  const [a, b] = await Promise.all([1, 2].map((id) => startServer({ serverId: id, extraArgs: [`--auto-increment-increment=2`, `--auto-increment-offset=${id}`, ...extra] })));
  servers.push(a!, b!);
  for (const s of [a!, b!]) await s.exec('SET SESSION sql_log_bin=0', `CREATE USER '${repl.user}'@'127.0.0.1' IDENTIFIED BY '${repl.password}'`, `GRANT REPLICATION SLAVE ON *.* TO '${repl.user}'@'127.0.0.1'`, 'SET SESSION sql_log_bin=1');
  await replicateFrom(b!, a!, repl);
  await replicateFrom(a!, b!, repl);
  await b!.exec('CREATE DATABASE d', 'CREATE TABLE d.t (id INT PRIMARY KEY) ENGINE=InnoDB', 'INSERT INTO d.t VALUES (2)');
  await Promise.all([waitForThreads(a!), waitForThreads(b!)]);
  await waitForCatchUp(a!, b!);
  return { a: a!, b: b! };
}

/** The relay log relay-log.info names (its second line), and whether relay-bin.index still lists it. */
function relayInfo(s: Server): { named: string; listed: boolean } {
  const named = readFileSync(join(s.datadir, 'relay-log.info'), 'utf8').split('\n')[1]?.trim() ?? '';
  const index = readFileSync(join(s.datadir, 'relay-bin.index'), 'utf8').split('\n').map((l) => l.trim());
  return { named, listed: index.includes(named) && existsSync(join(s.datadir, named)) };
}

/** On `a`: relay logs rotated a few times, then its GTID position moved to b's and only the IO thread started; kill -9; restart. */
async function skipThenCrash(a: Server, b: Server): Promise<{ named: string; listed: boolean }> {
  await a.exec('FLUSH RELAY LOGS', 'FLUSH RELAY LOGS', 'FLUSH RELAY LOGS');
  const position = await b.variable('gtid_binlog_pos');
  await a.exec('STOP SLAVE', 'SET GLOBAL gtid_strict_mode = 0', `SET GLOBAL gtid_slave_pos = '${position}'`, 'SET GLOBAL gtid_strict_mode = 1', 'START SLAVE IO_THREAD');
  const info = relayInfo(a);
  a.kill('SIGKILL');
  await a.exit();
  await a.restart();
  return info;
}

describeWithMariadb('a replica killed -9 right after its GTID position was moved', () => {
  it('restarts with replication running and applies what its source writes next (relay_log_recovery=ON, as the test servers run)', async () => {
    const { a, b } = await pairWith([]);
    const info = await skipThenCrash(a, b);
    // The window this is about: relay-log.info named a relay log the START SLAVE had purged.
    expect(info.listed, `relay-log.info named ${info.named}`).toBe(false);
    await waitFor('both replication threads running on the restarted replica', () => threadsRunning(a), { timeoutMs: 15_000 });
    await b.exec('SET GLOBAL read_only = OFF', 'INSERT INTO d.t VALUES (4)');
    await waitForCatchUp(a, b);
    expect(await a.sql('SELECT id FROM d.t ORDER BY id')).toEqual([{ id: 2 }, { id: 4 }]);
  }, 60_000);

  it('without relay_log_recovery, restarts with no replication: "Failed to initialize the master info structure" (MariaDB 10.11)', async () => {
    const { a, b } = await pairWith(['--relay-log-recovery=OFF']);
    const info = await skipThenCrash(a, b);
    expect(info.listed).toBe(false);
    const [status] = await a.slaveStatus();
    expect({ io: status?.Slave_IO_Running, sql: status?.Slave_SQL_Running }).toEqual({ io: 'No', sql: 'No' });
    const log = readFileSync(a.errorLog, 'utf8');
    expect(log).toContain(`Failed to open the relay log './${info.named.replace(/^\.\//, '')}'`);
    expect(log).toContain('Failed to initialize the master info structure');
  }, 60_000);
});
