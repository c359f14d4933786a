import { classifyDriverError } from '../db/failure.js';
import type { ProbeResult } from '../types/facts.js';
import type { Row } from '../types/row.js';
import type { Session } from '../types/session.js';
import type { Deadline } from '../types/deadline.js';
import type { ProbePlan } from './probe.js';

/** ER_PARSE_ERROR: the server does not know the statement, so an older dialect's is tried. */
const ER_PARSE_ERROR = 1064;

/** The plan's statements one at a time; on a syntax error, its older dialect's instead. */
export async function send(session: Session, plan: ProbePlan, deadline: Deadline): Promise<Row[][]> {
  try {
    const results: Row[][] = [];
    for (const sql of plan.statements) results.push(await session.query(sql, deadline));
    return results;
  } catch (err) {
    if (!plan.onSyntaxError || classifyDriverError(err, 'query').errno !== ER_PARSE_ERROR) throw err;
    return send(session, plan.onSyntaxError, deadline);
  }
}

/** Times `work` and turns anything it throws into a typed failure. */
export async function observe<T>(now: () => number, work: () => Promise<T>): Promise<ProbeResult<T>> {
  const started = now();
  try {
    const value = await work();
    return { ok: true, value, elapsedMs: now() - started };
  } catch (err) {
    return { ok: false, error: classifyDriverError(err, 'query'), elapsedMs: now() - started };
  }
}
