// pt-heartbeat's table on a replicated pair, the check user's grants on it, a held global read
// lock, and the count of the check user's threads on a server: what the heartbeat suites share.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from 'mysql2/promise';
import type { MariadbdProcess } from './mariadbd.js';
import type { Pair } from './pair.js';
import { waitForReplication } from './pair.js';
import { waitForCatchUp } from './replication.js';
import type { RootSql } from './root-sql.js';
import type { Server } from './server.js';

export const HEARTBEAT_DB = 'heartbeat';
export const HEARTBEAT_TABLE = `${HEARTBEAT_DB}.heartbeat`;

/** pt-heartbeat's own CREATE TABLE (its MAGIC_create_heartbeat). */
export const HEARTBEAT_DDL = `CREATE TABLE ${HEARTBEAT_TABLE} (
  ts varchar(26) NOT NULL,
  server_id int unsigned NOT NULL PRIMARY KEY,
  file varchar(255) DEFAULT NULL,
  position bigint unsigned DEFAULT NULL,
  relay_master_log_file varchar(255) DEFAULT NULL,
  exec_master_log_pos bigint unsigned DEFAULT NULL
) ENGINE=InnoDB`;

/** The grant docs/grants.md gives, on `table`, to `accounts` ('user'@'host') on one server (not replicated). */
export async function grantHeartbeatTo(server: RootSql, accounts: readonly string[], table = HEARTBEAT_TABLE, privileges = 'SELECT, INSERT, UPDATE'): Promise<void> {
  await server.exec('SET SESSION sql_log_bin=0', ...accounts.map((account) => `GRANT ${privileges} ON ${table} TO ${account}`), 'SET SESSION sql_log_bin=1');
}

/** The grant docs/grants.md gives, on `table`, to the pair's check user on one server (not replicated). */
export async function grantHeartbeat(server: Server, pair: Pair, table = HEARTBEAT_TABLE, privileges = 'SELECT, INSERT, UPDATE'): Promise<void> {
  await grantHeartbeatTo(server, ['127.0.0.1', 'localhost'].map((host) => `'${pair.check.user}'@'${host}'`), table, privileges);
}

/** The table, created on the writer so that it replicates, and the grants on both nodes. */
export async function createHeartbeatTable(pair: Pair): Promise<void> {
  await pair.a.exec(`CREATE DATABASE IF NOT EXISTS ${HEARTBEAT_DB}`, HEARTBEAT_DDL);
  // A table-level grant needs the table: on the standby, once it has replicated.
  await waitForReplication(pair);
  await Promise.all([grantHeartbeat(pair.a, pair), grantHeartbeat(pair.b, pair)]);
}

/** The same for any writer and its standby (the bridged pair's, say), granted to `accounts` on both. */
export async function createHeartbeatTableOn(writer: MariadbdProcess, standby: MariadbdProcess, accounts: readonly string[]): Promise<void> {
  await writer.exec(`CREATE DATABASE IF NOT EXISTS ${HEARTBEAT_DB}`, HEARTBEAT_DDL);
  await waitForCatchUp(standby, writer);
  await Promise.all([grantHeartbeatTo(writer, accounts), grantHeartbeatTo(standby, accounts)]);
}

/** The check user's threads on `server`, as information_schema.PROCESSLIST lists them. */
export async function threadsOf(server: RootSql, user: string): Promise<{ count: number; states: string[] }> {
  const rows = await server.sql('SELECT STATE FROM information_schema.PROCESSLIST WHERE USER = ?', [user]);
  return { count: rows.length, states: rows.map((r) => String(r.STATE ?? '')) };
}

/**
 * The most threads of `user` seen on `server`, sampled every 50 ms until stop() (which also takes
 * a last sample): "no pile-up" is asserted on this.
 */
export function sampleThreads(server: RootSql, user: string): { stop(): Promise<number> } {
  let done = false;
  let peak = 0;
  const sampler = (async () => {
    while (!done) {
      peak = Math.max(peak, (await threadsOf(server, user).catch(() => ({ count: 0 }))).count);
      await sleep(50);
    }
  })();
  return {
    async stop() {
      done = true;
      await sampler;
      return Math.max(peak, (await threadsOf(server, user)).count);
    },
  };
}

/** FLUSH TABLES WITH READ LOCK from a root connection the caller holds open, as a stuck backup would. */
export async function holdGlobalReadLock(server: Server): Promise<{ release(): Promise<void> }> {
  const conn: Connection = await server.connect();
  await conn.query('FLUSH TABLES WITH READ LOCK');
  return {
    async release() {
      await conn.query('UNLOCK TABLES');
      await conn.end().catch(() => conn.destroy());
    },
  };
}
