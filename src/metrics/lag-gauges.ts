/**
 * Each channel's lag as the verdict weighs it, one series per source of the figure: the
 * heartbeat's age and Seconds_Behind_*, each beyond a configured SQL_Delay. A standby's verdict
 * uses the larger. mysqld_exporter's own series (mysql_slave_status_seconds_behind_master,
 * mysql_heartbeat_*) stay as they are; this one says which figure saw the lag, so an alert can
 * catch the silent partition that keeps Seconds_Behind at 0.
 */
import type { Facts } from '../types/facts.js';
import { heartbeatLag, lagBeyondDelay, type LagSource } from '../verdict/lag.js';
import type { GaugeSample, GaugeSpec } from './gauge-sample.js';
import { channelLabels } from './mysqld-exporter-gauges.js';

export const LAG_GAUGES: readonly GaugeSpec[] = [
  {
    name: 'check_mysql_replication_lag_seconds',
    help: 'Replication lag beyond SQL_Delay, by where the figure comes from: source="heartbeat" (age of the source\'s heartbeat row, standby with --heartbeat-table) or "seconds_behind" (Seconds_Behind_*); absent when unknown, never 0.',
    labelNames: ['channel_name', 'connection_name', 'source'],
  },
];

export function lagSamples(facts: Facts): GaugeSample[] {
  const server = facts.server?.ok ? facts.server.value : undefined;
  if (!server || !facts.replication?.ok) return [];
  const rows = facts.heartbeat?.ok ? facts.heartbeat.value : [];
  return facts.replication.value.flatMap((c) => {
    const names = channelLabels(server.flavor, c.channel);
    const sample = (source: LagSource, value: number | null): GaugeSample[] => (value === null ? [] : [{ name: 'check_mysql_replication_lag_seconds', labels: { ...names, source }, value }]);
    const age = rows.find((r) => r.serverId === c.sourceServerId)?.ageSeconds ?? null;
    return [...sample('heartbeat', age === null ? null : heartbeatLag(c, age)), ...sample('seconds_behind', lagBeyondDelay(c))];
  });
}
