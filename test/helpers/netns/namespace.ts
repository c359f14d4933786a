// Network namespaces that the tests create, and remove however the test process ends:
//  - normal end: the suite or the topology calls removeNetns();
//  - process.exit / uncaught error: the 'exit' hook below runs `ip netns del`;
//  - SIGKILL of the worker, or the reaper's watchdog killing an orphaned fork: a detached
//    watchdog of our own holds a pipe to us and deletes what is left when that pipe closes.
// (test/helpers/reaper.ts cannot run commands, so this mirrors its design for namespaces.)
// `ip netns del` only drops the name: the namespace itself goes when its last process does,
// which the reaper sees to for the processes started in it. Also running `ip` and commands
// inside a namespace.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { findExecutable } from '../executables.js';

const run = promisify(execFile);

/**
 * The only namespace names our tests create, and so the only ones ever deleted: a single host
 * (single-host.ts) or the end-to-end topology's (bridge.ts).
 */
export const TEST_NETNS_NAME = /^(cmtest-\d+-\d+|cme-\d+-(a|b|client|br))$/;

export function findIp(): string | undefined {
  return findExecutable('ip');
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
  for (const name of live) spawnSync(ipPath(), ['netns', 'del', name], { stdio: 'ignore' });
  live.clear();
}

function tell(line: string): void {
  if (!watchdog) {
    watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, ipPath(), TEST_NETNS_NAME.source], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    watchdog.unref();
    // The pipe must not keep the test process alive; it closes when we die.
    (watchdog.stdin as unknown as { unref(): void }).unref();
    process.on('exit', deleteNow);
  }
  watchdog.stdin?.write(`${line}\n`);
}

async function namespaces(): Promise<string[]> {
  const { stdout } = await run(ipPath(), ['netns', 'list']);
  return stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '');
}

/**
 * `ip netns add NAME` with lo up, tracked so that it is deleted however the test process ends
 * (the 'exit' hook, or the detached watchdog when the process is SIGKILLed); refuses a name
 * that already exists (a leftover or a twin).
 */
export async function addNetns(name: string): Promise<void> {
  if (!TEST_NETNS_NAME.test(name)) throw new Error(`bad namespace name ${name}`);
  if ((await namespaces()).includes(name)) throw new Error(`network namespace ${name} already exists`);
  // Tracked before it exists: a crash between the two must not leak it.
  live.add(name);
  tell(`add ${name}`);
  await run(ipPath(), ['netns', 'add', name]);
  await run(ipPath(), ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** `ip netns del NAME` for a namespace addNetns made; idempotent (a no-op for any other name). */
export async function removeNetns(name: string): Promise<void> {
  if (!live.has(name)) return;
  try {
    await run(ipPath(), ['netns', 'del', name]);
  } catch (err) {
    if ((await namespaces()).includes(name)) throw err;
  }
  live.delete(name);
  tell(`del ${name}`);
}

/** `ip -n NS ARGS...`, resolving with stdout. */
export async function ipIn(ns: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(ipPath(), ['-n', ns, ...args]);
  return stdout;
}

/** `sysctl -w KEY=VALUE` inside `ns`, for a per-namespace key (net.ipv4.tcp_*: the "host's" TCP). */
export async function sysctlIn(ns: string, key: string, value: string | number): Promise<void> {
  const [command, args] = inNetns(ns, 'sysctl', ['-q', '-w', `${key}=${value}`]);
  await run(command, args);
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
