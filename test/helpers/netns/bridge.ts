// Network namespaces for the end-to-end topology, named cme-<pid>-<role> (role: a, b, client,
// br), and removed however the test process ends:
//  - normal end: the topology's cleanup() calls removeNetns();
//  - process.exit / uncaught error: the 'exit' hook below runs `ip netns del`;
//  - SIGKILL of the worker, or the reaper's watchdog killing an orphaned fork: a detached
//    watchdog holds a pipe to us and deletes what is left when that pipe closes.
// Creation, tracking and the watchdog are test/helpers/netns.ts's; the topology adds fixed role
// names and its own links.
// `ip netns del` only drops the name: a namespace goes when its last process does, which the
// reaper (test/helpers/reaper.ts) sees to for the processes started in it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { addTrackedNetns, deleteTrackedNetns, findIp } from './namespace.js';

const run = promisify(execFile);

export type NetnsRole = 'a' | 'b' | 'client' | 'br';

/** Only names of this shape are ever deleted, by us or by the watchdog. */
export const E2E_NETNS_NAME = /^cme-\d+-(a|b|client|br)$/;

export function e2eNetnsName(role: NetnsRole, pid: number = process.pid): string {
  return `cme-${pid}-${role}`;
}

export function ipPath(): string {
  const found = findIp();
  if (!found) throw new Error('ip (iproute2) not found');
  return found;
}

/** `ip netns add NAME` with lo up; refuses a name that already exists (a leftover or a twin). */
export async function addNetns(name: string): Promise<void> {
  if (!E2E_NETNS_NAME.test(name)) throw new Error(`bad namespace name ${name}`);
  await addTrackedNetns(name);
}

/** `ip netns del NAME`; idempotent. */
export const removeNetns = (name: string): Promise<void> => deleteTrackedNetns(name);

/** `ip -n NS ARGS...`, resolving with stdout. */
export async function ipIn(ns: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(ipPath(), ['-n', ns, ...args]);
  return stdout;
}

/** The argv prefix that runs a command inside `ns` (`ip netns exec` execs it in place: same pid). */
export function inNetns(ns: string, command: string, args: string[]): [string, string[]] {
  return [ipPath(), ['netns', 'exec', ns, command, ...args]];
}

/** IPv4 addresses (without prefix length) on `dev` inside `ns`. */
export async function ipv4Addresses(ns: string, dev: string): Promise<string[]> {
  const out = await ipIn(ns, '-4', '-o', 'addr', 'show', 'dev', dev);
  return [...out.matchAll(/\sinet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1] as string);
}
