// mariadbd inside a network namespace of the end-to-end topology (`ip netns exec NS mariadbd`).
// test/helpers/mariadb.ts's Server cannot take a command prefix and binds 127.0.0.1 on a
// host port, so this is a small twin of it: same --no-defaults-first command line, same
// reaper tracking (pid + datadir marker), same temp dirs, but bound to 0.0.0.0 *inside the
// namespace* (private to it: the host address and the VIP both reach it) on E2E_MYSQL_PORT.
// The test process talks to it as root over the Unix socket in its temp dir, which works
// across network namespaces.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinaries, makeTempDir, removeTempDir, type Row } from './mariadb.js';
import { inNetns } from './e2e-netns.js';
import { trackGroup, trackPid, untrackGroup, untrackPid } from './reaper.js';
import { RootSql } from './root-sql.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

/**
 * The port every node's mariadbd listens on inside its namespace. Not 3306: a command that
 * escaped its namespace then meets a refusal, never the machine's own server.
 */
export const E2E_MYSQL_PORT = 13306;

const INNODB_ARGS = ['--innodb-log-file-size=8M', '--innodb-buffer-pool-size=32M'];
const READY_TIMEOUT_MS = 30_000;

export interface SemiSync {
  /** rpl_semi_sync_master_timeout: how long a commit waits for a replica's ACK before going async. */
  timeoutMs: number;
  /**
   * rpl_semi_sync_master_wait_no_slave (default ON: with no semi-sync replica connected, a
   * commit still waits `timeoutMs`). Measured here: on a new master whose peer was just
   * SIGKILLed, the first commit waits the full `timeoutMs` with either value, because the dead
   * peer's dump thread is only found gone when that commit's event is sent.
   */
  waitNoSlave?: boolean;
}

export interface NsServerOptions {
  netns: string;
  serverId: number;
  /** The node's own address, reported to its replicas (report_host). */
  address: string;
  /** MariaDB 10.11's built-in semi-synchronous replication, master and slave side. */
  semiSync?: SemiSync;
  extraArgs?: string[];
}

function binaries(): { mariadbd: string; installDb: string } {
  const found = findBinaries();
  if (typeof found === 'string') throw new Error(found);
  return found;
}

let template: Promise<string> | undefined;

/** One freshly installed datadir per test process, copied for each server. */
function templateDatadir(): Promise<string> {
  template ??= (async () => {
    const dir = await makeTempDir();
    const datadir = join(dir, 'data');
    await new Promise<void>((resolve, reject) => {
      // Own process group, tracked: mariadb-install-db (a shell script) runs mariadbd --bootstrap.
      const child = spawn(binaries().installDb, [
        '--no-defaults', `--datadir=${datadir}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db', ...INNODB_ARGS,
      ], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
      const pgid = child.pid;
      if (pgid !== undefined) trackGroup(pgid, datadir);
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('error', reject);
      child.once('close', (code, signal) => {
        if (pgid !== undefined) untrackGroup(pgid);
        if (code === 0) resolve();
        else reject(new Error(`mariadb-install-db failed (${code ?? signal}): ${stderr.trim().split('\n').slice(-5).join('\n')}`));
      });
    });
    return datadir;
  })();
  return template;
}

function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return '(no error log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export class NsServer extends RootSql {
  readonly netns: string;
  readonly serverId: number;
  readonly address: string;
  readonly port = E2E_MYSQL_PORT;
  readonly dir: string;
  readonly datadir: string;
  readonly socket: string;
  readonly errorLog: string;
  private readonly args: string[];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(dir: string, opts: NsServerOptions) {
    super();
    this.netns = opts.netns;
    this.serverId = opts.serverId;
    this.address = opts.address;
    this.dir = dir;
    this.datadir = join(dir, 'data');
    this.socket = join(dir, 'mysqld.sock');
    this.errorLog = join(dir, 'error.log');
    const semi = opts.semiSync
      ? [
          '--rpl-semi-sync-master-enabled=ON', '--rpl-semi-sync-slave-enabled=ON', `--rpl-semi-sync-master-timeout=${opts.semiSync.timeoutMs}`,
          `--rpl-semi-sync-master-wait-no-slave=${opts.semiSync.waitNoSlave === false ? 'OFF' : 'ON'}`,
        ]
      : [];
    this.args = [
      '--no-defaults',
      `--datadir=${this.datadir}`,
      '--user=root',
      `--port=${E2E_MYSQL_PORT}`,
      // Inside the namespace only: its host address and the VIP (when held) reach mysqld.
      '--bind-address=0.0.0.0',
      `--report-host=${opts.address}`,
      `--socket=${this.socket}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${this.errorLog}`,
      `--tmpdir=${dir}`,
      `--server-id=${opts.serverId}`,
      `--gtid-domain-id=${opts.serverId}`,
      '--log-bin=mysql-bin',
      '--relay-log=relay-bin',
      '--log-slave-updates',
      '--gtid-strict-mode',
      '--skip-name-resolve',
      '--slave-net-timeout=3',
      '--innodb-flush-log-at-trx-commit=2',
      '--sync-binlog=0',
      ...INNODB_ARGS,
      ...semi,
      ...(opts.extraArgs ?? []),
    ];
  }

  static async start(opts: NsServerOptions): Promise<NsServer> {
    const source = await templateDatadir();
    const dir = await makeTempDir();
    await run('cp', ['-a', source, join(dir, 'data')]);
    const server = new NsServer(dir, opts);
    if (server.socket.length > 100) {
      await removeTempDir(dir);
      throw new Error(`socket path too long for a Unix socket (set TMPDIR shorter): ${server.socket}`);
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

  private async launch(): Promise<void> {
    const [command, args] = inNetns(this.netns, binaries().mariadbd, this.args);
    const child = spawn(command, args, { stdio: 'ignore' });
    this.child = child;
    const pid = child.pid;
    if (pid === undefined) throw new Error('mariadbd did not start');
    // `ip netns exec` execs mariadbd in place: same pid, and the datadir is in both cmdlines.
    trackPid(pid, this.datadir);
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        untrackPid(pid);
        resolve();
      });
    });
    try {
      await waitFor(`mariadbd ${this.serverId} in ${this.netns} to accept connections`, async () => {
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

  /**
   * Starts mariadbd again on the same datadir and command line (after a kill -9: InnoDB crash
   * recovery, then the replication threads start from master.info, as on a real restart).
   */
  async restart(): Promise<void> {
    if (this.running) throw new Error(`mariadbd ${this.serverId} is still running`);
    await this.exited;
    await this.launch();
  }

  /** Sends a signal to mariadbd (SIGKILL: the crash the failover tests start from). */
  kill(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === undefined) throw new Error(`mariadbd ${this.serverId} is not running`);
    if (signal === 'SIGKILL') this.dropRootConnection();
    process.kill(pid, signal);
  }

  exit(): Promise<void> {
    return this.exited;
  }

  /** SIGKILLs mariadbd if it still runs and removes its dir. Idempotent. */
  async cleanup(): Promise<void> {
    this.dropRootConnection();
    const pid = this.pid;
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
    await this.exited;
    await removeTempDir(this.dir);
  }
}
