import type { Found, Observations } from '../types/facts.js';
import type { Policy } from '../types/config.js';
import type { Row } from '../types/row.js';
import type { Session } from '../types/session.js';
import type { Deadline } from '../types/deadline.js';

/** What running probes needs: the session, the check's one deadline, and a monotonic clock. */
export interface ProbeContext {
  readonly session: Session;
  readonly deadline: Deadline;
  readonly now: () => number;
}

/** What a probe sends: its statements in order, one result set each. */
export interface ProbePlan {
  readonly statements: readonly string[];
  /** Sent instead if the server rejects `statements` as a syntax error (1064): an older dialect. */
  readonly onSyntaxError?: ProbePlan;
}

/**
 * One check per file behind this interface (cf. mysqld_exporter's Scraper). A probe declares what
 * to send and how to read the answer, and never sends anything itself: so the one-shot (one
 * statement at a time) and the daemon (every probe's statements in one round trip) both send
 * exactly what the probes declare. src/probes/registry.ts lists them, in the order they run.
 */
export interface Probe<K extends keyof Observations = keyof Observations> {
  /** Stable: the `probe` label of the metrics and the name in --json. */
  readonly name: string;
  /** Where its result goes in Facts; later probes see it in `found`. */
  readonly fact: K;
  /** From what earlier probes of this check found, and the policy. Undefined: not applicable, nothing is sent. */
  plan(found: Found, policy: Policy): ProbePlan | undefined;
  /** Pure: one row set per statement of the plan that was sent. Throws on an answer it cannot read. */
  parse(results: readonly (readonly Row[])[], found: Found): Observations[K];
}

/** One statement, then each older dialect's in turn while the server says it cannot parse it. */
export function dialects(statements: readonly string[]): ProbePlan | undefined {
  const [first, ...older] = statements;
  return first === undefined ? undefined : { statements: [first], onSyntaxError: dialects(older) };
}
