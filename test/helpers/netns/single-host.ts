// One host for suites that run a single real keepalived: a namespace named cmtest-<pid>-<n>
// (unique per run) holding only loopback and a veth pair with a TEST-NET-1 address; tracked
// and removed as every test namespace is (namespace.ts).
import { addNetns, ipIn, removeNetns } from './namespace.js';

/** TEST-NET-1 (RFC 5737) only: never a private range or an address that routes anywhere. */
export const NETNS_ADDRESS = '192.0.2.1/24';
/** The interface keepalived's vrrp_instance uses inside the namespace. */
export const NETNS_INTERFACE = 'd0';

let counter = 0;

export interface Netns {
  readonly name: string;
  /** The namespace's interface for VRRP (one end of a veth pair whose other end is up too). */
  readonly iface: string;
  /** `ip netns del`; idempotent. */
  remove(): Promise<void>;
}

/**
 * A fresh namespace with lo up and a veth pair d0/d1, 192.0.2.1/24 on d0. A veth pair rather
 * than a dummy interface: some kernels (this machine's among them) have no dummy driver.
 */
export async function createNetns(): Promise<Netns> {
  const name = `cmtest-${process.pid}-${++counter}`;
  const remove = () => removeNetns(name);
  try {
    await addNetns(name);
    for (const args of [
      ['link', 'add', NETNS_INTERFACE, 'type', 'veth', 'peer', 'name', 'd1'],
      ['link', 'set', 'd1', 'up'],
      ['link', 'set', NETNS_INTERFACE, 'up'],
      ['addr', 'add', NETNS_ADDRESS, 'dev', NETNS_INTERFACE],
    ]) {
      await ipIn(name, ...args);
    }
  } catch (err) {
    await remove().catch(() => undefined);
    throw new Error(`cannot set up network namespace ${name}: ${(err as Error).message}`);
  }
  return { name, iface: NETNS_INTERFACE, remove };
}
