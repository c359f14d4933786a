/**
 * The switchover's preflight, pure: what both nodes and this host showed -> each condition met
 * or not, and the one line that refuses. Nothing has been changed when it runs, so a refusal
 * leaves everything as it was.
 */
import { isWritable, readOnlyText } from '../dialect/read-only-state.js';
import { describeErrant, errantTransactions } from '../gtid/errant.js';
import type { GtidState } from '../types/gtid.js';
import type { MaintenanceState } from '../types/maintenance-fs.js';
import type { ReplicationChannel } from '../types/replication.js';
import type { ServerInfo } from '../types/server.js';
import { channelName, ioStoppedAlone, judgeChannel } from '../verdict/channel-fitness.js';

/** What one node showed: its variables, its replication channels, its GTID state. */
export interface NodeFacts {
  readonly label: string;
  readonly server: ServerInfo;
  readonly channels: readonly ReplicationChannel[];
  readonly gtid: GtidState;
}

export interface SwitchoverFacts {
  readonly vip: string;
  readonly vipHeld: boolean;
  readonly maintenanceFile: string;
  readonly maintenance: MaintenanceState;
  readonly local: NodeFacts;
  readonly peer: NodeFacts;
  readonly maxLagSeconds: number;
}

export interface Condition {
  /** 'assumed': not verifiable from here; the docs say why it is taken as met. */
  readonly met: boolean | 'assumed';
  readonly text: string;
}

export interface Preflight {
  readonly conditions: readonly Condition[];
  /** The unmet conditions, as the refusal's one line; absent when all are met. */
  readonly refusal?: string;
}

/** The channel on `replica` whose source is `source` (by server_id: addresses differ by route, ids do not). */
export function channelFrom(replica: NodeFacts, source: NodeFacts): ReplicationChannel | undefined {
  return replica.channels.find((c) => c.sourceServerId !== null && c.sourceServerId === source.server.serverId);
}

const threads = (c: ReplicationChannel): string => `IO ${c.ioRunning}, SQL ${c.sqlRunning ? 'yes' : 'no'}, ${c.secondsBehind === null ? 'lag unknown' : `${c.secondsBehind} s behind`}`;

function replicates(replica: NodeFacts, source: NodeFacts, who: string, maxLagSeconds: number | undefined, writer = false): Condition {
  const c = channelFrom(replica, source);
  if (!c) {
    const sources = replica.channels.map((x) => `${channelName(x)} from server_id ${x.sourceServerId ?? '?'}`).join(', ') || 'no replication channel';
    return { met: false, text: `${who}: no channel from server_id ${source.server.serverId ?? '?'} (${sources})` };
  }
  // The writer's channel as its promotion left it (notify/peer-io.ts): the BACKUP notify that
  // follows the switchover starts its IO thread again.
  if (writer && ioStoppedAlone(c)) return { met: true, text: `${who}: ${channelName(c)}, IO thread stopped since this node's promotion (the BACKUP notify starts it again), SQL yes` };
  const problems = judgeChannel(c, maxLagSeconds ?? Number.POSITIVE_INFINITY).problems.map((p) => p.message);
  // A standby that cannot reach its source is still eligible for failover, not for a switchover:
  // the catch-up needs the IO thread.
  if (c.ioRunning !== 'yes' && !problems.some((p) => p.includes('IO thread'))) problems.push(`${channelName(c)}: IO thread is ${c.ioRunning}${c.lastIoErrno ? ` (error ${c.lastIoErrno}: ${c.lastIoError})` : ''}`);
  if (problems.length > 0) return { met: false, text: `${who}: ${problems.join('; ')}` };
  return { met: true, text: `${who}: ${channelName(c)}, ${threads(c)}` };
}

export function judgePreflight(f: SwitchoverFacts): Preflight {
  const { local, peer } = f;
  const errant = errantTransactions(peer.gtid, local.gtid);
  const conditions: Condition[] = [
    { met: f.vipHeld, text: f.vipHeld ? `this node holds VIP ${f.vip}` : `this node does not hold VIP ${f.vip}: run the switchover on the writer` },
    { met: isWritable(local.server), text: isWritable(local.server) ? `this node is writable (${readOnlyText(local.server)})` : `this node is read-only (${readOnlyText(local.server)}): not the writer` },
    {
      met: !f.maintenance.on,
      text: f.maintenance.on ? `this node is already in maintenance (${f.maintenanceFile} exists${f.maintenance.problem ? `: ${f.maintenance.problem}` : ''})` : `no maintenance file at ${f.maintenanceFile}`,
    },
    { met: local.server.serverId !== null && local.server.serverId !== peer.server.serverId, text: local.server.serverId === peer.server.serverId ? `the peer ${peer.label} has this node's server_id ${local.server.serverId ?? '?'}: is --peer this node?` : `peer ${peer.label} is server_id ${peer.server.serverId ?? '?'}, this node ${local.server.serverId ?? '?'}` },
    { met: local.server.flavor === peer.server.flavor, text: local.server.flavor === peer.server.flavor ? `both ${local.server.flavor} (${local.server.version}, ${peer.server.version})` : `this node is ${local.server.flavor} ${local.server.version}, the peer ${peer.server.flavor} ${peer.server.version}` },
    { met: !isWritable(peer.server), text: isWritable(peer.server) ? `the peer is writable too (${readOnlyText(peer.server)}): two writers already; fix that first` : `the peer is read-only (${readOnlyText(peer.server)})` },
    replicates(peer, local, 'the peer replicates from this node', f.maxLagSeconds),
    { met: errant.judged && errant.gtids === '', text: errant.judged ? describeErrant(errant).replace('on the standby', 'on the peer') : `cannot tell whether the peer has errant transactions: ${errant.why}` },
    replicates(local, peer, 'this node replicates from the peer', undefined, true),
    { met: 'assumed', text: "the peer's keepalived can take over: assumed (its check passes when the conditions above hold; the VIP's move is confirmed at the end)" },
  ];
  // Every unmet condition, in one line: the operator fixes them all before the next try.
  const unmet = conditions.filter((c) => c.met === false);
  return unmet.length > 0 ? { conditions, refusal: unmet.map((c) => c.text).join('; ') } : { conditions };
}

/** One line per condition, for --dry-run and the final report. */
export const preflightLines = (p: Preflight): string[] => p.conditions.map((c) => `  ${c.met === true ? 'ok' : c.met === 'assumed' ? '--' : 'NO'}  ${c.text}`);
