// Runs the real daemon (bin/check-mysql daemon) as systemd would: a child process with a
// minimal environment, the password only in MYSQL_PWD or its config file, JSON log lines on
// stdout; or, for the end-to-end topology, inside a network namespace with its output in a
// file. What it publishes (files, HTTP) is watched with daemon-outputs.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { jsonLines } from '../json-lines.js';
import { inNetns } from '../netns/namespace.js';
import { trackPid, untrackPid } from '../reaper.js';
import { BIN } from '../repo.js';
import { cliEnv } from './cli.js';

/** One pino line from the daemon's stdout. */
export interface LogLine {
  level: string;
  time: string;
  msg: string;
  target?: string;
  healthy?: boolean;
  [key: string]: unknown;
}

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() when the parent saw the exit. */
  at: number;
}

export interface DaemonOptions {
  /** The words after `check-mysql daemon`. */
  args: string[];
  /** Sent as MYSQL_PWD (command-line targets only; a config file carries its own). */
  password?: string;
  /**
   * A string in the daemon's command line that no other process has (e.g. its temp dir): the
   * reaper kills a tracked pid only if its cmdline still contains it.
   */
  marker: string;
  /** Called as soon as the process exists, before it has started: to watch it from its first ms. */
  onSpawn?: (pid: number) => void;
}

export const now = (): number => performance.now();

/** Monotonic ms since `t0` (performance.now() based), rounded to 0.1 ms for printing. */
export const msSince = (t0: number, t1: number = now()): number => Math.round((t1 - t0) * 10) / 10;

export class DaemonProcess {
  readonly pid: number;
  readonly lines: LogLine[] = [];
  /** Whatever stdout held that was not a JSON line, and all of stderr: for failure messages. */
  private other = '';
  readonly exited: Promise<DaemonExit>;
  private exitInfo: DaemonExit | undefined;

  private constructor(private readonly child: ChildProcess, readonly args: string[]) {
    const pid = child.pid;
    if (pid === undefined) throw new Error('check-mysql daemon did not start');
    this.pid = pid;
    child.stdout?.setEncoding('utf8').on('data', jsonLines((o) => this.lines.push(o as unknown as LogLine), (line) => (this.other += `${line}\n`)));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.other += d));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal, at: now() };
        untrackPid(pid);
        resolve(this.exitInfo);
      });
    });
  }

  /** Spawns the daemon; resolves once it has logged its start (listening, monitors running). */
  static async start({ args, password, marker, onSpawn }: DaemonOptions): Promise<DaemonProcess> {
    if (!args.some((a) => a.includes(marker))) throw new Error(`marker ${marker} is not in the daemon's arguments`);
    const child = spawn(process.execPath, [BIN, 'daemon', ...args], { env: cliEnv(password), stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) trackPid(child.pid, marker);
    if (child.pid !== undefined) onSpawn?.(child.pid);
    const daemon = new DaemonProcess(child, args);
    try {
      await daemon.waitForLog('the daemon to start', (l) => l.msg.startsWith('check-mysql daemon started'), 10_000);
    } catch (err) {
      await daemon.kill();
      throw err;
    }
    return daemon;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get exit(): DaemonExit | undefined {
    return this.exitInfo;
  }

  /** stderr, and whatever stdout held that was not a JSON line. */
  get otherOutput(): string {
    return this.other;
  }

  /** Everything it said, for assertion messages. */
  describe(): string {
    const log = this.lines.map((l) => `  ${l.time} ${l.level} ${l.msg}`).join('\n');
    const exit = this.exitInfo ? `exited ${this.exitInfo.code ?? this.exitInfo.signal}` : 'running';
    return `check-mysql daemon ${this.args.join(' ')} (pid ${this.pid}, ${exit})\nlog:\n${log || '  (none)'}\nother output: ${this.other.trim() || '(none)'}`;
  }

  /** Waits for a log line (already logged or to come), returning it. */
  async waitForLog(what: string, match: (l: LogLine) => boolean, timeoutMs = 5_000, fromIndex = 0): Promise<LogLine> {
    const deadline = now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(fromIndex).find(match);
      if (found) return found;
      if (!this.running) throw new Error(`the daemon exited while waiting for ${what}\n${this.describe()}`);
      if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.describe()}`);
      await sleep(5);
    }
  }

  /** Log lines that report a target's verdict (one per transition, and the first verdict). */
  transitions(fromIndex = 0): LogLine[] {
    return this.lines.slice(fromIndex).filter((l) => typeof l.target === 'string' && typeof l.healthy === 'boolean');
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.running) throw new Error(`the daemon is not running\n${this.describe()}`);
    process.kill(this.pid, signal);
  }

  /** SIGTERM as systemd sends it; resolves with the ms from the signal to the exit the parent sees. */
  async stop(timeoutMs = 5_000): Promise<{ ms: number; exit: DaemonExit }> {
    const t0 = now();
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.running && process.kill(this.pid, 'SIGKILL'), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return { ms: msSince(t0, exit.at), exit };
  }

  /** SIGKILL (also ends a SIGSTOPped daemon); idempotent, for afterAll/finally. */
  async kill(): Promise<void> {
    if (this.running) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await this.exited;
  }
}

/**
 * The daemon inside network namespace `netns`, its stdout and stderr appended to `logFile`, and
 * not waited for: the end-to-end topology's, which keepalived watches through its files. The
 * reaper kills it by `marker`, a string in `args`.
 */
export function spawnNsDaemon(netns: string, args: string[], logFile: string, marker: string): ChildProcess {
  const [command, argv] = inNetns(netns, process.execPath, [BIN, 'daemon', ...args]);
  const log = openSync(logFile, 'a');
  const child = spawn(command, argv, { env: cliEnv(), stdio: ['ignore', log, log] });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`check-mysql daemon did not start in ${netns}`);
  const pid = child.pid;
  trackPid(pid, marker);
  child.once('exit', () => untrackPid(pid));
  return child;
}
