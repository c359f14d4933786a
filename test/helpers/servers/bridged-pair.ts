// The end-to-end topology's two servers without keepalived: namespaces and bridge
// (netns/bridge.ts), both mariadbd in master-master GTID replication over it (ns-pair.ts),
// node a made the writer (read_only=OFF), b the standby. For the fault suites (a silent
// partition, a semi-sync writer without ACKs), which need the network and the servers but no
// VRRP. One per process at a time: the namespace names are per pid.
import { createBridge, e2eNetnsName, type NetnsRole } from '../netns/bridge.js';
import { findIp, removeNetns } from '../netns/namespace.js';
import { nftMissing } from '../netns/partition.js';
import { findBinaries } from './binaries.js';
import { newCredentials } from './credentials.js';
import type { NsServer, SemiSync } from './ns-server.js';
import { startNsPair, type NsPairUsers } from './ns-pair.js';

/** TEST-NET-1 (RFC 5737) only, inside our own namespaces. */
export const BRIDGED_ADDRESSES = { a: '192.0.2.21', b: '192.0.2.22', client: '192.0.2.60' } as const;

/** Why a bridged pair and a partition of it cannot be made here (MariaDB, ip, root and nft), or undefined. */
export function bridgedPairMissing(): string | undefined {
  const mariadb = findBinaries();
  if (typeof mariadb === 'string') return mariadb;
  if (!findIp()) return 'ip not found (apt-get install iproute2)';
  return nftMissing();
}

export interface BridgedPair {
  names: Record<NetnsRole, string>;
  /** The writer, read_only=OFF. */
  a: NsServer;
  /** The standby, read_only=ON. */
  b: NsServer;
  users: NsPairUsers;
  /** Stops both servers, deletes the namespaces (and the nft rules in them). Idempotent. */
  cleanup(): Promise<void>;
}

export async function startBridgedPair(o: { semiSync?: SemiSync } = {}): Promise<BridgedPair> {
  const names = { a: e2eNetnsName('a'), b: e2eNetnsName('b'), client: e2eNetnsName('client'), br: e2eNetnsName('br') };
  const users: NsPairUsers = { check: newCredentials('check'), notify: newCredentials('notify'), repl: newCredentials('repl'), app: newCredentials('app') };
  const servers: NsServer[] = [];
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await Promise.allSettled(servers.map((s) => s.cleanup()));
    for (const role of ['br', 'a', 'b', 'client'] as const) await removeNetns(names[role]).catch(() => undefined);
  };
  try {
    await createBridge(names, BRIDGED_ADDRESSES);
    const { a, b } = await startNsPair({ netns: names, addresses: BRIDGED_ADDRESSES, users, ...(o.semiSync ? { semiSync: o.semiSync } : {}) });
    servers.push(a, b);
    await a.exec('SET GLOBAL read_only=OFF');
    return { names, a, b, users, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
