import type { Row } from '../dialect/channel.js';
import type { ConnectionConfig } from '../config/config.js';
import type { Deadline } from '../deadline.js';

/** What the probes see of a database: rows and typed failures (DbFailure), never the driver. */
export interface Session {
  query(sql: string): Promise<Row[]>;
  /** Quit cleanly (COM_QUIT): aborted handshakes count toward max_connect_errors (1129). */
  close(): Promise<void>;
}

export type Connector = (connection: ConnectionConfig, deadline: Deadline) => Promise<Session>;
