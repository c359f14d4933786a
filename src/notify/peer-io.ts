/**
 * Replication from the peer while this node holds the VIP. A node that takes the VIP stops its
 * IO threads first: from then on nothing the old writer logs reaches it. What the old writer
 * logs after losing the VIP was never acknowledged through the VIP: a commit that was stalled
 * on a full binlog disk and ended by the old writer's demotion still reaches its binlog once
 * space is back (MariaDB keeps its events in the binlog's write buffer), a semi-sync commit
 * that never got its ACK, the unreplicated tail of an async writer that crashed, a write made
 * past read_only. Applied by the new writer, each would land after writes of its own. The SQL
 * threads go on, so the catch-up still applies everything received before the stop.
 *
 * A demotion starts them again (the node is a standby, and a standby replicates), but only the
 * IO threads stopped that way (ioStoppedAlone: the IO thread stopped while the SQL thread runs).
 * A channel an operator stopped (STOP SLAVE stops both threads) or one whose IO thread stopped
 * on an error of its own is left alone.
 */
import { classifyDriverError } from '../db/failure.js';
import type { Deadline } from '../types/deadline.js';
import { ioThreadSql } from '../dialect/replication-statements.js';
import type { ReplicationChannel } from '../types/replication.js';
import type { ServerInfo } from '../types/server.js';
import type { Session } from '../types/session.js';
import { channelLabel, ioStoppedAlone } from '../verdict/channel-fitness.js';

export interface PeerIo {
  /** Channels whose IO thread was stopped or started ('' is the default channel). */
  readonly channels: readonly string[];
  /** Channels it could not stop or start, with the server's words. */
  readonly problems: readonly string[];
}

export const NO_PEER_IO: PeerIo = { channels: [], problems: [] };

/** Which channels to start again: given the replication status just read. */
export type PickChannels = (channels: readonly ReplicationChannel[]) => readonly ReplicationChannel[];

/**
 * Stops the IO thread of every channel from the peer (`peerChannels`, else every channel) whose
 * IO thread runs or connects. A named channel that does not exist is a problem to report.
 */
export async function stopPeerIo(session: Session, server: ServerInfo, channels: readonly ReplicationChannel[], deadline: Deadline, peerChannels?: readonly string[]): Promise<PeerIo> {
  const stopped = await each(session, server, fromPeer(channels, peerChannels).filter((c) => c.ioRunning !== 'no'), 'STOP', deadline);
  const missing = (peerChannels ?? []).filter((name) => !channels.some((c) => c.channel === name)).map((name) => `${channelLabel(name)}: no such channel (--peer-channel)`);
  return missing.length === 0 ? stopped : { channels: stopped.channels, problems: [...stopped.problems, ...missing] };
}

/** What a demotion starts again: the channels from the peer whose IO thread a promotion stopped. */
export const stoppedByPromotion = (peerChannels?: readonly string[]): PickChannels => (channels) => fromPeer(channels, peerChannels).filter(ioStoppedAlone);

/** What a MASTER run that does not promote starts again: what it stopped, whatever the SQL thread does now. */
export const stoppedByThisRun = (fence: PeerIo): PickChannels => (channels) => channels.filter((c) => c.ioRunning === 'no' && fence.channels.includes(c.channel));

export function startPeerIo(session: Session, server: ServerInfo, channels: readonly ReplicationChannel[], deadline: Deadline): Promise<PeerIo> {
  return each(session, server, channels, 'START', deadline);
}

const fromPeer = (channels: readonly ReplicationChannel[], names?: readonly string[]): readonly ReplicationChannel[] =>
  names === undefined ? channels : channels.filter((c) => names.includes(c.channel));

/** One statement per channel, all under one deadline (several channels must not add up past keepalived's script timeout). */
async function each(session: Session, server: ServerInfo, channels: readonly ReplicationChannel[], verb: 'STOP' | 'START', deadline: Deadline): Promise<PeerIo> {
  if (channels.length === 0) return NO_PEER_IO;
  const done: string[] = [];
  const problems: string[] = [];
  for (const c of channels) {
    try {
      await session.query(ioThreadSql(server.flavor, server.version, c.channel, verb), deadline);
      done.push(c.channel);
    } catch (err) {
      problems.push(`${channelLabel(c.channel)}: ${classifyDriverError(err, 'query').message}`);
    }
  }
  return { channels: done, problems };
}

/** "; replication from the peer stopped (default)" and the like, for the notify log line. */
export function peerIoText(io: PeerIo, done: string, failed: string): string {
  const ok = io.channels.length > 0 ? `; ${done} (${io.channels.map(channelLabel).join(', ')})` : '';
  const bad = io.problems.length > 0 ? `; ${failed}: ${io.problems.join('; ')}` : '';
  return ok + bad;
}
