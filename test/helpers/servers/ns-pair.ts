// The end-to-end topology's two servers (ns-server.ts), one in each node's namespace, in
// master-master GTID replication over the bridge, both read_only=ON (making the VIP holder
// writable is the notify handler's job), with the topology's users and its writes table, and
// optionally pt-heartbeat's table with the check user's grants on it.
import { waitFor } from '../wait.js';
import type { Credentials } from './credentials.js';
import { createHeartbeatTableOn } from './heartbeat.js';
import { NsServer, type SemiSync } from './ns-server.js';
import { startTwo } from './pair.js';
import { replicateFrom, threadsRunning } from './replication.js';

export const SCHEMA = 'e2e';
/** What the writer (clients/writer.ts) INSERTs into: (seq INT PRIMARY KEY, server_id INT, at). */
export const WRITES_TABLE = `${SCHEMA}.writes`;

export interface NsPairUsers {
  /** The one-shot check and the daemon (SLAVE MONITOR, over the socket; a login only from the other node, its daemon's `peer`). */
  check: Credentials;
  /** check-mysql notify (READ_ONLY ADMIN, CONNECTION ADMIN, ...). */
  notify: Credentials;
  repl: Credentials;
  /** The application: INSERT through the VIP, refused while read_only=ON. */
  app: Credentials;
}

export interface NsPairOptions {
  netns: { a: string; b: string };
  addresses: { a: string; b: string };
  users: NsPairUsers;
  semiSync?: SemiSync;
  /** pt-heartbeat's table (servers/heartbeat.ts), created on a, and the check user's grants on it. */
  heartbeat?: boolean;
  /** Each server's binlog on a small file system of this size (MB), run as mysql (ns-server.ts). */
  binlogFsMb?: number;
}

/** Users exist on both nodes, outside the binlogs (sql_log_bin=0). */
async function createUsers(s: NsServer, u: NsPairUsers): Promise<void> {
  const net = '192.0.2.%';
  await s.exec(
    'SET SESSION sql_log_bin=0',
    `CREATE USER '${u.repl.user}'@'${net}' IDENTIFIED BY '${u.repl.password}'`,
    `GRANT REPLICATION SLAVE ON *.* TO '${u.repl.user}'@'${net}'`,
    `CREATE USER '${u.check.user}'@'localhost' IDENTIFIED BY '${u.check.password}'`,
    `GRANT SLAVE MONITOR ON *.* TO '${u.check.user}'@'localhost'`,
    // The other node's daemon reads this one as its `peer` over the bridge: a login, no grant.
    `CREATE USER '${u.check.user}'@'${net}' IDENTIFIED BY '${u.check.password}'`,
    // The notify handler's grants, as in test/integration/notify.test.ts (MariaDB 10.11).
    `CREATE USER '${u.notify.user}'@'localhost' IDENTIFIED BY '${u.notify.password}'`,
    `GRANT READ_ONLY ADMIN, CONNECTION ADMIN, PROCESS, SLAVE MONITOR, REPLICATION SLAVE ADMIN ON *.* TO '${u.notify.user}'@'localhost'`,
    // The application: no READ_ONLY ADMIN, so read_only=ON refuses its writes.
    `CREATE USER '${u.app.user}'@'${net}' IDENTIFIED BY '${u.app.password}'`,
    `GRANT SELECT, INSERT ON ${SCHEMA}.* TO '${u.app.user}'@'${net}'`,
    'SET SESSION sql_log_bin=1',
  );
}

/** Both servers up and replicating both ways, the writes table on both; cleaned up on failure. */
export async function startNsPair(o: NsPairOptions): Promise<{ a: NsServer; b: NsServer }> {
  const { semiSync } = o;
  const start = (name: 'a' | 'b', serverId: number) =>
    NsServer.start({
      netns: o.netns[name], serverId, address: o.addresses[name], ...(semiSync ? { semiSync } : {}),
      ...(o.binlogFsMb !== undefined ? { binlogFsMb: o.binlogFsMb } : {}),
      extraArgs: ['--read-only', '--auto-increment-increment=2', `--auto-increment-offset=${serverId}`],
    });
  const [a, b] = await startTwo([start('a', 1), start('b', 2)], async (a, b) => {
    await Promise.all([a, b].map((s) => createUsers(s, o.users)));
    await replicateFrom(a, b, o.users.repl);
    await replicateFrom(b, a, o.users.repl);
    await a.exec(
      `CREATE DATABASE ${SCHEMA}`,
      `CREATE TABLE ${WRITES_TABLE} (seq INT PRIMARY KEY, server_id INT NOT NULL, at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB`,
    );
    await waitFor('replication threads running on both nodes', async () => (await threadsRunning(a)) && (await threadsRunning(b)), { timeoutMs: 20_000 });
    await waitFor(`${WRITES_TABLE} on node b`, async () => (await b.sql(`SHOW TABLES FROM ${SCHEMA}`)).length === 1, { timeoutMs: 10_000 });
    if (o.heartbeat) await createHeartbeatTableOn(a, b, [`'${o.users.check.user}'@'localhost'`]);
  });
  return { a, b };
}
