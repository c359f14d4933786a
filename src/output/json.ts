import type { CheckReport } from '../types/facts.js';
import { render } from '../types/finding.js';
import { probeRuns } from '../probes/registry.js';

const tenths = (ms: number): number => Math.round(ms * 10) / 10;

/** The --json document: stable keys for scripts, one object per run. */
export function toJsonReport(report: CheckReport): Record<string, unknown> {
  const { verdict, facts } = report;
  const server = facts.server?.ok ? facts.server.value : undefined;
  return {
    healthy: verdict.healthy,
    role: verdict.role,
    target: facts.target,
    reasons: verdict.reasons.map(render),
    warnings: verdict.warnings.map(render),
    checks: verdict.checks,
    server: server
      ? { version: server.version, versionComment: server.versionComment, innodbVersion: server.innodbVersion, flavor: server.flavor, serverId: server.serverId, readOnly: server.readOnly, superReadOnly: server.superReadOnly }
      : null,
    replication: facts.replication?.ok ? facts.replication.value : null,
    vip: facts.vip ?? null,
    elapsedMs: tenths(report.elapsedMs),
    // Each probe that ran, in the order they ran; a probe that was not reached is not listed.
    probes: probeRuns(facts).map(({ name, result }) => ({
      name,
      ok: result.ok,
      elapsedMs: tenths(result.elapsedMs),
      ...(!result.ok && { error: `${result.error.failure}: ${result.error.message}` }),
    })),
  };
}

export const formatJson = (report: CheckReport): string => JSON.stringify(toJsonReport(report));
