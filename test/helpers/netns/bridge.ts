// The end-to-end topology's network: namespaces named cme-<pid>-<role> (role: a, b, client, br)
// and a Linux bridge br0 in the br namespace whose ports va, vb, vclient are the other ends of
// veth pairs whose eth0 ends sit in the three host namespaces. Namespaces are made, tracked and
// removed as every test namespace is (namespace.ts); the topology adds fixed role names and
// its own links.
import { addNetns, ipIn } from './namespace.js';

export type NetnsRole = 'a' | 'b' | 'client' | 'br';
export type HostRole = Exclude<NetnsRole, 'br'>;

/** Every host's interface on the bridge. */
export const IFACE = 'eth0';
export const PREFIX = 24;

export function e2eNetnsName(role: NetnsRole, pid: number = process.pid): string {
  return `cme-${pid}-${role}`;
}

/**
 * Creates the four namespaces, the bridge, and each host's eth0 on it with its address (and
 * prefix PREFIX). On failure, what was made is left to the caller's removeNetns of every name.
 */
export async function createBridge(names: Record<NetnsRole, string>, addresses: Record<HostRole, string>): Promise<void> {
  const { br } = names;
  for (const role of ['br', 'a', 'b', 'client'] as const) await addNetns(names[role]);
  await ipIn(br, 'link', 'add', 'br0', 'type', 'bridge');
  await ipIn(br, 'link', 'set', 'br0', 'up');
  for (const role of ['a', 'b', 'client'] as const) {
    const ns = names[role];
    const port = `v${role}`;
    await ipIn(br, 'link', 'add', port, 'type', 'veth', 'peer', 'name', IFACE, 'netns', ns);
    await ipIn(br, 'link', 'set', port, 'master', 'br0');
    await ipIn(br, 'link', 'set', port, 'up');
    await ipIn(ns, 'addr', 'add', `${addresses[role]}/${PREFIX}`, 'dev', IFACE);
    await ipIn(ns, 'link', 'set', IFACE, 'up');
  }
}
