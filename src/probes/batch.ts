/**
 * The daemon's one round trip per check. The batch is assembled from the registry: each probe's
 * statements, planned from what the last check on this session found, in table order; each probe
 * then reads its own slice of the answer, by position. A probe whose statements change stays in
 * the batch, with no list of statements to keep in step.
 */
import { classifyDriverError } from '../db/failure.js';
import type { Policy } from '../types/config.js';
import type { Found, Observations, ProbeResult, ProbeResults } from '../types/facts.js';
import { OversizedAnswer, type DbFailure } from '../types/failure.js';
import type { Row } from '../types/row.js';
import type { Probe, ProbeContext } from './probe.js';
import { PROBES } from './registry.js';
import type { Prefetched } from './run-probes.js';

interface Slice {
  readonly statements: readonly string[];
  /** This probe's result sets, or the failure of the whole round trip. */
  readonly answer: readonly (readonly Row[])[] | DbFailure;
}

/**
 * Sends every applicable probe's statements in one round trip. Undefined when fewer than two
 * probes apply (nothing to save, and a probe's own failure must not read as the batch's);
 * 'rejected' when the server refused the batch for a reason other than the deadline or a lost
 * connection (a grant or a statement it lacks), so the caller goes back to one by one.
 */
export async function fetchBatch(ctx: ProbeContext, policy: Policy, known: Found): Promise<Prefetched | 'rejected' | undefined> {
  const planned = PROBES.flatMap((probe) => {
    // A write never rides with the reads: if it failed, so would the round trip.
    if (probe.writes) return [];
    const plan = probe.plan(known, policy);
    return plan ? [{ probe, statements: plan.statements }] : [];
  });
  if (planned.length < 2) return undefined;
  const started = ctx.now();
  let outcome: Row[][] | DbFailure;
  try {
    outcome = await ctx.session.queryBatch(planned.flatMap((p) => p.statements), ctx.deadline);
  } catch (err) {
    outcome = classifyDriverError(err, 'query');
  }
  if (!Array.isArray(outcome) && outcome.failure !== 'timeout' && ctx.session.usable) return 'rejected';
  const elapsedMs = ctx.now() - started;
  const slices = new Map<Probe, Slice>();
  let at = 0;
  for (const { probe, statements } of planned) {
    slices.set(probe, { statements, answer: answerOf(outcome, at, (at += statements.length)) });
  }
  return (probe, plan, found) => {
    const slice = slices.get(probe);
    // Planned from the last check's findings: if this check's change what the probe would send
    // (its role changed, say), the batched answer is not this check's, and the probe goes alone.
    if (!slice || !sameStatements(slice.statements, plan.statements)) return undefined;
    return fromSlice(probe, slice, found, elapsedMs);
  };
}

/** Each probe in the round trip is given the whole round trip's time: it cannot be split. */
function fromSlice<K extends keyof Observations>(probe: Probe<K>, slice: Slice, found: Found, elapsedMs: number): ProbeResult<Observations[K]> {
  try {
    const { answer } = slice;
    if (!Array.isArray(answer)) throw answer;
    if (answer.length !== slice.statements.length || !answer.every(Array.isArray)) throw new Error(`no result set for the ${probe.name} probe in the batch`);
    return { ok: true, value: probe.parse(answer, found), elapsedMs };
  } catch (err) {
    return { ok: false, error: classifyDriverError(err, 'query'), elapsedMs };
  }
}

/** Result sets `from` to `to` of the round trip; an answer cut short past a cap still has those read before the cut. */
function answerOf(outcome: Row[][] | DbFailure, from: number, to: number): readonly (readonly Row[])[] | DbFailure {
  if (Array.isArray(outcome)) return outcome.slice(from, to);
  return outcome instanceof OversizedAnswer && to <= outcome.completed.length ? outcome.completed.slice(from, to) : outcome;
}

const sameStatements = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((sql, i) => sql === b[i]);

/** What a check found (and whether it held the VIP), for planning the next check's batch on the same session. */
export function knownFrom(results: ProbeResults & Pick<Found, 'vip'>): Found {
  const found: Found = results.vip ? { vip: results.vip } : {};
  for (const probe of PROBES) keep(probe, results, found);
  return found;
}

function keep<K extends keyof Observations>(probe: Probe<K>, results: ProbeResults, found: Found): void {
  const result = results[probe.fact];
  if (result?.ok) found[probe.fact] = result.value;
}
