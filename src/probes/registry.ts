/**
 * The probe table (cf. mysqld_exporter's `scrapers`): every check runs these, in this order, the
 * one-shot one statement at a time and the daemon in one round trip. A new probe is one file and
 * one entry here, with its key in Observations (src/types/facts.ts); a probe runs only after the
 * ones whose findings it plans from.
 */
import type { ProbeResult, ProbeResults } from '../types/facts.js';
import type { Probe } from './probe.js';
import { heartbeat } from './heartbeat.js';
import { heartbeatWrite } from './heartbeat-write.js';
import { gtidState } from './gtid-state.js';
import { replication } from './replication.js';
import { serverVariables } from './server-variables.js';

/** The write comes last: a stalled or failed write never costs the reads. */
export const PROBES: readonly Probe[] = [serverVariables, replication, gtidState, heartbeat, heartbeatWrite];

export interface ProbeRun {
  readonly name: string;
  readonly result: ProbeResult<unknown>;
}

/** The probes that ran in a check, by name, in table order: for --json and the per-probe metrics. */
export function probeRuns(results: ProbeResults): ProbeRun[] {
  return PROBES.flatMap((probe) => {
    const result = results[probe.fact];
    return result ? [{ name: probe.name, result }] : [];
  });
}
