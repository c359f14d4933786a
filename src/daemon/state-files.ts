import type { TargetConfig } from './daemon-config.js';
import type { TargetState } from '../types/target-state.js';
import { reportJson, type ReportJson } from '../output/report-json.js';
import { peerStatus } from './peer-status.js';

/**
 * keepalived reads a track file with strtol(buf, NULL, 0): plain decimal, no leading zero
 * (octal), and with weight 0 any non-zero value means FAULT.
 */
export const TRACK_HEALTHY = '0\n';
export const TRACK_FAULT = '1\n';

export const trackFileContent = (healthy: boolean): string => (healthy ? TRACK_HEALTHY : TRACK_FAULT);

const NOT_CHECKED: ReportJson = { role: 'unknown', reasons: ['not checked yet'], warnings: [], checks: [], server: null, replication: null, heartbeat: null, probes: [] };

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/**
 * The status file: rewritten after every check, so its age is the daemon's heartbeat. `pid` is
 * the first key on purpose: bin/check-mysql-fresh (sh, no JSON parser) reads it from the start.
 */
export function statusDocument(target: TargetConfig, state: TargetState, pid: number, phase?: 'starting' | 'stopped' | 'removed'): string {
  const report = state.lastReport;
  const r = report ? reportJson(report) : NOT_CHECKED;
  return `${JSON.stringify({
    pid,
    target: target.name,
    healthy: state.healthy,
    state: phase ?? (state.healthy ? 'healthy' : 'fault'),
    role: r.role,
    reasons: r.reasons,
    warnings: r.warnings,
    checks: r.checks,
    lastCheck: iso(state.lastCheckAt),
    lastCheckHealthy: report?.verdict.healthy ?? null,
    lastSuccess: iso(state.lastSuccessAt),
    lastChange: iso(state.lastChangeAt),
    consecutiveOk: state.consecutiveOk,
    consecutiveFail: state.consecutiveFail,
    rise: target.rise,
    fall: target.fall,
    interval: target.intervalMs / 1000,
    server: r.server,
    replication: r.replication,
    probes: r.probes,
    heartbeat: r.heartbeat,
    ...peerStatus(target, report),
  })}\n`;
}
