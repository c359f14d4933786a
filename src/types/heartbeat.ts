/** pt-heartbeat's table as --heartbeat-table names it (validated by src/config/heartbeat-table.ts). */
export interface HeartbeatTable {
  readonly database: string;
  readonly table: string;
  /** `db`.`table`: how every statement and message names it. */
  readonly quoted: string;
}

export interface HeartbeatPolicy {
  readonly table: HeartbeatTable;
  /**
   * How long the server may run our write before it ends it itself (the check's --timeout), so
   * a write stuck on a lock cannot outlive the check even if it cannot be killed.
   */
  readonly writeBoundMs: number;
}

/** One heartbeat row as a standby reads it: its age by the standby's clock, computed by the server. */
export interface HeartbeatRow {
  readonly serverId: number;
  /** UTC_TIMESTAMP(6) − ts in seconds (negative when the writer's clock is ahead); null when ts is not a time. */
  readonly ageSeconds: number | null;
  /** mysqld_exporter's pair: ts read as UTC, and the server's now, in Unix seconds. */
  readonly storedSeconds: number | null;
  readonly nowSeconds: number;
}

/** The writer's row, committed. */
export interface HeartbeatWrite {
  readonly serverId: number;
}
