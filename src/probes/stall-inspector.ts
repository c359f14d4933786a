import { classifyDriverError } from '../db/failure.js';
import type { ConnectionConfig } from '../types/config.js';
import type { Connector, Session } from '../types/session.js';
import type { StallInspector, StallSeen } from './probe.js';
import { earlierAckWait, isAckWait, killQuery, processlistState, stateOf } from './write-runner.js';

/**
 * A connection of its own, as the same user, to a server whose write stalled: its processlist
 * row names the wait ("Waiting for global read lock", "Waiting for someone to free space",
 * "Waiting for semi-sync ACK from slave"), and KILL QUERY ends it, so no thread of ours stays
 * waiting inside mysqld after the check. A user sees and kills its own threads without PROCESS
 * or CONNECTION ADMIN, so the check's grants are enough. The one exception is a commit waiting
 * for a semi-sync ACK with no earlier one waiting: it is left to the server's semi-sync timeout
 * (isAckWait), so that one write at most waits there, and the server can fall back to async.
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
  let earlier: number | undefined;
  try {
    const [row] = await session.query(processlistState(threadId), deadline);
    if (!row) return { gone: true };
    state = stateOf(row);
    if (isAckWait(state)) {
      earlier = await earlierAckWaiter(session, threadId, deadline);
      if (earlier === undefined) return { state, leftWaiting: true };
    }
  } catch (err) {
    return { error: classifyDriverError(err, 'query').message };
  }
  try {
    await session.query(killQuery(threadId), deadline);
    return { state, killed: true, ...(earlier !== undefined && { earlierAckWait: earlier }) };
  } catch (err) {
    return { state, error: classifyDriverError(err, 'query').message };
  }
}

/** An earlier thread's ACK wait, if one can be seen; when it cannot be read, ours is left waiting (bounded by the server's timeout). */
async function earlierAckWaiter(session: Session, threadId: number, deadline: Parameters<StallInspector>[1]): Promise<number | undefined> {
  try {
    const [row] = await session.query(earlierAckWait(threadId), deadline);
    const id = Number(row?.ID);
    return row && Number.isSafeInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
