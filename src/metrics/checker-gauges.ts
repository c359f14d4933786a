/**
 * check-mysql's own view of a target: the verdict keepalived acts on, and enough around it
 * (raw result, role, freshness, VIP) to tell from a dashboard why the VIP is where it is.
 */
import type { TargetState } from '../types/target-state.js';
import { bit, type GaugeSample, type GaugeSpec } from './gauge-sample.js';

export const ROLES = ['writer', 'standby', 'unknown'] as const;

export const CHECKER_GAUGES: readonly GaugeSpec[] = [
  { name: 'check_mysql_healthy', help: 'Verdict after rise/fall hysteresis, as keepalived is told: 1 healthy, 0 not.', labelNames: [] },
  { name: 'check_mysql_last_check_healthy', help: 'Raw result of the last check, before hysteresis: 1 healthy, 0 not.', labelNames: [] },
  {
    name: 'check_mysql_last_check_reason',
    help: 'Reason codes of the last check\'s failure, one series per code with value 1; none when it passed.',
    labelNames: ['reason'],
  },
  { name: 'check_mysql_role', help: 'Role the last check judged the server in (one series per role, 1 for the current one).', labelNames: ['role'] },
  { name: 'check_mysql_last_check_timestamp_seconds', help: 'Unix time when the last check finished.', labelNames: [] },
  { name: 'check_mysql_last_success_timestamp_seconds', help: 'Unix time when the last healthy check finished; absent until one has.', labelNames: [] },
  { name: 'check_mysql_maintenance', help: "1 while the target's maintenance file exists (its track file then reads fault), else 0.", labelNames: [] },
  { name: 'check_mysql_vip_held', help: 'Whether the virtual IP was on a local interface at the last check (only for targets with a VIP).', labelNames: ['vip'] },
];

const seconds = (epochMs: number): number => epochMs / 1000;

export function checkerSamples(state: TargetState, vip: string | undefined): GaugeSample[] {
  const report = state.lastReport;
  const role = report?.verdict.role ?? 'unknown';
  const samples: GaugeSample[] = [
    { name: 'check_mysql_healthy', labels: {}, value: bit(state.healthy) },
    { name: 'check_mysql_maintenance', labels: {}, value: bit(state.maintenance !== undefined) },
    // All three roles are always present, so a role change is a value change, not a vanishing series.
    ...ROLES.map((r) => ({ name: 'check_mysql_role', labels: { role: r }, value: bit(r === role) })),
  ];
  if (report) {
    samples.push({ name: 'check_mysql_last_check_healthy', labels: {}, value: bit(report.verdict.healthy) });
    // So an alert can say why, and a dashboard can show it, without reading the logs.
    for (const code of new Set(report.verdict.reasons.map((r) => r.code))) samples.push({ name: 'check_mysql_last_check_reason', labels: { reason: code }, value: 1 });
  }
  if (state.lastCheckAt !== undefined) samples.push({ name: 'check_mysql_last_check_timestamp_seconds', labels: {}, value: seconds(state.lastCheckAt) });
  if (state.lastSuccessAt !== undefined) samples.push({ name: 'check_mysql_last_success_timestamp_seconds', labels: {}, value: seconds(state.lastSuccessAt) });
  const held = report?.facts.vip?.held;
  if (vip !== undefined && held !== undefined) samples.push({ name: 'check_mysql_vip_held', labels: { vip }, value: bit(held) });
  return samples;
}
