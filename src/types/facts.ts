import type { DbFailure } from './failure.js';
import type { Finding } from './finding.js';
import type { Role } from './config.js';
import type { ReplicationChannel } from './replication.js';
import type { ServerInfo } from './server.js';
import type { HeartbeatRow, HeartbeatWrite } from './heartbeat.js';
import type { GtidState } from './gtid.js';
import type { PeerFact } from './peer.js';

/** What a probe found, or why it could not find it. Probes never throw. */
export type ProbeResult<T> =
  | { readonly ok: true; readonly value: T; readonly elapsedMs: number }
  | { readonly ok: false; readonly error: DbFailure; readonly elapsedMs: number };

/** What each probe finds when it succeeds, under the key its result takes in Facts (src/probes/registry.ts). */
export interface Observations {
  server: ServerInfo;
  replication: ReplicationChannel[];
  /** This server's GTID state (daemon targets with a `peer` only). */
  gtid: GtidState;
  /** The heartbeat rows of a standby's sources (--heartbeat-table). */
  heartbeat: HeartbeatRow[];
  /** The writer's heartbeat row, written (--heartbeat-table). */
  heartbeatWrite: HeartbeatWrite;
}

/** Whether the --vip address was on a local interface when the check began. */
export interface VipFact {
  readonly address: string;
  readonly held: boolean;
}

/**
 * What earlier probes of a check found, and whether this node held the VIP: a later probe
 * decides from it what to send, or to send nothing (the heartbeat write goes to the writer only).
 */
export type Found = Partial<Observations> & { vip?: VipFact };

/** One result per probe that ran. Absent means not reached, or not applicable here. */
export type ProbeResults = { readonly [K in keyof Observations]?: ProbeResult<Observations[K]> };

/** Everything the probes observed about one server. Absent means "not reached". */
export interface Facts extends ProbeResults {
  readonly target: string;
  readonly connect: { ok: true; elapsedMs: number; /** The TLS version, when the connection uses TLS. */ tls?: string } | { ok: false; error: DbFailure; elapsedMs: number };
  readonly vip?: VipFact;
  /** The daemon's last reading of the target's `peer`; absent without a peer, or before its first reading ends. */
  readonly peer?: PeerFact;
  /** The notify handler holds its lock for MASTER: it is catching up before making us writable. */
  readonly promoting?: boolean;
  /** The one-shot's work ended after its deadline (keepalived may already be killing it). */
  readonly pastDeadline?: { readonly deadlineMs: number; readonly elapsedMs: number };
}

export interface CheckLine {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface Verdict {
  readonly healthy: boolean;
  readonly role: Role | 'unknown';
  readonly reasons: readonly Finding[];
  readonly warnings: readonly Finding[];
  readonly checks: readonly CheckLine[];
}

/** One check: what was seen, what it means, and how long it took. */
export interface CheckReport {
  readonly facts: Facts;
  readonly verdict: Verdict;
  readonly elapsedMs: number;
}
