/**
 * A server's GTID state, as read by src/gtid/gtid-state.ts: the raw text of each variable, so
 * that every layer shows the server's own spelling. The errant-transaction rule (gtid/errant.ts)
 * parses it.
 */
export type GtidState = MysqlGtidState | MariadbGtidState;

export interface MysqlGtidState {
  readonly flavor: 'mysql';
  /** @@server_uuid, lower-case. */
  readonly serverUuid: string;
  /** @@global.gtid_mode: 'ON' where GTIDs are used; OFF/OFF_PERMISSIVE/ON_PERMISSIVE otherwise. */
  readonly gtidMode: string;
  /** @@global.gtid_executed: every transaction this server has committed or applied. */
  readonly executed: string;
}

export interface MariadbGtidState {
  readonly flavor: 'mariadb';
  readonly serverId: number;
  /** @@global.gtid_domain_id: the domain this server's own transactions get. */
  readonly domainId: number;
  /** @@global.log_bin: without a binary log, gtid_binlog_state stays empty. */
  readonly logBin: boolean;
  /** @@global.log_slave_updates: whether what this server applies is in its own binlog state. */
  readonly logSlaveUpdates: boolean;
  /** @@global.gtid_binlog_state: the last GTID in the binary log for each (domain, server_id). */
  readonly binlogState: string;
  /** @@global.gtid_binlog_pos: the last GTID in the binary log for each domain. */
  readonly binlogPos: string;
  /** @@global.gtid_current_pos: per domain, the later of gtid_binlog_pos and gtid_slave_pos. */
  readonly currentPos: string;
  /** @@global.gtid_slave_pos: the last GTID applied by replication, per domain. */
  readonly slavePos: string;
}

/** What the errant-transaction rule found on a standby, compared with its writer. */
export interface ErrantTransactions {
  /** False when the rule cannot judge (GTIDs off, no binary log): then `why` says so. */
  readonly judged: boolean;
  /** The errant GTIDs as the flavour writes them; '' when there are none. */
  readonly gtids: string;
  /** MySQL: the exact number; MariaDB: null (it keeps only the last GTID per domain and server). */
  readonly count: number | null;
  /** Why it could not judge, or what the finding may miss. */
  readonly why?: string;
}
