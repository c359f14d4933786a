import type { HeartbeatPolicy } from './heartbeat.js';

export type Role = 'writer' | 'standby';
export type OutputFormat = 'human' | 'json' | 'nagios';

export interface ConnectionConfig {
  /** For messages and logs: host:port or the socket path. Never contains the password. */
  readonly label: string;
  readonly host?: string;
  readonly port?: number;
  readonly socket?: string;
  readonly user: string;
  readonly password?: string;
}

export interface Policy {
  readonly maxLagSeconds: number;
  readonly vip?: string;
  readonly role: 'auto' | Role;
  readonly onSaturated: 'healthy' | 'unhealthy';
  /** Empty means every channel counts. */
  readonly channels: readonly string[];
  /** --heartbeat-table: the writer writes its row, a standby reads its source's. */
  readonly heartbeat?: HeartbeatPolicy;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** What one check needs to know: where, how long, by which policy, and the notify lock to read. */
export interface CheckSpec {
  readonly connection: ConnectionConfig;
  readonly timeoutMs: number;
  readonly policy: Policy;
  readonly lockFile?: string;
}
