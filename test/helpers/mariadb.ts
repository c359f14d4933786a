// Throwaway mariadbd instances for integration tests. Each server lives in
// its own os.tmpdir()/check-mysql-test-XXXX dir, listens on 127.0.0.1 on a
// free port (never 3306) and on a socket in that dir, and never reads
// /etc/mysql (--no-defaults comes first on every command line).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection, type Connection } from 'mysql2/promise';
import { freePort } from './ports.js';
import { trackDir, trackGroup, trackPid, untrackDir, untrackGroup, untrackPid } from './reaper.js';
import { RootSql } from './root-sql.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

export type { Row } from './root-sql.js';

export interface ServerOptions {
  serverId: number;
  /** Extra mariadbd options, appended after ours (so they win). */
  extraArgs?: string[];
}

export interface Binaries {
  mariadbd: string;
  installDb: string;
}

// Small InnoDB files: a datadir is ~25 MB and copies in tens of ms.
const INNODB_ARGS = ['--innodb-log-file-size=8M', '--innodb-buffer-pool-size=32M'];
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/** The first executable `name` on PATH or in the sbin/bin directories root's PATH has. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* try the next dir */
    }
  }
  return undefined;
}

/** The MariaDB binaries, or a one-line reason they are missing. */
export function findBinaries(): Binaries | string {
  const mariadbd = findExecutable('mariadbd');
  const installDb = findExecutable('mariadb-install-db');
  if (!mariadbd || !installDb) {
    return `mariadbd/mariadb-install-db not found on PATH (install mariadb-server)`;
  }
  return { mariadbd, installDb };
}

function binaries(): Binaries {
  const found = findBinaries();
  if (typeof found === 'string') throw new Error(found);
  return found;
}

export async function makeTempDir(): Promise<string> {
  // Sync, so no await separates creating the dir from tracking it.
  const dir = mkdtempSync(join(tmpdir(), 'check-mysql-test-'));
  trackDir(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  untrackDir(dir);
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
      '--no-defaults',
      `--datadir=${datadir}`,
      '--user=root',
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...INNODB_ARGS,
    ], datadir);
    return datadir;
  })();
  return template;
}

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

function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return '(no error log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export class Server extends RootSql {
  readonly port: number;
  readonly serverId: number;
  readonly dir: string;
  readonly datadir: string;
  readonly socket: string;
  readonly errorLog: string;
  private readonly args: string[];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly extraConns = new Set<Connection>();

  private constructor(dir: string, port: number, opts: ServerOptions) {
    super();
    this.dir = dir;
    this.port = port;
    this.serverId = opts.serverId;
    this.datadir = join(dir, 'data');
    this.socket = join(dir, 'mysqld.sock');
    this.errorLog = join(dir, 'error.log');
    this.args = [
      '--no-defaults',
      `--datadir=${this.datadir}`,
      '--user=root',
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${this.socket}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${this.errorLog}`,
      `--tmpdir=${dir}`,
      `--server-id=${opts.serverId}`,
      // One GTID domain per server: concurrent writes on both sides of a
      // master-master pair then never collide under gtid_strict_mode.
      `--gtid-domain-id=${opts.serverId}`,
      '--log-bin=mysql-bin',
      '--relay-log=relay-bin',
      '--log-slave-updates',
      '--gtid-strict-mode',
      '--skip-name-resolve',
      // An IO thread notices a dead or frozen master within a few seconds.
      '--slave-net-timeout=3',
      '--innodb-flush-log-at-trx-commit=2',
      '--sync-binlog=0',
      ...INNODB_ARGS,
      ...(opts.extraArgs ?? []),
    ];
  }

  static async start(opts: ServerOptions): Promise<Server> {
    const source = await templateDatadir();
    const dir = await makeTempDir();
    await run('cp', ['-a', source, join(dir, 'data')]);
    const server = new Server(dir, await freePort(), opts);
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
    const child = spawn(binaries().mariadbd, this.args, { stdio: 'ignore' });
    this.child = child;
    const pid = child.pid;
    if (pid === undefined) throw new Error('mariadbd did not start');
    trackPid(pid, this.datadir);
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        untrackPid(pid);
        resolve();
      });
    });
    try {
      await waitFor(
        `mariadbd ${this.serverId} on port ${this.port} to accept connections`,
        async () => {
          if (!this.running) throw new Error(`mariadbd exited (${child.exitCode ?? child.signalCode})`);
          await this.rootConnection();
          return true;
        },
        { timeoutMs: READY_TIMEOUT_MS, intervalMs: 100 },
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`${message}\n--- tail of ${this.errorLog} ---\n${tail(this.errorLog)}`);
    }
  }

  /**
   * An extra connection (closed by cleanup), e.g. to hold locks or use up
   * max_connections. Over TCP when a user/password is given, else as root.
   */
  async connect(auth?: { user: string; password: string }): Promise<Connection> {
    const conn = auth
      ? await createConnection({ host: '127.0.0.1', port: this.port, ...auth })
      : await createConnection({ socketPath: this.socket, user: 'root', password: '' });
    this.extraConns.add(conn);
    conn.on('error', () => this.extraConns.delete(conn));
    conn.once('end', () => this.extraConns.delete(conn));
    return conn;
  }

  async closeExtraConnections(): Promise<void> {
    const conns = [...this.extraConns];
    this.extraConns.clear();
    await Promise.all(conns.map((c) => c.end().catch(() => c.destroy())));
  }

  private forgetConnections(): void {
    this.dropRootConnection();
    for (const c of this.extraConns) c.destroy();
    this.extraConns.clear();
  }

  /** Sends a signal to mariadbd. After SIGKILL, await exit() or restart(). */
  kill(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === undefined) throw new Error(`server ${this.serverId} is not running`);
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
    await this.closeExtraConnections();
    this.dropRootConnection();
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => this.running && process.kill(pid, 'SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** Starts mariadbd again on the same datadir and port (stops it first if running). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** SIGKILLs mariadbd if still running and removes its dir. Idempotent. */
  async cleanup(): Promise<void> {
    this.forgetConnections();
    if (this.running) process.kill(this.child?.pid as number, 'SIGKILL');
    await this.exited;
    await removeTempDir(this.dir);
  }
}

export function startServer(opts: ServerOptions): Promise<Server> {
  return Server.start(opts);
}
