import { MAX_ANSWER_GTID_BYTES, MAX_CHANNELS, TEXT_LIMITS } from '../limits.js';
import { DbFailure } from '../types/failure.js';
import type { IoThreadState, ReplicationChannel } from '../types/replication.js';
import type { Row } from '../types/row.js';
import { keepText, TextBudget, type Kept } from './server-text.js';

/**
 * A row that has neither IO-running nor SQL-running column: whatever produced it,
 * it is not SHOW [ALL] SLAVES|REPLICA STATUS, and reading it as "stopped" would hide a dialect bug.
 */
export class UnrecognisedStatusError extends Error {
  override readonly name = 'UnrecognisedStatusError';

  constructor(readonly columns: readonly string[]) {
    const shown = columns
      .slice(0, 6)
      .map((c) => keepText(c, TEXT_LIMITS.name).text)
      .join(', ');
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
} as const satisfies Record<Exclude<keyof ReplicationChannel, 'cut'>, readonly string[]>;

type Field = keyof typeof COLUMNS;

/**
 * Maps SHOW SLAVE STATUS / SHOW REPLICA STATUS / SHOW ALL SLAVES STATUS rows to channels. More
 * channels than MAX_CHANNELS are refused (the driver stops reading there too): judging only some
 * would judge a server we have not seen. Text is cut to TEXT_LIMITS; GTID sets also to one budget for all rows.
 */
export function parseReplicaStatus(rows: readonly Row[]): ReplicationChannel[] {
  if (rows.length > MAX_CHANNELS) throw new DbFailure('too-many-rows', `${rows.length} replication channels, more than the ${MAX_CHANNELS} check-mysql reads`);
  const budget = new TextBudget(MAX_ANSWER_GTID_BYTES);
  return rows.map((row) => parseRow(row, budget));
}

/**
 * Which column holds each field, for each set of column names a server answered with: the daemon
 * reads the same ~60 columns every second, and finding them afresh was a tenth of its parsing.
 * A row's names are compared with the known sets one by one (the driver hands every row the same
 * name strings, so each compare is a pointer compare), never joined into a key to hash.
 * Bounded: a server that changed its columns at every check could only fill it so far.
 */
interface Layout {
  readonly names: readonly string[];
  /** The first of the field's candidate names the server sent, whatever its case. */
  readonly columns: Readonly<Partial<Record<Field, string>>>;
  readonly usingGtid: string | undefined;
}

const LAYOUTS: Layout[] = [];
const MAX_LAYOUTS = 16;

function layoutOf(names: readonly string[]): Layout {
  for (const layout of LAYOUTS) if (sameNames(layout.names, names)) return layout;
  const byLowerCase = new Map(names.map((name) => [name.toLowerCase(), name]));
  const columns: Partial<Record<Field, string>> = {};
  for (const field of Object.keys(COLUMNS) as Field[]) {
    const name = COLUMNS[field].map((candidate) => byLowerCase.get(candidate.toLowerCase())).find((n) => n !== undefined);
    if (name !== undefined) columns[field] = name;
  }
  // Ours to keep: each row's Object.keys is a fresh array.
  const layout = { names, columns, usingGtid: byLowerCase.get('using_gtid') };
  if (LAYOUTS.length >= MAX_LAYOUTS) LAYOUTS.length = 0;
  LAYOUTS.push(layout);
  return layout;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function parseRow(row: Row, budget: TextBudget): ReplicationChannel {
  const { columns, usingGtid } = layoutOf(Object.keys(row));
  const column = (field: Field) => {
    const name = columns[field];
    return name === undefined ? undefined : { name, value: row[name] };
  };
  if (!column('ioRunning') && !column('sqlRunning')) throw new UnrecognisedStatusError(Object.keys(row));

  const cut: string[] = [];
  /** The column's text within its limit; a cut is noted by column name. */
  const kept = (field: Field, limit: number, keep: (value: string, limit: number) => Kept = keepText): string | null => {
    const found = column(field);
    const value = text(found?.value);
    if (value === null) return null;
    const k = keep(value, limit);
    if (k.cutBytes > 0) cut.push(found!.name);
    return k.text;
  };
  const str = (field: Field, limit: number) => nonEmpty(kept(field, limit));
  // GTID sets, the only long text, also share the answer's budget: the short fields never run out.
  const gtid = (field: Field) => nonEmpty(kept(field, TEXT_LIMITS.gtid, (value, limit) => budget.keep(value, limit)));
  const raw = (field: Field): unknown => column(field)?.value;
  const num = (field: Field) => integer(raw(field));
  const channel = kept('channel', TEXT_LIMITS.name) ?? '';
  const sourceHost = str('sourceHost', TEXT_LIMITS.host);
  const sourceUuid = str('sourceUuid', TEXT_LIMITS.uuid);
  const lastIoError = kept('lastIoError', TEXT_LIMITS.error) ?? '';
  const lastSqlError = kept('lastSqlError', TEXT_LIMITS.error) ?? '';
  const sourceLogFile = str('sourceLogFile', TEXT_LIMITS.file);
  const relaySourceLogFile = str('relaySourceLogFile', TEXT_LIMITS.file);
  const sqlState = str('sqlState', TEXT_LIMITS.label);
  // MariaDB keeps showing its last GTID position after CHANGE MASTER TO MASTER_USE_GTID=no
  // (measured on 10.11.19): stale, and waiting for it would not wait for the relay log.
  const gtidUnused = text(usingGtid === undefined ? undefined : row[usingGtid])?.trim().toLowerCase() === 'no';
  const retrievedGtid = gtidUnused ? null : gtid('retrievedGtid');
  const executedGtid = gtid('executedGtid');
  return {
    channel,
    sourceHost,
    sourcePort: num('sourcePort'),
    sourceServerId: num('sourceServerId'),
    sourceUuid,
    ioRunning: ioState(text(raw('ioRunning'))),
    sqlRunning: text(raw('sqlRunning'))?.trim().toLowerCase() === 'yes',
    lastIoErrno: num('lastIoErrno') ?? 0,
    lastIoError,
    lastSqlErrno: num('lastSqlErrno') ?? 0,
    lastSqlError,
    // NULL means "unknown" (a thread is down), never "caught up".
    secondsBehind: num('secondsBehind'),
    sqlDelay: num('sqlDelay') ?? 0,
    sqlRemainingDelay: num('sqlRemainingDelay'),
    sourceLogFile,
    readSourceLogPos: num('readSourceLogPos'),
    relaySourceLogFile,
    execSourceLogPos: num('execSourceLogPos'),
    retrievedGtid,
    executedGtid,
    sqlState,
    ...(cut.length > 0 && { cut }),
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

/**
 * Numbers as mysql2 gives them: number, or a decimal string when big-number options are on. A
 * BIGINT UNSIGNED has at most 20 digits: a longer run of them is not a number a server keeps.
 */
function integer(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  const s = text(value)?.trim();
  return s !== undefined && /^-?\d{1,20}(\.\d{1,20})?$/.test(s) ? Number(s) : null;
}
