import type { Row } from '../types/row.js';
import type { ServerInfo } from '../types/server.js';

/** Writable: read_only=OFF also clears super_read_only on MySQL. */
export const PROMOTE_SQL = 'SET GLOBAL read_only = OFF';

/**
 * Read-only, as strongly as the server allows: super_read_only (which implies read_only) stops
 * SUPER users too on MySQL; MariaDB has only read_only (READ ONLY ADMIN may still write).
 * Null when the server is already there; a MySQL server with read_only=ON but super_read_only=OFF
 * is not, since its SUPER users (root) can still write.
 */
export function demoteSql(server: ServerInfo): string | null {
  if (server.superReadOnly === null) return server.readOnly ? null : 'SET GLOBAL read_only = ON';
  return server.superReadOnly ? null : 'SET GLOBAL super_read_only = ON';
}

export const CONNECTIONS_SQL = 'SELECT ID, USER, COMMAND FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()';

/** Replication to and from the peer, and the server's own threads, are never clients. */
const NOT_CLIENTS = new Set(['Binlog Dump', 'Binlog Dump GTID', 'Daemon', 'Slave_IO', 'Slave_SQL', 'Slave_worker', 'Connect']);
const SYSTEM_USERS = new Set(['system user', 'event_scheduler', 'unauthenticated user']);

/** The client connections to end after demotion, so writes through stale connections stop. */
export function clientsToKill(rows: readonly Row[], keepUsers: ReadonlySet<string>): number[] {
  return rows
    .filter((r) => {
      const user = String(r.USER ?? r.User ?? '');
      const command = String(r.COMMAND ?? r.Command ?? '');
      return !NOT_CLIENTS.has(command) && !SYSTEM_USERS.has(user) && !keepUsers.has(user);
    })
    .map((r) => Number(r.ID ?? r.Id))
    .filter((id) => Number.isInteger(id) && id > 0);
}
