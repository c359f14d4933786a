export type Flavor = 'mysql' | 'mariadb';

export interface ServerInfo {
  readonly version: string;
  readonly versionComment: string;
  /** '' when the server does not report it (MariaDB 11+ dropped innodb_version). */
  readonly innodbVersion: string;
  readonly flavor: Flavor;
  readonly serverId: number | null;
  readonly readOnly: boolean;
  /** MariaDB has no super_read_only: null there, not false. */
  readonly superReadOnly: boolean | null;
  /** Variables whose text was longer than check-mysql keeps (src/limits.ts), so cut and marked; absent when none. */
  readonly cut?: readonly string[];
}
