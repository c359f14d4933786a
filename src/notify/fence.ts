/**
 * Demotion that a stalled write cannot hold up. SET GLOBAL read_only = ON waits for every write
 * in flight (writes-in-flight.ts), and a write can hang for a day: a commit on a full disk is
 * retried every 60 s, lock_wait_timeout defaults to a day. So the SET is bounded on the server,
 * and when the bound is hit, the client writes that hold it up are ended and the SET is tried
 * again. The bound also ends our wait for the global read lock the SET takes first, which
 * holds every new write back while it waits: writes queue, nothing commits meanwhile.
 */
import { classifyDriverError } from '../db/failure.js';
import { deadlineAfter } from '../deadline.js';
import type { Deadline } from '../types/deadline.js';
import type { Flavor } from '../types/server.js';
import type { Session } from '../types/session.js';
import { WRITES_SQL, describeWrite, writesInFlight, type WriteInFlight } from './writes-in-flight.js';

/** The server gave up on our SET at its bound: MariaDB max_statement_time (1969), lock_wait_timeout (1205). */
const BOUND_HIT = new Set([1205, 1969]);
/** 1094 unknown thread: it ended by itself meanwhile. */
const GONE = 1094;
/** One try gets a fifth of the notify deadline (1 s of the default 5 s), at most 1 s: a commit takes milliseconds. */
const SLICE_SHARE = 0.2;
const MAX_SLICE_MS = 1000;
/** Kept back for what follows the SET (reading read_only back, --kill-connections). */
const RESERVE_SHARE = 0.1;
/** SET, end the writes (KILL QUERY), SET, end what is left (KILL CONNECTION), SET. */
const MAX_TRIES = 3;

export interface FenceResult {
  readonly ok: boolean;
  /** The writes ended to get read_only set, in order. */
  readonly ended: readonly WriteInFlight[];
  /** Why read_only could not be set, when !ok. */
  readonly problem?: string;
}

/**
 * The SET with a bound the server enforces: MariaDB's max_statement_time (measured: it ends a
 * waiting SET GLOBAL read_only with 1969 on time; fractions of a second work). MySQL has no
 * such bound for SET, only lock_wait_timeout in whole seconds (per lock: the SET takes two).
 */
export function boundedSql(sql: string, flavor: Flavor, boundMs: number): string[] {
  if (flavor === 'mariadb') return [`SET STATEMENT max_statement_time=${(boundMs / 1000).toFixed(3)} FOR ${sql}`];
  return [`SET SESSION lock_wait_timeout = ${Math.max(1, Math.ceil(boundMs / 1000))}`, sql];
}

/** The shortest bound worth a try: MySQL's lock_wait_timeout cannot go below 1 s. */
const minBoundMs = (flavor: Flavor): number => (flavor === 'mariadb' ? 100 : 1000);

export async function setReadOnlyFenced(session: Session, sql: string, flavor: Flavor, keepUsers: ReadonlySet<string>, budget: Deadline, now: () => number): Promise<FenceResult> {
  const started = now();
  const sliceMs = Math.min(MAX_SLICE_MS, budget.totalMs * SLICE_SHARE);
  const reserveMs = budget.totalMs * RESERVE_SHARE;
  // Our own deadline outlasts the server's bound: if ours ran out, the connection would be torn down.
  const within = (ms: number) => deadlineAfter(Math.max(0, Math.min(ms, budget.remainingMs())), now);
  const ended: WriteInFlight[] = [];
  const queryKilled = new Set<number>();

  for (let tries = 1; ; tries++) {
    // In tenths of a second: a log line that reads max_statement_time=0.300, not 0.287.
    const boundMs = Math.floor(Math.min(sliceMs, budget.remainingMs() - reserveMs) / 100) * 100;
    if (boundMs < minBoundMs(flavor)) return { ok: false, ended, problem: `no time left in the ${budget.totalMs} ms deadline for another try` };
    try {
      for (const statement of boundedSql(sql, flavor, boundMs)) await session.query(statement, within(boundMs * 2 + 1000));
      return { ok: true, ended };
    } catch (err) {
      const errno = classifyDriverError(err, 'query').errno;
      if (errno === undefined || !BOUND_HIT.has(errno)) throw err;
    }
    const { end, spared } = writesInFlight(await session.query(WRITES_SQL, within(budget.remainingMs())), keepUsers);
    const waited = `${sql} still waited after ${tries} ${tries === 1 ? 'try' : 'tries'} (${Math.round(now() - started)} ms)`;
    if (tries === MAX_TRIES || end.length === 0) {
      const holding = [...end, ...spared].map(describeWrite).join(', ');
      return { ok: false, ended, problem: `${waited}, held up by ${holding || 'no client write that can be ended (DDL, or a write the server does not show)'}` };
    }
    ended.push(...(await endWrites(session, end, queryKilled, within(budget.remainingMs()))));
  }
}

/** KILL each write; one that outlived KILL QUERY goes with its connection. Returns those ended by us. */
async function endWrites(session: Session, writes: readonly WriteInFlight[], queryKilled: Set<number>, deadline: Deadline): Promise<WriteInFlight[]> {
  const ended: WriteInFlight[] = [];
  for (const w of writes) {
    const kill = queryKilled.has(w.id) ? 'CONNECTION' : w.kill;
    try {
      await session.query(`KILL ${kill} ${w.id}`, deadline);
    } catch (err) {
      if (classifyDriverError(err, 'query').errno === GONE) continue;
      throw err;
    }
    if (kill === 'QUERY') queryKilled.add(w.id);
    ended.push({ ...w, kill });
  }
  return ended;
}
