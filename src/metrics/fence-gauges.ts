/**
 * Which replication channels the check reports as fenced (notify/peer-io.ts: a promotion stops
 * the IO thread of the replication from the old writer), one series per channel, labelled as
 * mysqld_exporter labels it. The public rule MysqlSlaveIoThreadNotRunning reads a stopped IO
 * thread as an outage; after every failover the writer's is stopped on purpose, so the shipped
 * rule leaves out the channels this says are fenced.
 */
import { isReadOnly } from '../dialect/read-only-state.js';
import type { CheckReport } from '../types/facts.js';
import { peerFenced } from '../verdict/channel-fitness.js';
import type { GaugeSample, GaugeSpec } from './gauge-sample.js';
import { channelLabels } from './mysqld-exporter-gauges.js';

export const FENCE_GAUGES: readonly GaugeSpec[] = [
  {
    name: 'check_mysql_replication_fenced',
    help: 'Whether the channel\'s IO thread is stopped as the notify handler\'s promotion leaves it (1: on the writer, or on a node still writable without the VIP), so nothing the old writer logs lands here; 0 otherwise.',
    labelNames: ['channel_name', 'connection_name'],
  },
];

export function fenceSamples(report: CheckReport): GaugeSample[] {
  const { facts, verdict } = report;
  const server = facts.server?.ok ? facts.server.value : undefined;
  if (!server || !facts.replication?.ok) return [];
  const readOnly = isReadOnly(server);
  return facts.replication.value.map((c) => ({
    name: 'check_mysql_replication_fenced',
    labels: channelLabels(server.flavor, c.channel),
    value: peerFenced(c, verdict.role, readOnly) ? 1 : 0,
  }));
}
