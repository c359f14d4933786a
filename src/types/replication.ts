/**
 * One replication channel, normalised across MySQL 5.7 / 8.0 / 8.4 and MariaDB.
 * Built from SHOW [ALL] SLAVES|REPLICA STATUS rows by column *name* (never position),
 * so `Source_*`/`Replica_*` (MySQL 8.0.22+) and `Master_*`/`Slave_*` columns map to the same fields.
 */
export type IoThreadState = 'yes' | 'no' | 'connecting';

export interface ReplicationChannel {
  /** '' for the default channel; MySQL Channel_Name or MariaDB Connection_name otherwise. */
  readonly channel: string;
  readonly sourceHost: string | null;
  readonly sourcePort: number | null;
  readonly sourceServerId: number | null;
  readonly sourceUuid: string | null;
  readonly ioRunning: IoThreadState;
  readonly sqlRunning: boolean;
  readonly lastIoErrno: number;
  readonly lastIoError: string;
  readonly lastSqlErrno: number;
  readonly lastSqlError: string;
  /** Seconds_Behind_Master / Seconds_Behind_Source. NULL stays null: it is NOT zero. */
  readonly secondsBehind: number | null;
  /** SQL_Delay (configured delay); 0 when the column is absent. */
  readonly sqlDelay: number;
  /** SQL_Remaining_Delay; null when absent or NULL. */
  readonly sqlRemainingDelay: number | null;
  /** Coordinates used to decide "has the SQL thread applied everything the IO thread received". */
  readonly sourceLogFile: string | null;
  readonly readSourceLogPos: number | null;
  readonly relaySourceLogFile: string | null;
  readonly execSourceLogPos: number | null;
  /** MySQL Retrieved_Gtid_Set / MariaDB Gtid_IO_Pos (null when Using_Gtid is No: it is stale then). */
  readonly retrievedGtid: string | null;
  /** MySQL Executed_Gtid_Set; MariaDB has no per-row executed set (use @@gtid_slave_pos). */
  readonly executedGtid: string | null;
  /** Slave_SQL_Running_State / Replica_SQL_Running_State, for human detail. */
  readonly sqlState: string | null;
  /** Columns whose text was longer than check-mysql keeps (src/limits.ts), so cut and marked; absent when none. */
  readonly cut?: readonly string[];
}

