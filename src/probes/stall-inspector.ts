import { classifyDriverError } from '../db/failure.js';
import type { ConnectionConfig } from '../types/config.js';
import type { Connector, Session } from '../types/session.js';
import type { StallInspector, StallSeen } from './probe.js';
import { killQuery, processlistState, stateOf } from './write-runner.js';

/**
 * A connection of its own, as the same user, to a server whose write stalled: its processlist
 * row names the wait ("Waiting for global read lock", "Waiting for someone to free space",
 * "Waiting for semi-sync ACK from slave"), and KILL QUERY ends it, so no thread of ours stays
 * waiting inside mysqld after the check. A user sees and kills its own threads without PROCESS
 * or CONNECTION ADMIN, so the check's grants are enough.
 */
export const sideConnection = (connect: Connector, connection: ConnectionConfig): StallInspector => async (threadId, deadline) => {
  if (threadId === undefined) return { error: 'the stalled connection has no thread id' };
  let session: Session;
  try {
    session = await connect(connection, deadline);
  } catch (err) {
    return { error: `no side connection: ${classifyDriverError(err).message}` };
  }
  try {
    return await stateAndKill(session, threadId, deadline);
  } finally {
    await session.close(deadline);
  }
};

async function stateAndKill(session: Session, threadId: number, deadline: Parameters<StallInspector>[1]): Promise<StallSeen> {
  let state: string;
  try {
    const [row] = await session.query(processlistState(threadId), deadline);
    if (!row) return { gone: true };
    state = stateOf(row);
  } catch (err) {
    return { error: classifyDriverError(err, 'query').message };
  }
  try {
    await session.query(killQuery(threadId), deadline);
    return { state, killed: true };
  } catch (err) {
    return { state, error: classifyDriverError(err, 'query').message };
  }
}
