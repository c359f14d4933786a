import type { Policy } from '../types/config.js';
import type { Found, Observations, ProbeResult, ProbeResults } from '../types/facts.js';
import type { Probe, ProbeContext, ProbePlan } from './probe.js';
import { PROBES } from './registry.js';
import { observe, send } from './send.js';
import { runWrite } from './write-runner.js';

/** Answers that some probes already have (the daemon's one round trip); undefined: send the plan now. */
export type Prefetched = <K extends keyof Observations>(probe: Probe<K>, plan: ProbePlan, found: Found) => ProbeResult<Observations[K]> | undefined;

type MutableResults = { -readonly [K in keyof Observations]?: ProbeResult<Observations[K]> };

/**
 * Runs the registry's probes in order under the check's one deadline. Never throws: a probe's
 * failure is its result, and a probe that needed what it would have found is not applicable.
 */
export async function runProbes(ctx: ProbeContext, policy: Policy, prefetched?: Prefetched): Promise<ProbeResults> {
  const found: Found = ctx.vip ? { vip: ctx.vip } : {};
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
  const result =
    prefetched?.(probe, plan, found) ??
    (probe.writes ? await runWrite(ctx, plan, (results) => probe.parse(results, found)) : await observe(ctx.now, async () => probe.parse(await send(ctx.session, plan, ctx.deadline), found)));
  // TypeScript cannot check a write through a generic key into a mapped type of unions; this is that write.
  (results as Record<K, ProbeResult<Observations[K]>>)[probe.fact] = result;
  if (result.ok) found[probe.fact] = result.value;
}

/** One probe, now, for callers that act on the answer (notify): its failure is thrown. */
export async function readProbe<K extends keyof Observations>(probe: Probe<K>, ctx: ProbeContext, policy: Policy, found: Found): Promise<Observations[K]> {
  const plan = probe.plan(found, policy);
  if (!plan) throw new Error(`the ${probe.name} probe does not apply here`);
  return probe.parse(await send(ctx.session, plan, ctx.deadline), found);
}
