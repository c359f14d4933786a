import type { ReplicationChannel } from '../types/replication.js';

/**
 * The lag that counts: a deliberately delayed replica reports its SQL_Delay inside
 * Seconds_Behind, so only the excess is lag. null when Seconds_Behind is NULL (a thread is
 * down or the server does not know): unknown, never 0.
 */
export const lagBeyondDelay = (c: ReplicationChannel): number | null =>
  c.secondsBehind === null ? null : Math.max(0, c.secondsBehind - c.sqlDelay);
