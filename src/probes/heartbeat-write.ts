import { heartbeatWriteStatements } from '../dialect/heartbeat.js';
import { isReadOnly } from '../dialect/read-only-state.js';
import { roleOf } from '../verdict/role.js';
import type { Probe } from './probe.js';

/**
 * On the writer with --heartbeat-table: this server's heartbeat row, written. The write is the
 * writability probe: read_only=OFF says nothing of a commit stuck behind a global read lock, a
 * full disk or a semi-sync wait. A read-only node is never written to, even when it holds the
 * VIP (promoting, or failing writer-read-only): its write could only fail.
 */
export const heartbeatWrite = {
  name: 'heartbeat_write',
  fact: 'heartbeatWrite',
  writes: true,
  plan: ({ server, vip }, policy) => {
    const hb = policy.heartbeat;
    if (!hb || !server || server.serverId === null || isReadOnly(server) || roleOf(server, vip, policy) !== 'writer') return undefined;
    const { first, older } = heartbeatWriteStatements(server.flavor, hb.table, server.serverId, hb.writeBoundMs);
    return { statements: first, ...(older.length > 0 && { onSyntaxError: { statements: older } }) };
  },
  parse: (_results, { server }) => ({ serverId: server!.serverId! }),
} satisfies Probe<'heartbeatWrite'>;
