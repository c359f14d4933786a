/**
 * The switchover's steps as the operator reads them before anything happens (--dry-run), and
 * the one place that says in which order they run (run-switchover.ts follows it).
 */
import type { Flavor } from '../types/server.js';

export interface PlanInputs {
  readonly flavor: Flavor;
  readonly readOnlySql: string;
  readonly peer: string;
  readonly vip: string;
  readonly maintenanceFile: string;
  readonly catchUpTimeoutS: number;
  readonly confirmTimeoutS: number;
  readonly killConnections: boolean;
  readonly lockFile: string;
}

export function planLines(p: PlanInputs): string[] {
  const waitFn = p.flavor === 'mariadb' ? 'MASTER_GTID_WAIT' : 'WAIT_FOR_EXECUTED_GTID_SET';
  const position = p.flavor === 'mariadb' ? 'gtid_binlog_pos' : 'gtid_executed';
  return [
    `1. take the promotion lock ${p.lockFile} (this node's check then reads it as promoting, not failed, and keepalived keeps the VIP during the catch-up)`,
    `   this node read-only: ${p.readOnlySql} (ending the writes that hold it up, as the notify handler does)${p.flavor === 'mariadb' ? '; MariaDB has no super_read_only: READ ONLY ADMIN users can still write' : ''}`,
    ...(p.killConnections ? ['   then kill its client connections (not replication, not the kept users, not ours)'] : []),
    `2. read this node's final position (${position})`,
    `3. wait up to ${p.catchUpTimeoutS} s until ${p.peer} has applied it (${waitFn}); if not: this node writable again, exit 1, nothing changed`,
    `4. enter maintenance: write ${p.maintenanceFile}, let go of the lock; this node's check reports fault, keepalived moves VIP ${p.vip}, the peer's notify handler makes it writable`,
    `5. confirm within ${p.confirmTimeoutS} s: VIP ${p.vip} gone from this node and answering as ${p.peer}, which is then writable (made so by its notify handler, or by this command if the handler has not yet: the catch-up is done); if not: stay in maintenance (read-only here), exit 1`,
    "afterwards: 'check-mysql maintenance off' returns this node as a read-only standby (nopreempt keeps the VIP on the peer)",
  ];
}
