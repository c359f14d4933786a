// Two servers in master-master GTID replication, as in production:
// A is the writer (read_only=OFF), B the standby (read_only=ON).
import { randomBytes } from 'node:crypto';
import { startServer, type Server } from './server.js';
import { waitFor } from '../wait.js';

export interface Credentials {
  user: string;
  password: string;
}

export interface Pair {
  /** Writer: read_only=OFF, server_id 1. */
  a: Server;
  /** Standby: read_only=ON, server_id 2. */
  b: Server;
  /** Least-privilege user the check connects as (SLAVE MONITOR only). */
  check: Credentials;
  repl: Credentials;
  /** Schema with table t(id INT PRIMARY KEY, v INT) present on both. */
  schema: string;
  cleanup(): Promise<void>;
}

export const TEST_SCHEMA = 'checktest';

function secret(): string {
  return randomBytes(12).toString('hex');
}

function nodeArgs(offset: number): string[] {
  return ['--auto-increment-increment=2', `--auto-increment-offset=${offset}`];
}

/** Users are created with sql_log_bin=0 so neither GTID history has them. */
async function createUsers(server: Server, check: Credentials, repl: Credentials): Promise<void> {
  await server.exec(
    'SET SESSION sql_log_bin=0',
    `CREATE USER '${repl.user}'@'127.0.0.1' IDENTIFIED BY '${repl.password}'`,
    `GRANT REPLICATION SLAVE ON *.* TO '${repl.user}'@'127.0.0.1'`,
    `CREATE USER '${check.user}'@'127.0.0.1' IDENTIFIED BY '${check.password}'`,
    `CREATE USER '${check.user}'@'localhost' IDENTIFIED BY '${check.password}'`,
    `GRANT SLAVE MONITOR ON *.* TO '${check.user}'@'127.0.0.1'`,
    `GRANT SLAVE MONITOR ON *.* TO '${check.user}'@'localhost'`,
    'SET SESSION sql_log_bin=1',
  );
}

export async function replicateFrom(replica: Server, source: Server, repl: Credentials): Promise<void> {
  await replica.exec(
    `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${source.port},
       MASTER_USER='${repl.user}', MASTER_PASSWORD='${repl.password}',
       MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1`,
    'START SLAVE',
  );
}

/** Both threads of every channel on `server` report Yes. */
export async function threadsRunning(server: Server): Promise<boolean> {
  const rows = await server.slaveStatus();
  return rows.length > 0 && rows.every((r) => r.Slave_IO_Running === 'Yes' && r.Slave_SQL_Running === 'Yes');
}

export async function waitForThreads(server: Server, timeoutMs = 15_000): Promise<void> {
  await waitFor(`both replication threads running on server ${server.serverId}`, () => threadsRunning(server), {
    timeoutMs,
  });
}

/** Waits until `replica` has applied everything in `source`'s binlog. */
export async function waitForCatchUp(replica: Server, source: Server, timeoutMs = 15_000): Promise<void> {
  const pos = await source.variable('gtid_binlog_pos');
  const rows = await replica.sql('SELECT MASTER_GTID_WAIT(?, ?) AS r', [pos, timeoutMs / 1000]);
  if (Number(rows[0]?.r) !== 0) {
    throw new Error(`server ${replica.serverId} did not reach GTID ${pos} of server ${source.serverId} in ${timeoutMs} ms`);
  }
}

/** Waits until each side has applied the other's writes. */
export async function waitForReplication(pair: Pair, timeoutMs = 15_000): Promise<void> {
  await waitForCatchUp(pair.b, pair.a, timeoutMs);
  await waitForCatchUp(pair.a, pair.b, timeoutMs);
}

export async function startPair(): Promise<Pair> {
  const check = { user: 'check', password: secret() };
  const repl = { user: 'repl', password: secret() };
  const started = await Promise.allSettled([
    startServer({ serverId: 1, extraArgs: nodeArgs(1) }),
    startServer({ serverId: 2, extraArgs: [...nodeArgs(2), '--read-only'] }),
  ]);
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const cleanup = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.cleanup()));
  };
  const [ra, rb] = started;
  if (ra?.status !== 'fulfilled' || rb?.status !== 'fulfilled') {
    await cleanup();
    throw (ra?.status === 'rejected' ? ra.reason : rb?.status === 'rejected' ? rb.reason : new Error('no servers'));
  }
  const pair: Pair = { a: ra.value, b: rb.value, check, repl, schema: TEST_SCHEMA, cleanup };
  try {
    await Promise.all([createUsers(pair.a, check, repl), createUsers(pair.b, check, repl)]);
    await replicateFrom(pair.b, pair.a, repl);
    await replicateFrom(pair.a, pair.b, repl);
    await pair.a.exec(
      `CREATE DATABASE ${TEST_SCHEMA}`,
      `CREATE TABLE ${TEST_SCHEMA}.t (id INT PRIMARY KEY, v INT NOT NULL DEFAULT 0) ENGINE=InnoDB`,
      `INSERT INTO ${TEST_SCHEMA}.t (id, v) VALUES (1, 0)`,
    );
    await Promise.all([waitForThreads(pair.a), waitForThreads(pair.b)]);
    await waitForReplication(pair);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return pair;
}
