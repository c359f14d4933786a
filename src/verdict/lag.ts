import type { ReplicationChannel } from '../types/replication.js';

/**
 * The lag that counts: a deliberately delayed replica reports its SQL_Delay inside
 * Seconds_Behind, so only the excess is lag. null when Seconds_Behind is NULL (a thread is
 * down or the server does not know): unknown, never 0.
 */
export const lagBeyondDelay = (c: ReplicationChannel): number | null =>
  c.secondsBehind === null ? null : Math.max(0, c.secondsBehind - c.sqlDelay);

/**
 * The heartbeat's age beyond SQL_Delay: a delayed replica applies its source's heartbeat row
 * that much later too. A negative age (the source's clock ahead of this one) is no lag.
 */
export const heartbeatLag = (c: ReplicationChannel, ageSeconds: number): number => Math.max(0, ageSeconds - c.sqlDelay);

export type LagSource = 'heartbeat' | 'seconds_behind';

export interface Lag {
  readonly seconds: number;
  readonly source: LagSource;
}

/**
 * The lag the verdict judges: the larger of the heartbeat's and Seconds_Behind's. Seconds_Behind
 * reads 0 while a silently dropped link keeps the IO thread "Yes" (until slave_net_timeout), and
 * the heartbeat only moves once per write: each misses what the other sees. null when neither
 * is known.
 */
export function channelLag(c: ReplicationChannel, heartbeatAgeSeconds: number | undefined): Lag | null {
  const behind = lagBeyondDelay(c);
  const beat = heartbeatAgeSeconds === undefined ? null : heartbeatLag(c, heartbeatAgeSeconds);
  if (beat === null) return behind === null ? null : { seconds: behind, source: 'seconds_behind' };
  return behind !== null && behind >= beat ? { seconds: behind, source: 'seconds_behind' } : { seconds: beat, source: 'heartbeat' };
}

/** Whole seconds as they are; a heartbeat's fraction to a tenth. */
export const secondsText = (s: number): string => (Number.isInteger(s) ? String(s) : s.toFixed(1));
