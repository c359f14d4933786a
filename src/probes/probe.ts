import type { Session } from '../db/session.js';
import type { Deadline } from '../deadline.js';
import { DbFailure, classifyDriverError } from '../db/failure.js';

/** What a probe found, or why it could not find it. Probes never throw. */
export type ProbeResult<T> =
  | { readonly ok: true; readonly value: T; readonly elapsedMs: number }
  | { readonly ok: false; readonly error: DbFailure; readonly elapsedMs: number };

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
