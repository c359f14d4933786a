import type { ConnectionConfig } from './config.js';
import type { Deadline } from './deadline.js';
import type { Row } from './row.js';

/** What the probes see of a database: rows and typed failures (DbFailure), never the driver. */
export interface Session {
  /** Bounded by `deadline`; on expiry the connection is torn down (a hung server never answers). */
  query(sql: string, deadline: Deadline): Promise<Row[]>;
  /** Several read-only statements in one round trip where the driver allows it, else one by one. */
  queryBatch(sqls: readonly string[], deadline: Deadline): Promise<Row[][]>;
  /** Quit cleanly (COM_QUIT): aborted handshakes count toward max_connect_errors (1129). */
  close(deadline: Deadline): Promise<void>;
  /** Calls `listener` once if the server goes away on its own (mysqld killed, connection cut). */
  onLost(listener: (why: string) => void): void;
  /** False once the connection is gone, by our hand or the server's. */
  readonly usable: boolean;
  /**
   * The server's id for this connection (CONNECTION_ID(), the processlist's ID), from the
   * handshake: what a side connection names to read a stuck statement's state and kill it.
   */
  readonly threadId: number | undefined;
  /** The TLS version in use ('TLSv1.3'), or undefined for a plain connection. */
  readonly tls?: string;
}

export type Connector = (connection: ConnectionConfig, deadline: Deadline) => Promise<Session>;
