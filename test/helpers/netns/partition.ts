// A silent partition between two hosts of a test topology: nftables rules inside each host's own
// network namespace drop every packet that arrives from the other (the input hook only, so no
// sender ever sees an error, and no RST is sent: established TCP connections stay up, as behind
// a hung switch port). heal() deletes the rules. The rules live in the namespaces, so they go
// with them however the test ends. TEST-NET-1 (192.0.2.0/24) addresses only.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findExecutable } from '../executables.js';
import { inNetns } from './namespace.js';

const run = promisify(execFile);

/** Our own table: deleting it removes exactly what we added. */
const TABLE = 'check_mysql_partition';
const TEST_NET_1 = /^192\.0\.2\.\d{1,3}$/;

export interface PartitionHost {
  netns: string;
  address: string;
}

export interface Partition {
  /** Epoch ms just before the rules were in place on both hosts. */
  readonly since: number;
  /** Packets dropped so far on each host (the rules' counters). */
  dropped(): Promise<number[]>;
  /** Deletes the rules on both hosts. Idempotent. */
  heal(): Promise<void>;
}

export function nftMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'nftables rules in network namespaces need root';
  return findExecutable('nft') ? undefined : 'nft not found (Debian: apt-get install nftables)';
}

async function nft(ns: string, ...args: string[]): Promise<string> {
  const nftPath = findExecutable('nft');
  if (!nftPath) throw new Error('nft not found');
  const [command, argv] = inNetns(ns, nftPath, args);
  return (await run(command, argv)).stdout;
}

async function dropFrom(host: PartitionHost, peer: string): Promise<void> {
  await nft(host.netns, 'add', 'table', 'inet', TABLE);
  await nft(host.netns, 'add', 'chain', 'inet', TABLE, 'input', '{ type filter hook input priority 0 ; policy accept ; }');
  await nft(host.netns, 'add', 'rule', 'inet', TABLE, 'input', 'ip', 'saddr', peer, 'counter', 'drop');
}

async function droppedOn(host: PartitionHost): Promise<number> {
  const out = await nft(host.netns, 'list', 'table', 'inet', TABLE);
  return Number(/counter packets (\d+)/.exec(out)?.[1] ?? NaN);
}

/** Drops every packet between `x` and `y` from now on, in both directions. */
export async function partition(x: PartitionHost, y: PartitionHost): Promise<Partition> {
  for (const h of [x, y]) if (!TEST_NET_1.test(h.address)) throw new Error(`not a TEST-NET-1 address: ${h.address}`);
  const since = Date.now();
  const hosts = [x, y];
  let healed = false;
  const heal = async (): Promise<void> => {
    if (healed) return;
    healed = true;
    for (const h of hosts) {
      try {
        await nft(h.netns, 'delete', 'table', 'inet', TABLE);
      } catch (err) {
        // Gone already (never made, or its namespace removed) is healed; anything else is not.
        if ((await nft(h.netns, 'list', 'tables').catch(() => '')).includes(TABLE)) throw err;
      }
    }
  };
  try {
    await dropFrom(x, y.address);
    await dropFrom(y, x.address);
  } catch (err) {
    await heal();
    throw err;
  }
  return { since, heal, dropped: () => Promise.all(hosts.map(droppedOn)) };
}
