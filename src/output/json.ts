import type { CheckReport } from '../types/facts.js';
import { reportJson, tenths } from './report-json.js';

/** The --json document: stable keys for scripts, one object per run. */
export function toJsonReport(report: CheckReport): Record<string, unknown> {
  const { verdict, facts } = report;
  const r = reportJson(report);
  return {
    healthy: verdict.healthy,
    role: r.role,
    target: facts.target,
    reasons: r.reasons,
    warnings: r.warnings,
    checks: r.checks,
    server: r.server,
    replication: r.replication,
    vip: facts.vip ?? null,
    elapsedMs: tenths(report.elapsedMs),
    probes: r.probes,
    heartbeat: r.heartbeat,
  };
}

export const formatJson = (report: CheckReport): string => JSON.stringify(toJsonReport(report));
