/**
 * The processes a bench starts, and what /proc says they cost. Only processes started here are
 * ever signalled, by their own pid; the reaper kills them if the bench itself dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { trackPid, untrackPid } from '../../test/helpers/reaper.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export const pct = (xs: readonly number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

/**
 * Time on CPU of the live threads in ms, to the nanosecond (/proc/PID/task/TID/schedstat): fine
 * enough for 10 s windows of a process that spends a few ms a second (utime+stime in /proc/PID/stat
 * counts 10 ms ticks). A thread that exits takes its time with it: the processes measured here
 * keep theirs (libuv's pool, V8's helpers, Go's Ms).
 */
export function cpuMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread exited between the listing and the read
    }
  }
  return ns / 1e6;
}

export const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/**
 * Starts a process the reaper will kill if the bench dies; `marker` must be in its command line
 * (a path in the bench's temp dir), so a recycled pid is never hit.
 */
export function start(cmd: string, args: string[], marker: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${cmd} did not start`);
  trackPid(pid, marker);
  child.once('exit', () => untrackPid(pid));
  Object.defineProperty(child, 'stderrTail', { get: () => stderr });
  return child;
}

/** The last 4000 characters the process wrote to stderr (for a failure's message). */
export const stderrOf = (child: ChildProcess): string => ((child as unknown as { stderrTail?: string }).stderrTail ?? '').trim();

/** SIGTERM, then SIGKILL after 3 s: this pid only. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(3000)]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
}

export function assertRunning(child: ChildProcess, what: string): void {
  if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}): ${stderrOf(child) || 'no stderr'}`);
}
