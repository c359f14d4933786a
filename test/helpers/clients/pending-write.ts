// One write sent on a connection of its own and left to hang: what every fault suite watches.
// The test sees whether and how it ended (committed or which error, after how long), and what
// the server says it is waiting for (its processlist State, looked up by thread id as root).
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection, type Connection, type ConnectionOptions } from 'mysql2/promise';
import type { RootSql } from '../servers/root-sql.js';

export type WriteOutcome =
  | { ok: true; ms: number }
  | { ok: false; ms: number; errno: number | undefined; code: string | undefined; message: string };

export class PendingWrite {
  private result: WriteOutcome | undefined;
  readonly done: Promise<WriteOutcome>;
  readonly startedAt = Date.now();

  private constructor(private readonly conn: Connection, readonly threadId: number, sql: string) {
    this.done = conn.query(sql).then(
      (): WriteOutcome => ({ ok: true, ms: Date.now() - this.startedAt }),
      (err: { errno?: number; code?: string; message: string }): WriteOutcome => ({ ok: false, ms: Date.now() - this.startedAt, errno: err.errno, code: err.code, message: err.message }),
    ).then((r) => (this.result = r));
  }

  /** Connects with `options` (an application account, say: no READ_ONLY ADMIN), then sends `sql`. */
  static async start(options: ConnectionOptions, sql: string): Promise<PendingWrite> {
    const conn = await createConnection(options);
    // A server killed under it must not crash the test process.
    conn.on('error', () => undefined);
    return new PendingWrite(conn, conn.threadId, sql);
  }

  /** How it ended, or undefined while it still waits. */
  get outcome(): WriteOutcome | undefined {
    return this.result;
  }

  /** Its processlist State on `server` (undefined if the thread is gone), e.g. "Waiting for someone to free space". */
  async state(server: RootSql): Promise<string | undefined> {
    const rows = await server.sql('SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = ?', [this.threadId]);
    return rows.length === 0 ? undefined : String(rows[0]?.STATE);
  }

  /** Waits at most `ms` for the outcome; undefined if it still waits then. */
  async within(ms: number): Promise<WriteOutcome | undefined> {
    const stop = new AbortController();
    const timeout = sleep(ms, undefined, { signal: stop.signal }).catch(() => undefined);
    try {
      return await Promise.race([this.done, timeout]);
    } finally {
      stop.abort();
    }
  }

  /** Drops the client side (the server thread may go on waiting). */
  close(): void {
    this.conn.destroy();
  }
}
