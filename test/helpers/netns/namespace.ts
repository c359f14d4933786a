// Network namespaces for suites that run real keepalived: created by the test, named
// cmtest-<pid>-<n> (unique per run), holding only loopback and a veth pair with a TEST-NET-1
// address, and removed however the test process ends:
//  - normal end: the suite calls remove();
//  - process.exit / uncaught error: the 'exit' hook below runs `ip netns del`;
//  - SIGKILL of the worker, or the reaper's watchdog killing an orphaned fork: a detached
//    watchdog of our own holds a pipe to us and deletes what is left when that pipe closes.
// (test/helpers/reaper.ts cannot run commands, so this mirrors its design for namespaces.)
// `ip netns del` only drops the name: the namespace itself goes when its last process does,
// which the reaper (trackGroup) sees to for keepalived.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** TEST-NET-1 (RFC 5737) only: never a private range or an address that routes anywhere. */
export const NETNS_ADDRESS = '192.0.2.1/24';
/** The interface keepalived's vrrp_instance uses inside the namespace. */
export const NETNS_INTERFACE = 'd0';
/** The only namespace names our tests create, and so the only ones ever deleted. */
export const TEST_NETNS_NAME = /^(cmtest-\d+-\d+|cme-\d+-(a|b|client|br))$/;

export function findIp(): string | undefined {
  for (const candidate of ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip']) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* try the next one */
    }
  }
  return undefined;
}

function ip(): string {
  const found = findIp();
  if (!found) throw new Error('ip (iproute2) not found');
  return found;
}

const live = new Set<string>();
let watchdog: ChildProcess | undefined;
let counter = 0;

// Plain JS for `node -e`: ignores terminal signals, deletes the namespaces it was told of at EOF.
const WATCHDOG_SOURCE = String.raw`
const { spawnSync } = require('child_process');
const [ip, pattern] = process.argv.slice(1);
const owned = new RegExp(pattern);
const names = new Set(); let buf = '';
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
function reap() {
  for (const name of names) if (owned.test(name)) spawnSync(ip, ['netns', 'del', name], { stdio: 'ignore' });
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
  for (const name of live) spawnSync(ip(), ['netns', 'del', name], { stdio: 'ignore' });
  live.clear();
}

function tell(line: string): void {
  if (!watchdog) {
    watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, ip(), TEST_NETNS_NAME.source], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    watchdog.unref();
    // The pipe must not keep the test process alive; it closes when we die.
    (watchdog.stdin as unknown as { unref(): void }).unref();
    process.on('exit', deleteNow);
  }
  watchdog.stdin?.write(`${line}\n`);
}

export interface Netns {
  readonly name: string;
  /** The namespace's interface for VRRP (one end of a veth pair whose other end is up too). */
  readonly iface: string;
  /** `ip netns del`; idempotent. */
  remove(): Promise<void>;
}

async function namespaces(): Promise<string[]> {
  const { stdout } = await run(ip(), ['netns', 'list']);
  return stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '');
}

/**
 * `ip netns add NAME` with lo up, tracked so that it is deleted however the test process ends
 * (the 'exit' hook, or the detached watchdog when the process is SIGKILLed).
 */
export async function addTrackedNetns(name: string): Promise<void> {
  if (!TEST_NETNS_NAME.test(name)) throw new Error(`bad namespace name ${name}`);
  if ((await namespaces()).includes(name)) throw new Error(`network namespace ${name} already exists`);
  // Tracked before it exists: a crash between the two must not leak it.
  live.add(name);
  tell(`add ${name}`);
  await run(ip(), ['netns', 'add', name]);
  await run(ip(), ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** `ip netns del NAME` for a tracked namespace; idempotent. */
export async function deleteTrackedNetns(name: string): Promise<void> {
  if (!live.has(name)) return;
  try {
    await run(ip(), ['netns', 'del', name]);
  } catch (err) {
    if ((await namespaces()).includes(name)) throw err;
  }
  live.delete(name);
  tell(`del ${name}`);
}

/**
 * A fresh namespace with lo up and a veth pair d0/d1, 192.0.2.1/24 on d0. A veth pair rather
 * than a dummy interface: some kernels (this machine's among them) have no dummy driver.
 */
export async function createNetns(): Promise<Netns> {
  const name = `cmtest-${process.pid}-${++counter}`;
  const remove = () => deleteTrackedNetns(name);
  try {
    await addTrackedNetns(name);
    for (const args of [
      ['link', 'add', NETNS_INTERFACE, 'type', 'veth', 'peer', 'name', 'd1'],
      ['link', 'set', 'd1', 'up'],
      ['link', 'set', NETNS_INTERFACE, 'up'],
      ['addr', 'add', NETNS_ADDRESS, 'dev', NETNS_INTERFACE],
    ]) {
      await run(ip(), ['-n', name, ...args]);
    }
  } catch (err) {
    await remove().catch(() => undefined);
    throw new Error(`cannot set up network namespace ${name}: ${(err as Error).message}`);
  }
  return { name, iface: NETNS_INTERFACE, remove };
}
