import type { CheckReport } from '../types/facts.js';
import { render } from '../types/finding.js';
import { channelLag } from '../verdict/lag.js';

/** Nagios plugin states (monitoring-plugins' convention). */
export const NAGIOS = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;

/** "MYSQL OK - ... | perfdata", with lag per channel and the check time as perfdata. */
export function formatNagios(report: CheckReport, maxLagSeconds: number): { line: string; exitCode: number } {
  const { verdict, facts } = report;
  const state = !verdict.healthy ? 'CRITICAL' : verdict.warnings.length > 0 ? 'WARNING' : 'OK';
  const findings = [...verdict.reasons, ...verdict.warnings].map(render);
  const summary = findings.length > 0 ? findings.join('; ') : verdict.checks.map((c) => c.detail).join('; ');
  const perf: string[] = [];
  const beats = facts.heartbeat?.ok ? facts.heartbeat.value : [];
  for (const c of facts.replication?.ok ? facts.replication.value : []) {
    const label = c.channel === '' ? 'lag' : `lag_${c.channel.replace(/[^A-Za-z0-9_]/g, '_')}`;
    // The lag the verdict judged: with --heartbeat-table, the larger of the row's age and Seconds_Behind.
    const lag = channelLag(c, beats.find((r) => r.serverId === c.sourceServerId)?.ageSeconds ?? undefined)?.seconds ?? null;
    // Nagios perfdata uses "U" for an unknown value: a NULL lag must not graph as 0.
    perf.push(`'${label}'=${lag === null ? 'U' : `${lag}s`};;${maxLagSeconds}`);
  }
  perf.push(`'time'=${(report.elapsedMs / 1000).toFixed(4)}s;;;0`);
  return { line: `MYSQL ${state} - ${verdict.role} ${facts.target}: ${summary} | ${perf.join(' ')}`, exitCode: NAGIOS[state] };
}
