// Network namespaces for the end-to-end topology, named cme-<pid>-<role> (role: a, b, client,
// br), and removed however the test process ends:
//  - normal end: the topology's cleanup() calls removeNetns();
//  - process.exit / uncaught error: the 'exit' hook below runs `ip netns del`;
//  - SIGKILL of the worker, or the reaper's watchdog killing an orphaned fork: a detached
//    watchdog holds a pipe to us and deletes what is left when that pipe closes.
// This mirrors test/helpers/netns.ts, whose watchdog only deletes cmtest-<pid>-<n> names (one
// namespace with a d0/d1 veth pair); the topology needs fixed role names and its own links.
// `ip netns del` only drops the name: a namespace goes when its last process does, which the
// reaper (test/helpers/reaper.ts) sees to for the processes started in it.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { findIp } from './netns.js';

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

const live = new Set<string>();
let watchdog: ChildProcess | undefined;

// Plain JS for `node -e`: ignores terminal signals, deletes the namespaces it was told of at EOF.
const WATCHDOG_SOURCE = String.raw`
const { spawnSync } = require('child_process');
const [ip] = process.argv.slice(1);
const names = new Set(); let buf = '';
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
function reap() {
  for (const name of names) if (/^cme-\d+-(a|b|client|br)$/.test(name)) spawnSync(ip, ['netns', 'del', name], { stdio: 'ignore' });
  process.exit(0);
}
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk; let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const [op, name] = buf.slice(0, i).split(' '); buf = buf.slice(i + 1);
    if (op === 'add') names.add(name); else if (op === 'del') names.delete(name);
  }
});
process.stdin.on('end', reap); process.stdin.on('error', reap);
`;

function deleteNow(): void {
  for (const name of live) spawnSync(ipPath(), ['netns', 'del', name], { stdio: 'ignore' });
  live.clear();
}

function tell(line: string): void {
  if (!watchdog) {
    watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, ipPath()], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    watchdog.unref();
    // The pipe must not keep the test process alive; it closes when we die.
    (watchdog.stdin as unknown as { unref(): void }).unref();
    process.on('exit', deleteNow);
  }
  watchdog.stdin?.write(`${line}\n`);
}

async function listNetns(): Promise<string[]> {
  const { stdout } = await run(ipPath(), ['netns', 'list']);
  return stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '');
}

/** `ip netns add NAME` with lo up; refuses a name that already exists (a leftover or a twin). */
export async function addNetns(name: string): Promise<void> {
  if (!E2E_NETNS_NAME.test(name)) throw new Error(`bad namespace name ${name}`);
  if ((await listNetns()).includes(name)) throw new Error(`network namespace ${name} already exists`);
  // Tracked before it exists: a crash between the two must not leak it.
  live.add(name);
  tell(`add ${name}`);
  await run(ipPath(), ['netns', 'add', name]);
  await ipIn(name, 'link', 'set', 'lo', 'up');
}

/** `ip netns del NAME`; idempotent. */
export async function removeNetns(name: string): Promise<void> {
  if (!live.has(name)) return;
  try {
    await run(ipPath(), ['netns', 'del', name]);
  } catch (err) {
    if ((await listNetns()).includes(name)) throw err;
  }
  live.delete(name);
  tell(`del ${name}`);
}

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
