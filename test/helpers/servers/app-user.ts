// An application account on a test server: plain INSERT/SELECT rights on one schema and no
// READ_ONLY ADMIN, so that read_only=ON refuses its writes, as it refuses an application's.
// Created outside the binlog (sql_log_bin=0).
import { newCredentials, type Credentials } from './credentials.js';
import type { RootSql } from './root-sql.js';

export async function createAppUser(server: RootSql, schema: string, host = '127.0.0.1'): Promise<Credentials> {
  const app = newCredentials('app');
  await server.exec(
    'SET SESSION sql_log_bin=0',
    `CREATE USER '${app.user}'@'${host}' IDENTIFIED BY '${app.password}'`,
    `GRANT SELECT, INSERT ON ${schema}.* TO '${app.user}'@'${host}'`,
    'SET SESSION sql_log_bin=1',
  );
  return app;
}
