// Guarantees that servers, mounts and temp dirs started by tests disappear,
// however the test process ends (processes first, then mounts, then dirs: a
// mount is busy until its processes are gone, a dir until it is unmounted):
//  - normal end: each suite's afterAll calls cleanup();
//  - process.exit / uncaught error: the 'exit' hook below SIGKILLs and rms;
//  - SIGKILL/SIGTERM of the worker, runner interrupted: a detached watchdog
//    holds a pipe to us and reaps everything when that pipe closes;
//  - orphaned vitest fork (the main process died; such a fork was seen to
//    go on running tests, then spin at 100% CPU forever, so no in-process
//    hook helps): the watchdog notices our parent change, SIGKILLs us (its
//    own parent, by pid) so we start nothing more, then reaps.
// A process is killed only if /proc/PID/cmdline contains its marker (its
// datadir), so a recycled pid is never hit.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';

const pids = new Map<number, string>();
const groups = new Map<number, string>();
const dirs = new Set<string>();
const mounts = new Set<string>();
let watchdog: ChildProcess | undefined;

// A killed process holds its files for a moment, so `umount` is retried, for at most
// UNMOUNT_TRIES * UNMOUNT_PAUSE_MS, then done lazily (`umount -l`: the mount goes when the last
// file is closed; a loop device set up by `mount -o loop` is freed with it).
const UNMOUNT_TRIES = 50;
const UNMOUNT_PAUSE_MS = 100;

// Plain JS run with `node -e`; it ignores terminal signals and acts on EOF.
// Mirrors reapNow() below.
const WATCHDOG_SOURCE = String.raw`
const fs = require('fs');
const { spawnSync } = require('child_process');
const pids = new Map(); const groups = new Map(); const dirs = new Set(); const mounts = new Set(); let buf = '';
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
function owns(pid, marker) {
  try { return fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes(marker); } catch { return false; }
}
function pgrp(pid) {
  try { const s = fs.readFileSync('/proc/' + pid + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[2]); } catch { return -1; }
}
function reap() {
  // Only while we are still its child can the owner's pid not have been reused.
  if (orphaned && process.ppid === owner) try { process.kill(owner, 'SIGKILL'); } catch {}
  const victims = [...pids];
  if (groups.size) for (const p of fs.readdirSync('/proc')) {
    const marker = /^\d+$/.test(p) && groups.get(pgrp(Number(p)));
    if (marker) victims.push([Number(p), marker]);
  }
  for (const [pid, marker] of victims) if (owns(pid, marker)) try { process.kill(pid, 'SIGKILL'); } catch {}
  for (const m of mounts) unmount(m);
  for (const d of dirs) try { fs.rmSync(d, { recursive: true, force: true }); } catch {}
  process.exit(0);
}
function unmount(m) {
  for (let i = 0; i < ${UNMOUNT_TRIES}; i++) {
    if (spawnSync('umount', [m], { stdio: 'ignore' }).status === 0) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${UNMOUNT_PAUSE_MS});
  }
  spawnSync('umount', ['-l', m], { stdio: 'ignore' });
}
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk; let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const [op, a, ...rest] = buf.slice(0, i).split(' '); buf = buf.slice(i + 1);
    if (op === 'pid') pids.set(Number(a), rest.join(' '));
    else if (op === 'unpid') pids.delete(Number(a));
    else if (op === 'group') groups.set(Number(a), rest.join(' '));
    else if (op === 'ungroup') groups.delete(Number(a));
    else if (op === 'dir') dirs.add(a);
    else if (op === 'undir') dirs.delete(a);
    else if (op === 'mount') mounts.add(a);
    else if (op === 'unmount') mounts.delete(a);
  }
});
process.stdin.on('end', reap); process.stdin.on('error', reap);
const [owner, ownerParent] = process.argv.slice(1).map(Number);
let orphaned = false;
function parentOf(pid) {
  try { const s = fs.readFileSync('/proc/' + pid + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]); } catch { return -1; }
}
if (ownerParent > 0) setInterval(() => { if (parentOf(owner) !== ownerParent) { orphaned = true; reap(); } }, 500);
`;

function tell(line: string): void {
  if (!watchdog) {
    // Watch our parent only when we are a runner's fork (IPC channel open);
    // a script started from a shell may outlive that shell on purpose.
    const ownerParent = process.connected ? process.ppid : 0;
    watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, String(process.pid), String(ownerParent)], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    watchdog.unref();
    // The pipe must not keep the test process alive; it closes when we die.
    (watchdog.stdin as unknown as { unref(): void }).unref();
    process.on('exit', reapNow);
  }
  watchdog.stdin?.write(line + '\n');
}

function owns(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

function processGroupOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return -1;
  }
}

function reapNow(): void {
  const victims = [...pids];
  if (groups.size > 0) {
    for (const entry of readdirSync('/proc')) {
      const marker = /^\d+$/.test(entry) ? groups.get(processGroupOf(Number(entry))) : undefined;
      if (marker) victims.push([Number(entry), marker]);
    }
  }
  for (const [pid, marker] of victims) {
    // SIGKILL also ends a SIGSTOPped process; no SIGCONT needed.
    if (owns(pid, marker)) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  for (const mount of mounts) unmountNow(mount);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

function unmountNow(mount: string): void {
  for (let i = 0; i < UNMOUNT_TRIES; i++) {
    if (spawnSync('umount', [mount], { stdio: 'ignore' }).status === 0) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, UNMOUNT_PAUSE_MS);
  }
  spawnSync('umount', ['-l', mount], { stdio: 'ignore' });
}

/** Dir names must not contain spaces or newlines (ours come from mkdtemp). */
export function trackDir(dir: string): void {
  dirs.add(dir);
  tell(`dir ${dir}`);
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
  tell(`undir ${dir}`);
}

/**
 * A file system the test mounted (its mount point, without spaces or newlines): unmounted after
 * the tracked processes are killed and before the tracked dirs are removed.
 */
export function trackMount(mountPoint: string): void {
  mounts.add(mountPoint);
  tell(`mount ${mountPoint}`);
}

export function untrackMount(mountPoint: string): void {
  mounts.delete(mountPoint);
  tell(`unmount ${mountPoint}`);
}

/** `marker` must appear in the process's cmdline, e.g. its --datadir. */
export function trackPid(pid: number, marker: string): void {
  pids.set(pid, marker);
  tell(`pid ${pid} ${marker}`);
}

export function untrackPid(pid: number): void {
  pids.delete(pid);
  tell(`unpid ${pid}`);
}

/**
 * Every member of process group `pgid` whose cmdline contains `marker`,
 * e.g. the mariadbd that mariadb-install-db (a shell script) starts.
 */
export function trackGroup(pgid: number, marker: string): void {
  groups.set(pgid, marker);
  tell(`group ${pgid} ${marker}`);
}

export function untrackGroup(pgid: number): void {
  groups.delete(pgid);
  tell(`ungroup ${pgid}`);
}
