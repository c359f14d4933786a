import type { Role } from '../types/config.js';
import type { ReplicationChannel } from '../types/replication.js';
import { finding, type Finding } from '../types/finding.js';
import { channelLag, heartbeatLag, lagBeyondDelay, secondsText } from './lag.js';
import type { Beat } from './heartbeat.js';

/**
 * IO-thread errors that mean "the source cannot be reached": client-side connect and network
 * errors (CR_CONNECTION_ERROR 2002, CR_CONN_HOST_ERROR 2003, CR_UNKNOWN_HOST 2005,
 * CR_SERVER_GONE_ERROR 2006, CR_SERVER_LOST 2013) and server net read/write errors 1158-1161.
 * A standby whose writer died sees exactly these, and that is the moment it must stay eligible.
 */
export const SOURCE_UNREACHABLE_ERRNOS: ReadonlySet<number> = new Set([2002, 2003, 2005, 2006, 2013, 1158, 1159, 1160, 1161]);

export interface ChannelFitness {
  /** What makes this channel unfit to take over from (a standby's reasons). */
  readonly problems: readonly Finding[];
  /** Worth telling, never disqualifying. */
  readonly notes: readonly Finding[];
}

/**
 * The IO thread stopped while the SQL thread runs: how the notify handler leaves the channels of
 * a node it promoted (notify/peer-io.ts), which a STOP SLAVE (both threads) does not. Stopped
 * while it could not reach its source (the usual case: the old writer is down), it keeps that
 * error (2003 and the like), since only START SLAVE clears it; an IO thread never stops by itself
 * on those (it retries, Connecting), so such a channel was stopped by a STOP all the same. Any
 * other error is one the IO thread stopped on by itself.
 */
export const ioStoppedAlone = (c: ReplicationChannel): boolean =>
  c.ioRunning === 'no' && c.sqlRunning && (c.lastIoErrno === 0 || SOURCE_UNREACHABLE_ERRNOS.has(c.lastIoErrno));

/**
 * A channel the check reports as `peer-fenced` (a warning) rather than judging it: stopped alone
 * on the writer, or on a node still writable without the VIP (its demotion has not run yet).
 */
export const peerFenced = (c: ReplicationChannel, role: Role | 'unknown', readOnly: boolean): boolean => ioStoppedAlone(c) && (role === 'writer' || !readOnly);

export const channelName = (c: ReplicationChannel): string => (c.channel === '' ? 'default channel' : `channel '${c.channel}'`);
/** The short form, for lists: 'default' or the name. */
export const channelLabel = (channel: string): string => (channel === '' ? 'default' : channel);

function sourceOf(c: ReplicationChannel): string {
  if (!c.sourceHost) return 'the source';
  return c.sourcePort ? `source ${c.sourceHost}:${c.sourcePort}` : `source ${c.sourceHost}`;
}

/** `beat`: the age of its source's heartbeat row, or why there is none (--heartbeat-table); undefined without one. */
export function judgeChannel(c: ReplicationChannel, maxLagSeconds: number, beat?: Beat): ChannelFitness {
  const name = channelName(c);
  const problems: Finding[] = [];
  const notes: Finding[] = [];

  if (!c.sqlRunning) {
    problems.push(
      c.lastSqlErrno !== 0
        ? finding('sql-thread-error', `${name}: SQL thread stopped by error ${c.lastSqlErrno}: ${c.lastSqlError}`)
        : finding('sql-thread-stopped', `${name}: SQL thread is not running (stopped deliberately?)`),
    );
  }

  const ioUp = c.ioRunning === 'yes';
  const unreachable = !ioUp && (SOURCE_UNREACHABLE_ERRNOS.has(c.lastIoErrno) || (c.ioRunning === 'connecting' && c.lastIoErrno === 0));
  if (unreachable) {
    const why = c.lastIoErrno !== 0 ? ` (error ${c.lastIoErrno}: ${c.lastIoError})` : ' (IO thread connecting)';
    notes.push(finding('source-unreachable', `${name}: cannot reach ${sourceOf(c)}${why}; still eligible to take over`));
  } else if (!ioUp) {
    problems.push(
      c.lastIoErrno !== 0
        ? finding('io-thread-error', `${name}: IO thread stopped by error ${c.lastIoErrno}: ${c.lastIoError}`)
        : finding('io-thread-stopped', `${name}: IO thread is not running (stopped deliberately?)`),
    );
  }

  // Lag is judged only while both threads run: a writer that died leaves its heartbeat row to
  // age, and its standby must stay eligible then (source-unreachable above).
  if (ioUp && c.sqlRunning) {
    if (typeof beat === 'string') notes.push(finding('heartbeat-missing', `${name}: ${beat}; lag from Seconds_Behind only`));
    problems.push(...lagProblems(c, name, maxLagSeconds, typeof beat === 'number' ? beat : undefined));
  }
  return { problems, notes };
}

function lagProblems(c: ReplicationChannel, name: string, maxLagSeconds: number, age: number | undefined): Finding[] {
  const lag = channelLag(c, age);
  if (lag === null) {
    return [finding('lag-unknown', `${name}: Seconds_Behind is NULL although both threads run; lag cannot be trusted`)];
  }
  if (lag.seconds <= maxLagSeconds) return [];
  const delay = c.sqlDelay > 0 ? ` beyond its configured SQL_Delay of ${c.sqlDelay} s` : '';
  return [finding('lag', `${name}: ${secondsText(lag.seconds)} s behind ${sourceOf(c)}${delay}${lagSource(c, lag.source, age)} (max ${maxLagSeconds} s)`)];
}

/** Which figure gave the lag, when there were two to choose from. */
function lagSource(c: ReplicationChannel, source: 'heartbeat' | 'seconds_behind', age: number | undefined): string {
  if (age === undefined) return '';
  const behind = lagBeyondDelay(c);
  if (source === 'heartbeat') return `, by its source's heartbeat (Seconds_Behind says ${behind === null ? 'NULL' : `${behind} s`})`;
  return `, by Seconds_Behind (heartbeat ${secondsText(heartbeatLag(c, age))} s)`;
}
