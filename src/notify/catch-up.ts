import type { ReplicationChannel } from '../types/replication.js';
import { MYSQL_SOURCE_POS_WAIT, atLeast } from '../dialect/version.js';
import type { Flavor } from '../types/server.js';

/**
 * How to wait until the SQL thread has applied everything the IO thread received, per channel:
 * by GTID where the server keeps it, by source log position otherwise. Pure: it only writes SQL.
 *  - MariaDB: MASTER_GTID_WAIT(Gtid_IO_Pos, t) -> 0 done, -1 timed out.
 *  - MySQL:   WAIT_FOR_EXECUTED_GTID_SET(Retrieved_Gtid_Set, t) -> 0 done, 1 timed out.
 *  - by position: SOURCE_POS_WAIT (MySQL 8.0.26+) / MASTER_POS_WAIT(file, pos, t[, channel])
 *             -> events waited for (>= 0) done, -1 timed out, NULL when the SQL thread is not running.
 */
export interface CatchUpWait {
  readonly channel: string;
  /** What is waited for, for the log line. */
  readonly target: string;
  /** The statement, with how long the server itself may wait (whole seconds, see serverWaitSeconds). */
  readonly sql: (timeoutS: number) => string;
  /** Reads the single value the statement returns. */
  readonly outcome: (value: unknown) => 'caught-up' | 'timed-out' | 'sql-thread-stopped';
}

/** Positions, GTID sets and file names only ever contain these; anything else is not quoted but refused. */
const SAFE = /^[A-Za-z0-9_.:,\-\s]*$/;

function quote(value: string): string {
  if (!SAFE.test(value)) throw new Error(`refusing to put ${JSON.stringify(value)} into SQL`);
  return `'${value.replace(/\s+/g, '')}'`;
}

/** Per flavour: where the received GTIDs are shown, and the function that waits for them (0 = applied). */
const GTID_WAIT: Record<Flavor, { column: string; fn: string }> = {
  mariadb: { column: 'Gtid_IO_Pos', fn: 'MASTER_GTID_WAIT' },
  mysql: { column: 'Retrieved_Gtid_Set', fn: 'WAIT_FOR_EXECUTED_GTID_SET' },
};

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Whole seconds, at least 1: to MASTER_POS_WAIT / SOURCE_POS_WAIT "a zero or negative timeout means
 * no timeout" (MariaDB KB master_pos_wait; MariaDB 10.11.19 measured still waiting after 3 s), and
 * WAIT_FOR_EXECUTED_GTID_SET with 0 "always waits" (MySQL 8.4 manual, gtid-functions), so
 * --catchup-timeout 0 must not reach the server as 0.
 */
export const serverWaitSeconds = (timeoutSeconds: number): number => Math.max(1, Math.ceil(timeoutSeconds));

/**
 * Waits until the server has applied `gtids` (MariaDB: a gtid_binlog_pos-style position; MySQL:
 * a GTID set): what notify waits for per channel, and what a switchover's peer waits for (the
 * old writer's final position). Quoted (or refused) here, before any wait runs.
 */
export function gtidWait(flavor: Flavor, gtids: string, channel = '', what = ''): CatchUpWait {
  const { fn } = GTID_WAIT[flavor];
  const quoted = quote(gtids);
  return {
    channel,
    target: `${what}${gtids}`,
    sql: (t) => `SELECT ${fn}(${quoted}, ${t}) AS waited`,
    outcome: (v) => (num(v) === 0 ? 'caught-up' : 'timed-out'),
  };
}

/** One wait per channel that has received anything. Values are quoted (or refused) here, before any wait runs. */
export function catchUpWaits(flavor: Flavor, version: string, channels: readonly ReplicationChannel[]): CatchUpWait[] {
  const waits: CatchUpWait[] = [];
  for (const c of channels) {
    if (c.retrievedGtid) {
      waits.push(gtidWait(flavor, c.retrievedGtid, c.channel, `${GTID_WAIT[flavor].column} `));
      continue;
    }
    if (!c.sourceLogFile || c.readSourceLogPos === null) continue; // never received anything
    const fn = flavor === 'mysql' && atLeast(version, MYSQL_SOURCE_POS_WAIT) ? 'SOURCE_POS_WAIT' : 'MASTER_POS_WAIT';
    const channelArg = c.channel === '' ? '' : `, ${quote(c.channel)}`;
    const file = quote(c.sourceLogFile);
    const pos = c.readSourceLogPos;
    waits.push({
      channel: c.channel,
      target: `${c.sourceLogFile}:${pos}`,
      sql: (t) => `SELECT ${fn}(${file}, ${pos}, ${t}${channelArg}) AS waited`,
      outcome: (v) => {
        const n = num(v);
        return n === null ? 'sql-thread-stopped' : n >= 0 ? 'caught-up' : 'timed-out';
      },
    });
  }
  return waits;
}
