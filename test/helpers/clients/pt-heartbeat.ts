// Percona's pt-heartbeat (Debian percona-toolkit) against a test server, over its Unix socket
// (which works across network namespaces): `--update` as a tracked child process that writes
// this server's row every interval, and `--check`, which prints the lag of a master's row.
// The account's password is never on a command line: it sits in a defaults file of mode 0600
// in a temp dir of our own.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findExecutable } from '../executables.js';
import { trackPid, untrackPid } from '../reaper.js';
import type { Credentials } from '../servers/credentials.js';
import { makeTempDir, removeTempDir } from '../temp-dir.js';

const run = promisify(execFile);

const ROOT: Credentials = { user: 'root', password: '' };
const STOP_TIMEOUT_MS = 5_000;
const CHECK_TIMEOUT_MS = 10_000;

/** What pt-heartbeat needs of a test server (servers/server.ts, servers/ns-server.ts). */
export interface HeartbeatServer {
  readonly socket: string;
}

export interface PtHeartbeatOptions {
  /** The database of the `heartbeat` table; it must exist (the table is made with --create-table). */
  db: string;
  /** Default root (no password). */
  account?: Credentials;
  /** --interval in seconds (default 0.5). */
  intervalS?: number;
}

export function ptHeartbeatMissing(): string | undefined {
  return findExecutable('pt-heartbeat') ? undefined : 'pt-heartbeat not found (Debian: apt-get install percona-toolkit)';
}

function ptHeartbeat(): string {
  const found = findExecutable('pt-heartbeat');
  if (!found) throw new Error(ptHeartbeatMissing());
  return found;
}

/** A defaults file of mode 0600 for `account` in `dir`; returns its path. */
function writeDefaultsFile(dir: string, account: Credentials): string {
  const file = join(dir, 'pt-heartbeat.cnf');
  const quoted = (v: string) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  writeFileSync(file, `[client]\nuser=${quoted(account.user)}\npassword=${quoted(account.password)}\n`, { mode: 0o600, flag: 'wx' });
  return file;
}

export class PtHeartbeatUpdater {
  private readonly exited: Promise<void>;
  private stderr = '';

  private constructor(private readonly child: ChildProcess, private readonly dir: string, readonly defaultsFile: string) {
    const pid = child.pid as number;
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-4096)));
    this.exited = new Promise((resolve) => child.once('exit', () => {
      untrackPid(pid);
      resolve();
    }));
  }

  /** `pt-heartbeat --update --create-table -D DB --utc --interval I` against `server`. */
  static async start(server: HeartbeatServer, o: PtHeartbeatOptions): Promise<PtHeartbeatUpdater> {
    const dir = await makeTempDir();
    const defaults = writeDefaultsFile(dir, o.account ?? ROOT);
    // --defaults-file must come first; its path, in the cmdline, is the reaper's marker.
    const args = [`--defaults-file=${defaults}`, `--socket=${server.socket}`, '--update', '--create-table', '-D', o.db, '--utc', '--interval', String(o.intervalS ?? 0.5)];
    const child = spawn(ptHeartbeat(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    if (child.pid === undefined) {
      await removeTempDir(dir);
      throw new Error('pt-heartbeat did not start');
    }
    trackPid(child.pid, defaults);
    return new PtHeartbeatUpdater(child, dir, defaults);
  }

  get pid(): number | undefined {
    return this.running ? this.child.pid : undefined;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Its last stderr lines, for failure messages. */
  get errors(): string {
    return this.stderr.trim();
  }

  /** SIGTERM by pid (pt-heartbeat ends after its current interval), SIGKILL after 5 s; removes its dir. Idempotent. */
  async stop(): Promise<void> {
    const pid = this.pid;
    if (pid !== undefined) {
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => this.running && process.kill(pid, 'SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    await removeTempDir(this.dir);
  }
}

/**
 * `pt-heartbeat --check -D DB --utc --master-server-id N` against `server`: the lag in seconds it
 * prints (the age of master N's row). With --no-insert-heartbeat-row: by default a check that
 * finds no row for N INSERTs one stamped now and reports a lag of about 0 (measured); here it
 * throws with pt-heartbeat's message instead, and never writes. `extra`: more options, e.g. --skew.
 */
export async function ptHeartbeatCheck(server: HeartbeatServer, db: string, masterServerId: number, account: Credentials = ROOT, extra: readonly string[] = []): Promise<number> {
  const dir = await makeTempDir();
  try {
    const defaults = writeDefaultsFile(dir, account);
    const args = [`--defaults-file=${defaults}`, `--socket=${server.socket}`, '--check', '--no-insert-heartbeat-row', '-D', db, '--utc', '--master-server-id', String(masterServerId), ...extra];
    const { stdout } = await run(ptHeartbeat(), args, { timeout: CHECK_TIMEOUT_MS, killSignal: 'SIGKILL' });
    const lag = Number(stdout.trim());
    if (stdout.trim() === '' || !Number.isFinite(lag)) throw new Error(`pt-heartbeat --check printed no lag: ${JSON.stringify(stdout)}`);
    return lag;
  } finally {
    await removeTempDir(dir);
  }
}
