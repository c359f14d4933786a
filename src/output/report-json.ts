import type { CheckLine, CheckReport } from '../types/facts.js';
import { render } from '../types/finding.js';
import type { ReplicationChannel } from '../types/replication.js';
import type { ServerInfo } from '../types/server.js';
import type { HeartbeatRow } from '../types/heartbeat.js';
import { probeRuns } from '../probes/registry.js';

/** What one check found, as every JSON document of ours shows it (--json and the status file). */
export interface ReportJson {
  readonly role: CheckReport['verdict']['role'];
  readonly reasons: readonly string[];
  readonly warnings: readonly string[];
  readonly checks: readonly CheckLine[];
  readonly server: ServerInfo | null;
  readonly replication: readonly ReplicationChannel[] | null;
  /** A standby's sources' heartbeat rows, aged by its clock (--heartbeat-table); null when none were read. */
  readonly heartbeat: readonly HeartbeatRow[] | null;
  /** Each probe that ran, in the order they ran; a probe that was not reached is not listed. */
  readonly probes: readonly ProbeJson[];
}

export interface ProbeJson {
  readonly name: string;
  readonly ok: boolean;
  readonly elapsedMs: number;
  readonly error?: string;
}

export const tenths = (ms: number): number => Math.round(ms * 10) / 10;

/** The verdict, server and replication parts of a report; the caller places them among its own keys. */
export function reportJson(report: CheckReport): ReportJson {
  const { verdict, facts } = report;
  const s = facts.server?.ok ? facts.server.value : undefined;
  return {
    role: verdict.role,
    reasons: verdict.reasons.map(render),
    warnings: verdict.warnings.map(render),
    checks: verdict.checks,
    // Key by key, so the documents keep their shape whatever else ServerInfo comes to hold.
    server: s
      ? { version: s.version, versionComment: s.versionComment, innodbVersion: s.innodbVersion, flavor: s.flavor, serverId: s.serverId, readOnly: s.readOnly, superReadOnly: s.superReadOnly, ...(s.cut && { cut: s.cut }) }
      : null,
    replication: facts.replication?.ok ? facts.replication.value : null,
    heartbeat: facts.heartbeat?.ok ? facts.heartbeat.value : null,
    probes: probeRuns(facts).map(({ name, result }) => ({
      name,
      ok: result.ok,
      elapsedMs: tenths(result.elapsedMs),
      ...(!result.ok && { error: `${result.error.failure}: ${result.error.message}` }),
    })),
  };
}
