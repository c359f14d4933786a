// mariadbd inside a network namespace of the end-to-end topology (`ip netns exec NS mariadbd`):
// the same process as server.ts's Server (mariadbd.ts), but bound to 0.0.0.0 *inside the
// namespace* (private to it: the host address and the VIP both reach it) on E2E_MYSQL_PORT,
// reporting its namespace address to its replicas, optionally with semi-sync replication, and
// optionally with its binlog on a small file system of its own, run as the mysql user (for a
// full disk: disk-server.ts). The test process talks to it as root over the Unix socket in its
// temp dir, which works across network namespaces.
import type { SmallFs } from '../disk/small-fs.js';
import { inNetns } from '../netns/namespace.js';
import { type OnSmallFs, placeOnSmallFs, withSmallFs } from './disk-server.js';
import { MariadbdProcess } from './mariadbd.js';

/**
 * The port every node's mariadbd listens on inside its namespace. Not 3306: a command that
 * escaped its namespace then meets a refusal, never the machine's own server.
 */
export const E2E_MYSQL_PORT = 13306;

export interface SemiSync {
  /** rpl_semi_sync_master_timeout: how long a commit waits for a replica's ACK before going async. */
  timeoutMs: number;
  /**
   * rpl_semi_sync_master_wait_no_slave (default ON: with no semi-sync replica connected, a
   * commit still waits `timeoutMs`). Measured here: on a new master whose peer was just
   * SIGKILLed, the first commit waits the full `timeoutMs` with either value, because the dead
   * peer's dump thread is only found gone when that commit's event is sent.
   */
  waitNoSlave?: boolean;
}

export interface NsServerOptions {
  netns: string;
  serverId: number;
  /** The node's own address, reported to its replicas (report_host). */
  address: string;
  /** MariaDB 10.11's built-in semi-synchronous replication, master and slave side. */
  semiSync?: SemiSync;
  /** The binlog on a small ext4 of this size (MB), mariadbd run as mysql: fill() it for a full disk. */
  binlogFsMb?: number;
  extraArgs?: string[];
}

const semiSyncArgs = (s: SemiSync): string[] => [
  '--rpl-semi-sync-master-enabled=ON', '--rpl-semi-sync-slave-enabled=ON', `--rpl-semi-sync-master-timeout=${s.timeoutMs}`,
  `--rpl-semi-sync-master-wait-no-slave=${s.waitNoSlave === false ? 'OFF' : 'ON'}`,
];

export class NsServer extends MariadbdProcess {
  readonly netns: string;

  private constructor(dir: string, o: NsServerOptions, readonly binlogFs?: SmallFs, placed?: OnSmallFs) {
    super(dir, {
      serverId: o.serverId, port: E2E_MYSQL_PORT, bindAddress: '0.0.0.0', host: o.address,
      harnessArgs: [`--report-host=${o.address}`, ...(o.semiSync ? semiSyncArgs(o.semiSync) : []), ...(placed?.extraArgs ?? [])],
      ...(placed ? { user: placed.user } : {}),
      ...(o.extraArgs ? { extraArgs: o.extraArgs } : {}),
    });
    this.netns = o.netns;
  }

  static start(o: NsServerOptions): Promise<NsServer> {
    if (o.binlogFsMb === undefined) return MariadbdProcess.boot((dir) => new NsServer(dir, o));
    return withSmallFs({ on: 'binlog', sizeMb: o.binlogFsMb }, (fs) => MariadbdProcess.boot(async (dir) => new NsServer(dir, o, fs, await placeOnSmallFs(dir, fs, 'binlog'))));
  }

  /** Stops mariadbd (SIGKILL), removes its dir, then the binlog's file system if it has one. */
  override async cleanup(): Promise<void> {
    try {
      await super.cleanup();
    } finally {
      await this.binlogFs?.remove();
    }
  }

  protected get where(): string {
    return `in ${this.netns}`;
  }

  protected override command(mariadbd: string, args: string[]): [string, string[]] {
    return inNetns(this.netns, mariadbd, args);
  }
}
