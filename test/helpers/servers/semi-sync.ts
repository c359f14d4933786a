// A semi-synchronous writer whose replica stops acknowledging: MariaDB 10.11's built-in
// semi-sync (ns-server.ts's SemiSync options on a bridged pair), and three ways to withhold the
// ACK, each undone by restore(): the replica's IO thread stopped, the replica's mariadbd
// SIGSTOPped, or a silent partition between the nodes (netns/partition.ts).
import { partition } from '../netns/partition.js';
import type { NsServer } from './ns-server.js';

export type AckWithholding = 'stop-io-thread' | 'sigstop-replica' | 'partition';

export interface WithheldAcks {
  readonly how: AckWithholding;
  /** Lets the replica acknowledge again (START SLAVE IO_THREAD, SIGCONT, heal). Idempotent. */
  restore(): Promise<void>;
}

/** The master side of semi-sync, from SHOW GLOBAL STATUS. */
export interface SemiSyncMasterStatus {
  /** Rpl_semi_sync_master_status: OFF once a commit timed out waiting (async until an ACK returns). */
  on: boolean;
  clients: number;
  /** Commits acknowledged by a replica, and commits that went through without an ACK. */
  yesTx: number;
  noTx: number;
  waitSessions: number;
}

/** The processlist State of a commit waiting for a replica's ACK (measured on MariaDB 10.11). */
export const SEMI_SYNC_WAIT_STATE = 'Waiting for semi-sync ACK from slave';

export async function semiSyncMasterStatus(master: NsServer): Promise<SemiSyncMasterStatus> {
  const rows = await master.sql("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_%'");
  const v = new Map(rows.map((r) => [String(r.Variable_name).replace('Rpl_semi_sync_master_', ''), String(r.Value)]));
  const n = (k: string) => Number(v.get(k));
  return { on: v.get('status') === 'ON', clients: n('clients'), yesTx: n('yes_tx'), noTx: n('no_tx'), waitSessions: n('wait_sessions') };
}

/** From now on `replica` sends `master` no semi-sync ACK, in the way `how`. */
export async function withholdAcks(master: NsServer, replica: NsServer, how: AckWithholding): Promise<WithheldAcks> {
  let restore: () => Promise<void>;
  if (how === 'stop-io-thread') {
    await replica.exec('STOP SLAVE IO_THREAD');
    restore = () => replica.exec('START SLAVE IO_THREAD');
  } else if (how === 'sigstop-replica') {
    replica.kill('SIGSTOP');
    restore = async () => replica.kill('SIGCONT');
  } else {
    const cut = await partition({ netns: master.netns, address: master.host }, { netns: replica.netns, address: replica.host });
    restore = () => cut.heal();
  }
  let restored = false;
  return {
    how,
    restore: async () => {
      if (restored) return;
      restored = true;
      await restore();
    },
  };
}
