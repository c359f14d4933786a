import { classifyDriverError } from '../db/failure.js';
import { deadlineAfter } from '../deadline.js';
import type { Row } from '../types/row.js';
import type { Session } from '../types/session.js';
import type { ServerInfo } from '../types/server.js';
import { threadOf, whyNotClient } from './processlist.js';

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

/** The client connections to end after demotion, so writes through stale connections stop. */
export function clientsToKill(rows: readonly Row[], keepUsers: ReadonlySet<string>): number[] {
  return rows
    .map(threadOf)
    .filter((t) => whyNotClient(t, keepUsers) === undefined && !Number.isNaN(t.id))
    .map((t) => t.id);
}

/**
 * Ends the client connections (clientsToKill) one by one, each statement under its own
 * `timeoutMs`; returns how many it ended. One that ended by itself meanwhile (1094 unknown
 * thread) is not counted; any other error is thrown.
 */
export async function killClients(session: Session, keepUsers: ReadonlySet<string>, timeoutMs: number, now: () => number): Promise<number> {
  const rows = await session.query(CONNECTIONS_SQL, deadlineAfter(timeoutMs, now));
  let killed = 0;
  for (const id of clientsToKill(rows, keepUsers)) {
    try {
      await session.query(`KILL CONNECTION ${id}`, deadlineAfter(timeoutMs, now));
      killed++;
    } catch (err) {
      if (classifyDriverError(err, 'query').errno !== 1094) throw err;
    }
  }
  return killed;
}
