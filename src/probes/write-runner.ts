/**
 * Running a probe that writes. A write that does not commit is the finding, so the runner keeps
 * part of the check's deadline back: when our side stops waiting, a connection of its own reads
 * what the server says the statement waits for and kills it (src/probes/stall-inspector.ts),
 * and the verdict can say "Waiting for global read lock" rather than "timeout". With a ledger
 * (the daemon), a write whose end was not seen blocks the next one until a check sees its
 * thread gone: at most one write in flight per target, whatever the server does.
 */
import { classifyDriverError } from '../db/failure.js';
import { deadlineBefore } from '../deadline.js';
import { keepText } from '../dialect/server-text.js';
import { TEXT_LIMITS } from '../limits.js';
import type { ProbeResult } from '../types/facts.js';
import { DbFailure } from '../types/failure.js';
import type { Deadline } from '../types/deadline.js';
import type { Row } from '../types/row.js';
import type { Session } from '../types/session.js';
import type { ProbeContext, ProbePlan, StallSeen } from './probe.js';
import { send } from './send.js';

/**
 * What a stalled write leaves for its inspection: a quarter of the deadline, at least 100 ms
 * (a connection, two statements and a quit over a LAN) and at most 1 s, never more than half.
 */
export const stallReserveMs = (totalMs: number): number => Math.min(totalMs / 2, Math.min(1_000, Math.max(100, totalMs / 4)));

/** Left at the end for judging and quitting, so the verdict is not reached past the deadline. */
const JUDGING_MS = 5;

/** The server ended the statement at the bound we set: a stall all the same. */
const SERVER_BOUND: Readonly<Record<number, string>> = {
  1969: 'max_statement_time', // MariaDB ER_STATEMENT_TIMEOUT
  1205: 'lock_wait_timeout', // ER_LOCK_WAIT_TIMEOUT (innodb_lock_wait_timeout too)
  3024: 'max_execution_time', // MySQL ER_QUERY_TIMEOUT
};

export const processlistState = (threadId: number): string => `SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = ${threadId}`;
export const killQuery = (threadId: number): string => `KILL QUERY ${threadId}`;

/**
 * A commit waiting for a semi-sync replica's ACK (MySQL says "replica" from 8.0.26). It has
 * committed (AFTER_COMMIT, MariaDB's default) or will (AFTER_SYNC): a kill takes nothing back and
 * only ends the wait, and a wait ended so never reaches rpl_semi_sync_master_timeout, the
 * server's fallback to async (max_statement_time does not end it). Killed every check, it kept
 * MariaDB 10.11 semi-sync ON and the writer write-stalled for as long as the replica sent no ACK
 * and no application commit waited the timeout out (test/integration/detect-semi-sync.test.ts).
 * So one such write is left to the server: ours, unless an earlier thread already waits.
 */
export const isAckWait = (state: string): boolean => /^Waiting for semi-sync ACK from (slave|replica)$/.test(state);
/** An earlier thread (a lower id) waiting for an ACK: its timeout will come first. Without PROCESS a user sees only its own. */
export const earlierAckWait = (threadId: number): string =>
  `SELECT ID FROM information_schema.PROCESSLIST WHERE ID < ${threadId} AND STATE LIKE 'Waiting for semi-sync ACK from %' ORDER BY ID LIMIT 1`;

/** The processlist STATE of a row, bounded like all server text; '' when the server shows none. */
export const stateOf = (row: Row | undefined): string => keepText(typeof row?.STATE === 'string' ? row.STATE : '', TEXT_LIMITS.label).text;

export async function runWrite<T>(ctx: ProbeContext, plan: ProbePlan, parse: (results: Row[][]) => T): Promise<ProbeResult<T>> {
  const started = ctx.now();
  const writeDeadline = deadlineBefore(ctx.deadline, stallReserveMs(ctx.deadline.totalMs));
  const failed = (error: DbFailure): ProbeResult<T> => ({ ok: false, error, elapsedMs: ctx.now() - started });
  const { ledger, session } = ctx;
  try {
    if (ledger?.outstanding !== undefined) {
      const still = await previousWrite(session, ledger.outstanding, writeDeadline);
      if (still) return failed(still);
      delete ledger.outstanding;
    }
    if (ledger && session.threadId !== undefined) ledger.outstanding = session.threadId;
    const results = await send(session, plan, writeDeadline);
    if (ledger) delete ledger.outstanding;
    return { ok: true, value: parse(results), elapsedMs: ctx.now() - started };
  } catch (err) {
    const error = classifyDriverError(err, 'query');
    if (error.failure !== 'timeout') {
      // The server answered: the statement is over, whatever the answer.
      if (ledger) delete ledger.outstanding;
      const bound = error.errno !== undefined ? SERVER_BOUND[error.errno] : undefined;
      return failed(bound ? new DbFailure('timeout', `did not commit: the server ended it at the bound we set (${bound}): ${error.message}`, error.errno) : error);
    }
    const waitedMs = Math.round(ctx.now() - started);
    const seen = ctx.stall ? await ctx.stall(session.threadId, deadlineBefore(ctx.deadline, JUDGING_MS)) : undefined;
    return failed(new DbFailure('timeout', `did not commit within ${waitedMs} ms; ${whatItWaitsFor(seen)}`));
  }
}

/** A write an earlier check saw stall: still on the server? Then it is killed again, and no other is sent. */
async function previousWrite(session: Session, threadId: number, deadline: Deadline): Promise<DbFailure | undefined> {
  const [row] = await session.query(processlistState(threadId), deadline);
  if (!row) return undefined;
  const state = stateOf(row);
  if (isAckWait(state)) return new DbFailure('timeout', `was not sent: the previous one (thread ${threadId}) is still on the server, saying: ${state}; ${LEFT_TO_SEMI_SYNC}`);
  await session.query(killQuery(threadId), deadline).catch(() => undefined);
  return new DbFailure('timeout', `was not sent: the previous one (thread ${threadId}) is still on the server${state ? `, saying: ${state}` : ''}; killed again`);
}

const LEFT_TO_SEMI_SYNC = "left to the server's rpl_semi_sync_master_timeout (it has committed; a kill would keep the server from falling back to async)";

function whatItWaitsFor(seen: StallSeen | undefined): string {
  if (!seen) return 'what it waits for was not read';
  if (seen.gone) return 'it had ended when we looked';
  const earlier = seen.earlierAckWait !== undefined ? `, thread ${seen.earlierAckWait} waits out the semi-sync timeout` : '';
  const killed = seen.killed ? `; killed (KILL QUERY)${earlier}` : seen.leftWaiting ? `; ${LEFT_TO_SEMI_SYNC}` : seen.error ? `; not killed: ${seen.error}` : '';
  if (seen.state !== undefined) return `the server says: ${seen.state || '(no state)'}${killed}`;
  return `what it waits for could not be read: ${seen.error ?? 'no answer'}`;
}
