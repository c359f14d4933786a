// Two servers in master-master GTID replication, as in production:
// A is the writer (read_only=OFF), B the standby (read_only=ON). Also startTwo, which the
// network-namespace pair (ns-pair.ts) starts its servers with.
import { newCredentials, type Credentials } from './credentials.js';
import { replicateFrom, waitForCatchUp, waitForThreads } from './replication.js';
import type { MariadbdProcess } from './mariadbd.js';
import { startServer, type Server } from './server.js';

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

/** Waits until each side has applied the other's writes. */
export async function waitForReplication(pair: Pair, timeoutMs = 15_000): Promise<void> {
  await waitForCatchUp(pair.b, pair.a, timeoutMs);
  await waitForCatchUp(pair.a, pair.b, timeoutMs);
}

/**
 * Starts two servers at once and runs `setup` on them; if either start or the setup fails, the
 * servers that did start are cleaned up and the first failure is thrown.
 */
export async function startTwo<T extends MariadbdProcess>(starts: [Promise<T>, Promise<T>], setup: (a: T, b: T) => Promise<void>): Promise<[T, T]> {
  const started = await Promise.allSettled(starts);
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const cleanup = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.cleanup()));
  };
  const [ra, rb] = started;
  if (ra?.status !== 'fulfilled' || rb?.status !== 'fulfilled') {
    await cleanup();
    throw (ra?.status === 'rejected' ? ra.reason : rb?.status === 'rejected' ? rb.reason : new Error('no servers'));
  }
  try {
    await setup(ra.value, rb.value);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return [ra.value, rb.value];
}

export async function startPair(): Promise<Pair> {
  const check = newCredentials('check');
  const repl = newCredentials('repl');
  const [a, b] = await startTwo([
    startServer({ serverId: 1, extraArgs: nodeArgs(1) }),
    startServer({ serverId: 2, extraArgs: [...nodeArgs(2), '--read-only'] }),
  ], async (a, b) => {
    await Promise.all([createUsers(a, check, repl), createUsers(b, check, repl)]);
    await replicateFrom(b, a, repl);
    await replicateFrom(a, b, repl);
    await a.exec(
      `CREATE DATABASE ${TEST_SCHEMA}`,
      `CREATE TABLE ${TEST_SCHEMA}.t (id INT PRIMARY KEY, v INT NOT NULL DEFAULT 0) ENGINE=InnoDB`,
      `INSERT INTO ${TEST_SCHEMA}.t (id, v) VALUES (1, 0)`,
    );
    await Promise.all([waitForThreads(a), waitForThreads(b)]);
    await waitForCatchUp(b, a);
    await waitForCatchUp(a, b);
  });
  const cleanup = async (): Promise<void> => {
    await Promise.all([a.cleanup(), b.cleanup()]);
  };
  return { a, b, check, repl, schema: TEST_SCHEMA, cleanup };
}
