import type { ProbeResult } from '../types/facts.js';
import type { Session } from '../types/session.js';
import type { Deadline } from '../types/deadline.js';
import { classifyDriverError } from '../db/failure.js';
import { DbFailure } from '../types/failure.js';

/** What every probe gets: the session, the check's one deadline, and a monotonic clock. */
export interface ProbeContext {
  readonly session: Session;
  readonly deadline: Deadline;
  readonly now: () => number;
}

/** One check per file, behind this interface (cf. mysqld_exporter's Scraper). */
export interface Probe<T, In = void> {
  readonly name: string;
  run(ctx: ProbeContext, input: In): Promise<ProbeResult<T>>;
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
