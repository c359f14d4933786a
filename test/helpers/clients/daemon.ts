// Runs the real daemon (bin/check-mysql daemon) as systemd would: a child process with a
// minimal environment, the password only in MYSQL_PWD or its config file, JSON log lines on
// stdout. Also the watchers the daemon suites measure with: track/status files polled every
// millisecond (and woken by fs.watch), and plain node:http GETs timed end to end.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { request } from 'node:http';
import { basename, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN } from './cli.js';
import { jsonLines } from '../json-lines.js';
import { trackPid, untrackPid } from '../reaper.js';

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
  static async start({ args, password, marker }: DaemonOptions): Promise<DaemonProcess> {
    if (!args.some((a) => a.includes(marker))) throw new Error(`marker ${marker} is not in the daemon's arguments`);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' };
    if (password !== undefined) env.MYSQL_PWD = password;
    const fullArgs = [BIN, 'daemon', ...args];
    const child = spawn(process.execPath, fullArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) trackPid(child.pid, marker);
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

// --- files -----------------------------------------------------------------------------------

export function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The parsed status file, or undefined while it is missing or (never, if atomic) partial. */
export function readStatus(path: string): Record<string, unknown> | undefined {
  const text = readOrUndefined(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export interface Seen {
  content: string | undefined;
  /** performance.now() when the watcher first saw it. */
  at: number;
}

/**
 * Calls `look` every millisecond and on every fs.watch event in the file's directory (the
 * daemon replaces the file by rename, which is what keepalived's inotify sees too).
 */
function watchFile(path: string, look: () => void): () => void {
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), (_event, name) => {
      if (name === null || name === basename(path)) look();
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined; // polling alone still works
  }
  const timer = setInterval(look, 1);
  return () => {
    clearInterval(timer);
    watcher?.close();
  };
}

/**
 * Resolves when `path`'s content satisfies `match`, with the moment it was first seen. Checked
 * at once, then every ms and on every change event: the measured latencies carry ~1 ms of error.
 */
export function waitForContent(path: string, match: (content: string | undefined) => boolean, what: string, timeoutMs = 10_000): Promise<Seen> {
  return new Promise((resolve, reject) => {
    let done = false;
    let stop = (): void => undefined;
    const finish = (err: Error | undefined, seen?: Seen) => {
      if (done) return;
      done = true;
      stop();
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(seen as Seen);
    };
    const look = () => {
      const content = readOrUndefined(path);
      if (match(content)) finish(undefined, { content, at: now() });
    };
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${path} holds ${JSON.stringify(readOrUndefined(path))})`)), timeoutMs);
    look();
    if (!done) stop = watchFile(path, look);
  });
}

/** Waits until a track file reads exactly `value` + newline (what keepalived's strtol sees). */
export function waitForTrack(path: string, value: 0 | 1, timeoutMs = 10_000): Promise<Seen> {
  return waitForContent(path, (c) => c === `${value}\n`, `track file ${basename(path)} to read ${value}`, timeoutMs);
}

/** Records every distinct content a file shows (a flap to 1 and back would be caught). */
export function recordFile(path: string): { stop(): Seen[] } {
  const seen: Seen[] = [];
  const look = () => {
    const content = readOrUndefined(path);
    if (seen.length === 0 || seen[seen.length - 1]?.content !== content) seen.push({ content, at: now() });
  };
  look();
  const stop = watchFile(path, look);
  return {
    stop() {
      look();
      stop();
      return seen;
    },
  };
}

// --- HTTP ------------------------------------------------------------------------------------

export interface HttpAnswer {
  status: number;
  body: string;
  /** From the request to the last byte, over a fresh TCP connection. */
  ms: number;
}

/** GET over a new connection each time (no agent), as a scraper or HAProxy check would. */
export function httpGet(port: number, path: string, timeoutMs = 5_000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: msSince(t0) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} took over ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface LatencySummary {
  n: number;
  p50: number;
  max: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const p50 = sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
  return { n: sorted.length, p50, max: sorted[sorted.length - 1] ?? Number.NaN };
}
