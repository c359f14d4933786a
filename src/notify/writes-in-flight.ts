import type { Row } from '../types/row.js';
import { threadOf, whyNotClient, type Thread } from './processlist.js';

/**
 * Every thread with what its InnoDB transaction is doing. PROCESS is needed for both tables
 * (docs/grants.md); our own connection is left out.
 */
export const WRITES_SQL =
  'SELECT p.ID, p.USER, p.COMMAND, p.STATE, t.trx_state, t.trx_rows_modified, t.trx_is_read_only ' +
  'FROM information_schema.PROCESSLIST p LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID ' +
  'WHERE p.ID <> CONNECTION_ID()';

export type KillKind = 'QUERY' | 'CONNECTION';

/**
 * States of a commit that cannot finish, with how to end it. Measured on MariaDB 10.11.19
 * (test/integration/notify-write-stall.test.ts); the MySQL names are from its source
 * (mysys/my_static.cc, plugin/semisync/semisync_source.cc).
 *  - A full disk: mysys retries the write every 60 s. KILL QUERY ends it at once and the
 *    commit is rolled back; the client gets error 3 (Errcode 28). MariaDB 10.11 still writes
 *    its binlog events once space is back, so the peer may apply it (docs/failover.md): this
 *    fences the node, it cannot keep the write out of the pair.
 *  - A semi-sync ACK wait: the commit is in the binlog already and lands whatever we do. KILL
 *    QUERY would answer the client OK for a commit its replica does not have; KILL CONNECTION
 *    answers it with a lost connection, so that semi-sync's promise is not broken by us.
 */
const COMMIT_WAITS: Readonly<Record<string, KillKind>> = {
  'Waiting for someone to free space': 'QUERY', // MariaDB, MySQL 5.7
  'Waiting for disk space': 'QUERY', // MySQL 8.0+
  'Waiting for semi-sync ACK from slave': 'CONNECTION', // MariaDB, MySQL before 8.0.26
  'Waiting for semi-sync ACK from replica': 'CONNECTION', // MySQL 8.0.26+
};

/** A statement that holds up SET GLOBAL read_only = ON, and what ending it takes. */
export interface WriteInFlight extends Thread {
  readonly kill: KillKind;
  /** Why it is left alone (replication, server thread, kept user); absent when it may be ended. */
  readonly spared?: string;
}

/**
 * read_only = ON takes the global read lock and then blocks commits, so it waits for each write
 * statement running and each commit in progress (measured: a commit stuck on a full disk or on
 * a semi-sync ACK, an UPDATE or a SELECT ... FOR UPDATE waiting for a row lock). Not for an
 * idle transaction (its COMMIT is refused with 1290 afterwards), nor for a write waiting for a
 * backup's FLUSH TABLES WITH READ LOCK (it fails with 1290 when the lock goes), nor for reads.
 */
function inFlight(r: Row, t: Thread): KillKind | undefined {
  if (t.command === 'Sleep') return undefined;
  const commitWait = COMMIT_WAITS[t.state];
  if (commitWait) return commitWait;
  const modified = Number(r.trx_rows_modified ?? 0);
  const lockWait = r.trx_state === 'LOCK WAIT' && Number(r.trx_is_read_only ?? 0) === 0;
  return modified > 0 || lockWait ? 'QUERY' : undefined;
}

/** The statements that hold up read_only = ON: the ones we may end, and the ones we spare (and why). */
export function writesInFlight(rows: readonly Row[], keepUsers: ReadonlySet<string>): { end: WriteInFlight[]; spared: WriteInFlight[] } {
  const end: WriteInFlight[] = [];
  const spared: WriteInFlight[] = [];
  for (const r of rows) {
    const t = threadOf(r);
    const kill = inFlight(r, t);
    if (!kill || Number.isNaN(t.id)) continue;
    const why = whyNotClient(t, keepUsers);
    if (why) spared.push({ ...t, kill, spared: why });
    else end.push({ ...t, kill });
  }
  return { end, spared };
}

/** `thread 6 (app, "Waiting for someone to free space")`, for the log line. */
export const describeWrite = (w: WriteInFlight): string => `thread ${w.id} (${w.user}${w.spared ? `, ${w.spared}` : ''}, "${w.state}")`;
