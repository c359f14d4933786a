// The notify handler's account on a test server, with the least grants docs/grants.md names
// for MariaDB 10.11 (set read_only, see and end connections, read replication status), over
// the Unix socket. Created outside the binlog (sql_log_bin=0).
import { newCredentials, type Credentials } from './credentials.js';
import type { RootSql } from './root-sql.js';

export async function createNotifyUser(server: RootSql, host = 'localhost'): Promise<Credentials> {
  const notify = newCredentials('notify');
  await server.exec(
    'SET SESSION sql_log_bin=0',
    `CREATE USER '${notify.user}'@'${host}' IDENTIFIED BY '${notify.password}'`,
    `GRANT READ_ONLY ADMIN, CONNECTION ADMIN, PROCESS, SLAVE MONITOR, REPLICATION SLAVE ADMIN ON *.* TO '${notify.user}'@'${host}'`,
    'SET SESSION sql_log_bin=1',
  );
  return notify;
}
