import { classifyDriverError } from '../db/failure.js';
import type { Policy } from '../types/config.js';
import type { Found, Observations, ProbeResult, ProbeResults } from '../types/facts.js';
import type { Row } from '../types/row.js';
import type { Probe, ProbeContext, ProbePlan } from './probe.js';
import { PROBES } from './registry.js';

/** ER_PARSE_ERROR: the server does not know the statement, so an older dialect's is tried. */
const ER_PARSE_ERROR = 1064;

/** Answers that some probes already have (the daemon's one round trip); undefined: send the plan now. */
export type Prefetched = <K extends keyof Observations>(probe: Probe<K>, plan: ProbePlan, found: Found) => ProbeResult<Observations[K]> | undefined;

type MutableResults = { -readonly [K in keyof Observations]?: ProbeResult<Observations[K]> };

/**
 * Runs the registry's probes in order under the check's one deadline. Never throws: a probe's
 * failure is its result, and a probe that needed what it would have found is not applicable.
 */
export async function runProbes(ctx: ProbeContext, policy: Policy, prefetched?: Prefetched): Promise<ProbeResults> {
  const found: Found = {};
  const results: MutableResults = {};
  for (const probe of PROBES) await step(probe, ctx, policy, found, results, prefetched);
  return results;
}

async function step<K extends keyof Observations>(
  probe: Probe<K>,
  ctx: ProbeContext,
  policy: Policy,
  found: Found,
  results: MutableResults,
  prefetched: Prefetched | undefined,
): Promise<void> {
  const plan = probe.plan(found, policy);
  if (!plan) return;
  const result = prefetched?.(probe, plan, found) ?? (await observe(ctx.now, async () => probe.parse(await send(ctx, plan), found)));
  // TypeScript cannot check a write through a generic key into a mapped type of unions; this is that write.
  (results as Record<K, ProbeResult<Observations[K]>>)[probe.fact] = result;
  if (result.ok) found[probe.fact] = result.value;
}

/** One probe, now, for callers that act on the answer (notify): its failure is thrown. */
export async function readProbe<K extends keyof Observations>(probe: Probe<K>, ctx: ProbeContext, policy: Policy, found: Found): Promise<Observations[K]> {
  const plan = probe.plan(found, policy);
  if (!plan) throw new Error(`the ${probe.name} probe does not apply here`);
  return probe.parse(await send(ctx, plan), found);
}

/** The plan's statements one at a time; on a syntax error, its older dialect's instead. */
async function send(ctx: ProbeContext, plan: ProbePlan): Promise<Row[][]> {
  try {
    const results: Row[][] = [];
    for (const sql of plan.statements) results.push(await ctx.session.query(sql, ctx.deadline));
    return results;
  } catch (err) {
    if (!plan.onSyntaxError || classifyDriverError(err, 'query').errno !== ER_PARSE_ERROR) throw err;
    return send(ctx, plan.onSyntaxError);
  }
}

/** Times `work` and turns anything it throws into a typed failure. */
async function observe<T>(now: () => number, work: () => Promise<T>): Promise<ProbeResult<T>> {
  const started = now();
  try {
    const value = await work();
    return { ok: true, value, elapsedMs: now() - started };
  } catch (err) {
    return { ok: false, error: classifyDriverError(err, 'query'), elapsedMs: now() - started };
  }
}
