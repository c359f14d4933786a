import type { DbFailure } from './failure.js';
import type { Finding } from './finding.js';
import type { Role } from './config.js';
import type { ReplicationChannel } from './replication.js';
import type { ServerInfo } from './server.js';

/** What a probe found, or why it could not find it. Probes never throw. */
export type ProbeResult<T> =
  | { readonly ok: true; readonly value: T; readonly elapsedMs: number }
  | { readonly ok: false; readonly error: DbFailure; readonly elapsedMs: number };

/** Everything the probes observed about one server. Absent means "not reached". */
export interface Facts {
  readonly target: string;
  readonly connect: { ok: true; elapsedMs: number } | { ok: false; error: DbFailure; elapsedMs: number };
  readonly server?: ProbeResult<ServerInfo>;
  readonly replication?: ProbeResult<ReplicationChannel[]>;
  readonly vip?: { readonly address: string; readonly held: boolean };
  /** The notify handler holds its lock for MASTER: it is catching up before making us writable. */
  readonly promoting?: boolean;
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
