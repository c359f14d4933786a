import type { NetworkInterfaceInfo } from 'node:os';

export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * Whether the virtual IP sits on a local interface, i.e. whether this node is the writer now.
 * Local and synchronous (os.networkInterfaces lists keepalived's secondary addresses too),
 * so it costs no round trip and needs no deadline.
 */
export function holdsAddress(address: string, interfaces: InterfaceTable): boolean {
  const wanted = address.toLowerCase();
  return Object.values(interfaces).some((list) => (list ?? []).some((i) => i.address.toLowerCase() === wanted));
}
