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
  /** Absent: no TLS (a Unix socket, or --ssl-mode DISABLED). */
  readonly tls?: TlsConfig;
  /** How a password may leave the process when the server asks for it; absent: only over the socket. */
  readonly auth?: PasswordPolicy;
}

export type SslMode = 'DISABLED' | 'PREFERRED' | 'REQUIRED' | 'VERIFY_CA' | 'VERIFY_IDENTITY';

/**
 * The TLS side of one connection, with the files' contents read at config time: a daemon's
 * reload reads them again, and a change makes the target a new one (a new connection).
 */
export interface TlsConfig {
  readonly mode: Exclude<SslMode, 'DISABLED'>;
  /** The name or address the certificate must be for (VERIFY_IDENTITY): the host as given. */
  readonly host: string;
  /** PEM: --ssl-ca and every certificate in --ssl-capath. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly crl?: string;
  readonly ciphers?: string;
  readonly minVersion?: TlsVersion;
  readonly maxVersion?: TlsVersion;
}

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface PasswordPolicy {
  /**
   * Whether the channel proves the server's identity (a Unix socket, or TLS under VERIFY_CA or
   * VERIFY_IDENTITY): only then is a password sent as it is when a server asks for it.
   */
  readonly verifiedChannel: boolean;
  /** --server-public-key-path: the RSA key (PEM) a password is encrypted to otherwise. */
  readonly serverPublicKey?: string;
  /** --get-server-public-key: take the key the server sends (an impostor's too). */
  readonly getServerPublicKey: boolean;
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
  /**
   * The daemon's `peer` (HOST[:PORT]), the other node of the pair: both writable, and this node's
   * errant transactions, are judged against it, and this node's GTID state is read for that.
   */
  readonly peer?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** What one check needs to know: where, how long, by which policy, and the notify lock to read. */
export interface CheckSpec {
  readonly connection: ConnectionConfig;
  readonly timeoutMs: number;
  readonly policy: Policy;
  readonly lockFile?: string;
}
