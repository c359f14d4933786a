import type { Row } from '../types/row.js';

/** One processlist row, as information_schema.PROCESSLIST (ID, USER, ...) or SHOW PROCESSLIST (Id, User, ...) spell it. */
export interface Thread {
  /** NaN when the row has no usable id: such a row is never killed. */
  readonly id: number;
  readonly user: string;
  readonly command: string;
  /** NULL on MySQL for an idle thread: ''. */
  readonly state: string;
}

export function threadOf(r: Row): Thread {
  const id = Number(r.ID ?? r.Id);
  return {
    id: Number.isInteger(id) && id > 0 ? id : NaN,
    user: String(r.USER ?? r.User ?? ''),
    command: String(r.COMMAND ?? r.Command ?? ''),
    state: String(r.STATE ?? r.State ?? ''),
  };
}

/** Replication to and from the peer, and the server's own threads, are never clients. */
const REPLICATION = new Set(['Binlog Dump', 'Binlog Dump GTID', 'Slave_IO', 'Slave_SQL', 'Slave_worker', 'Connect']);
const SYSTEM_USERS = new Set(['system user', 'event_scheduler', 'unauthenticated user']);

/**
 * Why the notify handler must leave this thread alone, or undefined for a client connection it
 * may end: replication threads, the server's own, and the users the operator keeps.
 * ('Connect' is a replica's IO thread while it connects, and MySQL's receiver and workers.)
 */
export function whyNotClient(t: Thread, keepUsers: ReadonlySet<string>): string | undefined {
  if (REPLICATION.has(t.command)) return 'replication';
  if (t.command === 'Daemon' || SYSTEM_USERS.has(t.user)) return 'server thread';
  if (keepUsers.has(t.user)) return 'kept user';
  return undefined;
}
