import type { Found, Observations, VipFact } from '../types/facts.js';
import type { Policy } from '../types/config.js';
import type { Row } from '../types/row.js';
import type { Session } from '../types/session.js';
import type { Deadline } from '../types/deadline.js';

/** What running probes needs: the session, the check's one deadline, and a monotonic clock. */
export interface ProbeContext {
  readonly session: Session;
  readonly deadline: Deadline;
  readonly now: () => number;
  /** Whether this node held --vip as the check began: the role, and so what is written, depends on it. */
  readonly vip?: VipFact;
  /** Reads what a stalled write waits for, and kills it, over a connection of its own. */
  readonly stall?: StallInspector;
  /** The daemon's memory of a write that may still be on the server (one in flight per target). */
  readonly ledger?: WriteLedger;
}

/** What a side connection saw of a stalled statement's thread. */
export interface StallSeen {
  /** The processlist STATE: what the server says the statement waits for ('' when it shows none). */
  readonly state?: string;
  /** The thread was no longer there (the statement ended meanwhile). */
  readonly gone?: true;
  /** KILL QUERY was accepted. */
  readonly killed?: true;
  /** Not killed: a commit waiting for a semi-sync ACK, left to the server's timeout (src/probes/write-runner.ts isAckWait). */
  readonly leftWaiting?: true;
  /** Killed although it waited for an ACK: this earlier thread waits out the semi-sync timeout. */
  readonly earlierAckWait?: number;
  /** Why the state could not be read or the kill failed. */
  readonly error?: string;
}

/** Given the stalled connection's thread id, within `deadline`. Never throws. */
export type StallInspector = (threadId: number | undefined, deadline: Deadline) => Promise<StallSeen>;

/** A write whose end we did not see: the thread that ran it, until a later check sees it gone. */
export interface WriteLedger {
  outstanding?: number;
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
  /**
   * It changes the server (src/probes/write-runner.ts): never in the daemon's batch of reads,
   * whose results its failure could lose; run after them, within the deadline minus a reserve
   * for reading what it waits for and killing it.
   */
  readonly writes?: true;
}

/** One statement, then each older dialect's in turn while the server says it cannot parse it. */
export function dialects(statements: readonly string[]): ProbePlan | undefined {
  const [first, ...older] = statements;
  return first === undefined ? undefined : { statements: [first], onSyntaxError: dialects(older) };
}
