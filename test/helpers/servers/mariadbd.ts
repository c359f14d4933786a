// One throwaway mariadbd process: the part the loopback server (server.ts) and the
// network-namespace one (ns-server.ts) share. Its own temp dir holding a copy of a freshly
// installed datadir, a socket, an error log; --no-defaults first on every command line (never
// /etc/mysql); the pid tracked by the reaper with the datadir as marker; master-master-ready
// options (binlog, one GTID domain per server, strict mode).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { trackGroup, trackPid, untrackGroup, untrackPid } from '../reaper.js';
import { makeTempDir, removeTempDir } from '../temp-dir.js';
import { waitFor } from '../wait.js';
import { binaries } from './binaries.js';
import { RootSql } from './root-sql.js';

const run = promisify(execFile);

// Small InnoDB files: a datadir is ~25 MB and copies in tens of ms.
const INNODB_ARGS = ['--innodb-log-file-size=8M', '--innodb-buffer-pool-size=32M'];
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * Runs a command in its own process group, tracked so that the processes it
 * starts (mariadb-install-db runs mariadbd --bootstrap) die with us too.
 */
function runInOwnGroup(command: string, args: string[], marker: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    const pgid = child.pid;
    if (pgid !== undefined) trackGroup(pgid, marker);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (pgid !== undefined) untrackGroup(pgid);
      if (code === 0) resolve();
      else reject(new Error(`${command} failed (${code ?? signal}): ${stderr.trim().split('\n').slice(-5).join('\n')}`));
    });
  });
}

// One freshly installed datadir per test process, copied for each server.
// Per process (not shared through globalSetup) so parallel workers never
// race on it; an install takes well under a second.
let template: Promise<string> | undefined;

