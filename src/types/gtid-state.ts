import type { Flavor } from './server.js';

/**
 * A server's GTID state as its variables show it, whitespace removed (MySQL prints a long set over
 * several lines). Null where the flavour has no such variable.
 *  - MySQL: gtid_executed, server_uuid (gtid_mode OFF leaves gtid_executed empty).
 *  - MariaDB: gtid_binlog_pos (the last GTID per domain and server in the binlog),
 *    gtid_current_pos, gtid_slave_pos and gtid_domain_id.
 */
export interface GtidState {
  readonly flavor: Flavor;
  readonly executed: string | null;
  readonly serverUuid: string | null;
  readonly gtidMode: string | null;
  readonly binlogPos: string | null;
  readonly currentPos: string | null;
  readonly slavePos: string | null;
  readonly domainId: number | null;
  /** Variables longer than check-mysql keeps (src/limits.ts): a cut set cannot be compared, so nothing is judged from it. */
  readonly cut?: readonly string[];
}
