import type { ReplicationChannel } from '../types/replication.js';
import { parseReplicaStatus } from '../dialect/replica-status.js';
import { ER_PARSE_ERROR, replicationStatements } from '../dialect/replication-statements.js';
import type { ServerInfo } from '../types/server.js';
import { classifyDriverError } from '../db/failure.js';
import { observe, type Probe, type ProbeContext } from './probe.js';

async function readStatus({ session, deadline }: ProbeContext, server: ServerInfo): Promise<ReplicationChannel[]> {
  const statements = replicationStatements(server.flavor, server.version);
  for (const [i, sql] of statements.entries()) {
    try {
      return parseReplicaStatus(await session.query(sql, deadline));
    } catch (err) {
      const last = i === statements.length - 1;
      if (last || classifyDriverError(err, 'query').errno !== ER_PARSE_ERROR) throw err;
    }
  }
  return [];
}

/** Every replication channel's threads, errors and lag; an empty list means none is configured. */
export const replication = {
  name: 'replication',
  run: (ctx, server) => observe(ctx.now, () => readStatus(ctx, server)),
} satisfies Probe<ReplicationChannel[], ServerInfo>;