function templateDatadir(): Promise<string> {
  template ??= (async () => {
    const dir = await makeTempDir();
    const datadir = join(dir, 'data');
    await runInOwnGroup(binaries().installDb, [
      '--no-defaults', `--datadir=${datadir}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db', ...INNODB_ARGS,
    ], datadir);
    return datadir;
  })();
  return template;
}

function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return '(no error log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** A new temp dir with a copy of the template datadir, for one server. */
export async function serverDir(): Promise<string> {
  const source = await templateDatadir();
  const dir = await makeTempDir();
  await run('cp', ['-a', source, join(dir, 'data')]);
  if (join(dir, 'mysqld.sock').length > 100) {
    await removeTempDir(dir);
    throw new Error(`socket path too long for a Unix socket (set TMPDIR shorter): ${join(dir, 'mysqld.sock')}`);
  }
  return dir;
}

export interface MariadbdOptions {
  serverId: number;
  port: number;
  bindAddress: string;
  /** The address clients and replicas reach it at. */
  host: string;
  /** The OS user mariadbd runs as (default root); another user must own `dir` and the datadir. */
  user?: string;
  /** Where the datadir is (default DIR/data), e.g. on a small file system (disk/small-fs.ts). */
  datadir?: string;
  /** Options of the harness (report-host, semi-sync, ...), before the test's own. */
  harnessArgs?: string[];
  /** Extra mariadbd options from the test, appended last (so they win). */
  extraArgs?: string[];
}

export abstract class MariadbdProcess extends RootSql {
  readonly serverId: number;
  readonly host: string;
  readonly port: number;
  readonly datadir: string;
  readonly socket: string;
  readonly errorLog: string;
  protected readonly args: string[];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  protected constructor(readonly dir: string, o: MariadbdOptions) {
    super();
    this.serverId = o.serverId;
    this.host = o.host;
    this.port = o.port;
    this.datadir = o.datadir ?? join(dir, 'data');
    this.socket = join(dir, 'mysqld.sock');
    this.errorLog = join(dir, 'error.log');
    this.args = [
      '--no-defaults',
      `--datadir=${this.datadir}`,
      `--user=${o.user ?? 'root'}`,
      `--port=${o.port}`,
      `--bind-address=${o.bindAddress}`,
      `--socket=${this.socket}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${this.errorLog}`,
      `--tmpdir=${dir}`,
      `--server-id=${o.serverId}`,
      // One GTID domain per server: concurrent writes on both sides of a
      // master-master pair then never collide under gtid_strict_mode.
      `--gtid-domain-id=${o.serverId}`,
      '--log-bin=mysql-bin',
      '--relay-log=relay-bin',
      '--log-slave-updates',
      '--gtid-strict-mode',
      '--skip-name-resolve',
      // An IO thread notices a dead or frozen master within a few seconds.
      '--slave-net-timeout=3',
      // A crash-safe replica, as production should run one: after a kill -9, the relay logs
      // are discarded and fetched again from gtid_slave_pos (InnoDB, crash-safe) instead of
      // trusting relay-log.info, which a START SLAVE by GTID leaves naming a relay log it has
      // just purged until the SQL thread rewrites it. Without this, a kill -9 in that window
      // restarts with "Failed to initialize the master info structure" and no replication
      // (test/integration/replica-crash-safe.test.ts; docs/failover.md).
      '--relay-log-recovery=ON',
      '--innodb-flush-log-at-trx-commit=2',
      '--sync-binlog=0',
      ...INNODB_ARGS,
      ...(o.harnessArgs ?? []),
      ...(o.extraArgs ?? []),
    ];
  }

  /** The command that starts mariadbd with `args` (a namespace harness prefixes `ip netns exec`). */
  protected command(mariadbd: string, args: string[]): [string, string[]] {
    return [mariadbd, args];
  }

  /** Where it listens, for messages. */
  protected abstract get where(): string;

  /** Launches a server made by `make`; on failure, cleans it up and rethrows. */
  protected static async boot<T extends MariadbdProcess>(make: (dir: string) => T | Promise<T>): Promise<T> {
    const dir = await serverDir();
    let server: T;
    try {
      server = await make(dir);
    } catch (err) {
      await removeTempDir(dir);
      throw err;
    }
    try {
      await server.launch();
    } catch (err) {
      await server.cleanup();
      throw err;
    }
    return server;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  protected async launch(): Promise<void> {
    const [command, args] = this.command(binaries().mariadbd, this.args);
    const child = spawn(command, args, { stdio: 'ignore' });
    this.child = child;
    const pid = child.pid;
    if (pid === undefined) throw new Error('mariadbd did not start');
    // A command prefix like `ip netns exec` execs mariadbd in place: same pid, datadir in both cmdlines.
    trackPid(pid, this.datadir);
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        untrackPid(pid);
        resolve();
      });
    });
    try {
      await waitFor(`mariadbd ${this.serverId} ${this.where} to accept connections`, async () => {
        if (!this.running) throw new Error(`mariadbd exited (${child.exitCode ?? child.signalCode})`);
        await this.rootConnection();
        return true;
      }, { timeoutMs: READY_TIMEOUT_MS, intervalMs: 100 });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`${message}\n--- tail of ${this.errorLog} ---\n${tail(this.errorLog)}`);
    }
  }

  async readOnly(): Promise<boolean> {
    return (await this.variable('read_only')) === '1';
  }

  /** Connections the harness holds, dropped when the server is killed (root's, by default). */
  protected forgetConnections(): void {
    this.dropRootConnection();
  }

  /** What the harness does before a graceful stop (closing its connections cleanly). */
  protected async beforeStop(): Promise<void> {}

  /** Sends a signal to mariadbd (SIGKILL: the crash failover tests start from). After SIGKILL, await exit() or restart(). */
  kill(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === undefined) throw new Error(`mariadbd ${this.serverId} is not running`);
    if (signal === 'SIGKILL') this.forgetConnections();
    process.kill(pid, signal);
  }

  /** Resolves when mariadbd has exited (immediately if it is not running). */
  exit(): Promise<void> {
    return this.exited;
  }

  /** Graceful shutdown (SIGTERM), escalating to SIGKILL after 30 s. */
  async stop(): Promise<void> {
    if (!this.running) return this.exited;
    const pid = this.child?.pid as number;
    // A SIGSTOPped server could neither close our connections nor act on SIGTERM.
    process.kill(pid, 'SIGCONT');
    await this.beforeStop();
    this.forgetConnections();
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => this.running && process.kill(pid, 'SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /**
   * Starts mariadbd again on the same datadir and command line, stopping it first if it runs.
   * After a kill -9: InnoDB crash recovery, then replication resumes from master.info, as on
   * a real restart.
   */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** SIGKILLs mariadbd if still running and removes its dir. Idempotent. */
  async cleanup(): Promise<void> {
    this.forgetConnections();
    const pid = this.pid;
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
    await this.exited;
    await removeTempDir(this.dir);
  }
}
