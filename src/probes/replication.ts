import { parseReplicaStatus } from '../dialect/replica-status.js';
import { replicationStatements } from '../dialect/replication-statements.js';
import { dialects, type Probe } from './probe.js';

/**
 * Every replication channel's threads, errors and lag; an empty list means none is configured.
 * The statement depends on the flavour and version, so without the server's variables it is not run.
 */
export const replication = {
  name: 'replication',
  fact: 'replication',
  plan: ({ server }) => (server ? dialects(replicationStatements(server.flavor, server.version)) : undefined),
  parse: ([rows]) => parseReplicaStatus(rows!),
} satisfies Probe<'replication'>;
