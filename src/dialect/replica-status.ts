import type { IoThreadState, ReplicationChannel } from '../types/replication.js';
import type { Row } from '../types/row.js';

/**
 * A row that has neither IO-running nor SQL-running column: whatever produced it,
 * it is not SHOW [ALL] SLAVES|REPLICA STATUS, and reading it as "stopped" would hide a dialect bug.
 */
export class UnrecognisedStatusError extends Error {
  override readonly name = 'UnrecognisedStatusError';

  constructor(readonly columns: readonly string[]) {
    const shown = columns.slice(0, 6).join(', ');
    const more = columns.length > 6 ? `, … (${columns.length - 6} more)` : '';
    super(`not a replication status row; columns seen: ${columns.length > 0 ? shown + more : '(none)'}`);
  }
}

/**
 * Where each field lives, newest name first. Names are matched case-insensitively because the
 * manuals themselves disagree on case (MySQL 5.7/8.0 print `Channel_name`, 8.4 `Channel_Name`;
 * MariaDB's column table says `Master_host` where the server sends `Master_Host`).
 */
const COLUMNS = {
  channel: ['Channel_Name', 'Connection_name'],
  sourceHost: ['Source_Host', 'Master_Host'],
  sourcePort: ['Source_Port', 'Master_Port'],
  sourceServerId: ['Source_Server_Id', 'Master_Server_Id'],
  sourceUuid: ['Source_UUID', 'Master_UUID'],
  ioRunning: ['Replica_IO_Running', 'Slave_IO_Running'],
  sqlRunning: ['Replica_SQL_Running', 'Slave_SQL_Running'],
  lastIoErrno: ['Last_IO_Errno'],
  lastIoError: ['Last_IO_Error'],
  lastSqlErrno: ['Last_SQL_Errno', 'Last_Errno'],
  lastSqlError: ['Last_SQL_Error', 'Last_Error'],
  secondsBehind: ['Seconds_Behind_Source', 'Seconds_Behind_Master'],
  sqlDelay: ['SQL_Delay'],
  sqlRemainingDelay: ['SQL_Remaining_Delay'],
  sourceLogFile: ['Source_Log_File', 'Master_Log_File'],
  readSourceLogPos: ['Read_Source_Log_Pos', 'Read_Master_Log_Pos'],
  relaySourceLogFile: ['Relay_Source_Log_File', 'Relay_Master_Log_File'],
  execSourceLogPos: ['Exec_Source_Log_Pos', 'Exec_Master_Log_Pos'],
  retrievedGtid: ['Retrieved_Gtid_Set', 'Gtid_IO_Pos'],
  executedGtid: ['Executed_Gtid_Set'],
  sqlState: ['Replica_SQL_Running_State', 'Slave_SQL_Running_State'],
} as const satisfies Record<keyof ReplicationChannel, readonly string[]>;

type Field = keyof typeof COLUMNS;

/** Maps SHOW SLAVE STATUS / SHOW REPLICA STATUS / SHOW ALL SLAVES STATUS rows to channels. */
export function parseReplicaStatus(rows: readonly Row[]): ReplicationChannel[] {
  return rows.map(parseRow);
}

function parseRow(row: Row): ReplicationChannel {
  const byName = new Map(Object.entries(row).map(([name, value]) => [name.toLowerCase(), value]));
  const has = (field: Field) => COLUMNS[field].some((name) => byName.has(name.toLowerCase()));
  const raw = (field: Field): unknown => {
    for (const name of COLUMNS[field]) {
      const value = byName.get(name.toLowerCase());
      if (value !== undefined) return value;
    }
    return undefined;
  };
  if (!has('ioRunning') && !has('sqlRunning')) throw new UnrecognisedStatusError(Object.keys(row));

  const str = (field: Field) => nonEmpty(text(raw(field)));
  const num = (field: Field) => integer(raw(field));
  return {
    channel: text(raw('channel')) ?? '',
    sourceHost: str('sourceHost'),
    sourcePort: num('sourcePort'),
    sourceServerId: num('sourceServerId'),
    sourceUuid: str('sourceUuid'),
    ioRunning: ioState(text(raw('ioRunning'))),
    sqlRunning: text(raw('sqlRunning'))?.trim().toLowerCase() === 'yes',
    lastIoErrno: num('lastIoErrno') ?? 0,
    lastIoError: text(raw('lastIoError')) ?? '',
    lastSqlErrno: num('lastSqlErrno') ?? 0,
    lastSqlError: text(raw('lastSqlError')) ?? '',
    // NULL means "unknown" (a thread is down), never "caught up".
    secondsBehind: num('secondsBehind'),
    sqlDelay: num('sqlDelay') ?? 0,
    sqlRemainingDelay: num('sqlRemainingDelay'),
    sourceLogFile: str('sourceLogFile'),
    readSourceLogPos: num('readSourceLogPos'),
    relaySourceLogFile: str('relaySourceLogFile'),
    execSourceLogPos: num('execSourceLogPos'),
    // MariaDB keeps showing its last GTID position after CHANGE MASTER TO MASTER_USE_GTID=no
    // (measured on 10.11.19): stale, and waiting for it would not wait for the relay log.
    retrievedGtid: text(byName.get('using_gtid'))?.trim().toLowerCase() === 'no' ? null : str('retrievedGtid'),
    executedGtid: str('executedGtid'),
    sqlState: str('sqlState'),
  };
}

function ioState(value: string | null): IoThreadState {
  const v = value?.trim().toLowerCase();
  return v === 'yes' || v === 'connecting' ? v : 'no';
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  // mysql2 hands binary-flagged columns over as Buffers.
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return null;
}

function nonEmpty(value: string | null): string | null {
  return value === null || value.trim() === '' ? null : value;
}

/** Numbers as mysql2 gives them: number, or a decimal string when big-number options are on. */
function integer(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  const s = text(value)?.trim();
  return s !== undefined && /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : null;
}
