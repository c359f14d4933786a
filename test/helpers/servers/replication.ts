// GTID replication between test servers: pointing a replica at its source, and waiting for its
// threads and for it to catch up.
import { waitFor } from '../wait.js';
import type { Credentials } from './credentials.js';
import type { MariadbdProcess } from './mariadbd.js';

export async function replicateFrom(replica: MariadbdProcess, source: MariadbdProcess, repl: Credentials): Promise<void> {
  await replica.exec(
    `CHANGE MASTER TO MASTER_HOST='${source.host}', MASTER_PORT=${source.port},
       MASTER_USER='${repl.user}', MASTER_PASSWORD='${repl.password}',
       MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1`,
    'START SLAVE',
  );
}

/** Both threads of every channel on `server` report Yes. */
export async function threadsRunning(server: MariadbdProcess): Promise<boolean> {
  const rows = await server.slaveStatus();
  return rows.length > 0 && rows.every((r) => r.Slave_IO_Running === 'Yes' && r.Slave_SQL_Running === 'Yes');
}

export async function waitForThreads(server: MariadbdProcess, timeoutMs = 15_000): Promise<void> {
  await waitFor(`both replication threads running on server ${server.serverId}`, () => threadsRunning(server), {
    timeoutMs,
  });
}

/** Waits until `replica` has applied everything in `source`'s binlog. */
export async function waitForCatchUp(replica: MariadbdProcess, source: MariadbdProcess, timeoutMs = 15_000): Promise<void> {
  const pos = await source.variable('gtid_binlog_pos');
  const rows = await replica.sql('SELECT MASTER_GTID_WAIT(?, ?) AS r', [pos, timeoutMs / 1000]);
  if (Number(rows[0]?.r) !== 0) {
    throw new Error(`server ${replica.serverId} did not reach GTID ${pos} of server ${source.serverId} in ${timeoutMs} ms`);
  }
}
