import { heartbeatRead, parseHeartbeatRows } from '../dialect/heartbeat.js';
import type { ReplicationChannel } from '../types/replication.js';
import { roleOf } from '../verdict/role.js';
import type { Probe } from './probe.js';

/** The server ids a standby replicates from, of the channels it is judged by (--channel); 0 is "not known yet". */
export function sourceIds(channels: readonly ReplicationChannel[], wanted: readonly string[]): number[] {
  const judged = wanted.length === 0 ? channels : channels.filter((c) => wanted.includes(c.channel));
  const ids = judged.flatMap((c) => (c.sourceServerId !== null && c.sourceServerId > 0 ? [c.sourceServerId] : []));
  return [...new Set(ids)].sort((a, b) => a - b);
}

/**
 * On a standby with --heartbeat-table: the heartbeat rows of its sources and its own, aged by the
 * server. Only those rows, so the answer stays within a row per channel whatever else the table holds.
 * Read-only, so the daemon batches it with the other reads.
 */
export const heartbeat = {
  name: 'heartbeat',
  fact: 'heartbeat',
  plan: ({ server, replication, vip }, policy) => {
    if (!policy.heartbeat || !server || !replication || roleOf(server, vip, policy) !== 'standby') return undefined;
    const ids = sourceIds(replication, policy.channels);
    if (ids.length === 0) return undefined;
    // Its own row too: a node that was the writer after its source last was (readBeats) is not behind it.
    const own = server.serverId !== null && server.serverId > 0 && !ids.includes(server.serverId) ? [server.serverId] : [];
    return { statements: [heartbeatRead(policy.heartbeat.table, [...ids, ...own].sort((a, b) => a - b))] };
  },
  parse: ([rows]) => parseHeartbeatRows(rows!),
} satisfies Probe<'heartbeat'>;
