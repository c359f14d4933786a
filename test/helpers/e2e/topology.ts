// An end-to-end keepalived + MariaDB topology on this one machine, as root, in network
// namespaces the test creates and always removes, with TEST-NET-1 addresses only:
//
//   cme-<pid>-a       eth0 192.0.2.11/24   mariadbd (server_id 1) + keepalived (+ daemon)
//   cme-<pid>-b       eth0 192.0.2.12/24   mariadbd (server_id 2) + keepalived (+ daemon)
//   cme-<pid>-client  eth0 192.0.2.50/24   the writer (test/helpers/e2e-client.ts)
//   cme-<pid>-br      br0, a Linux bridge with ports va, vb, vclient: the other ends of the
//                     veth pairs whose eth0 ends sit in the three namespaces above
//   VIP 192.0.2.100/24, moved between a and b by keepalived (VRRP id 51, multicast or unicast)
//
// mariadbd listens on 0.0.0.0:13306 inside its own namespace (so the host address and the
// VIP both reach it), in master-master GTID replication over the bridge; both start
// read_only=ON, and making the VIP holder writable is the notify handler's job (with
// notify: 'example'). keepalived runs the example configs from
// examples/keepalived/ with names, addresses and paths substituted (e2e-keepalived.ts).
//
// Cleanup, however the test ends: cleanup() (afterAll); the reaper's and e2e-netns's process
// exit hooks; their detached watchdogs for a SIGKILLed runner. Only processes started here, by
// pid (checked against their command line), are ever killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN } from '../clients/cli.js';
import { type Ack, missingAcks, Writer, type WriterOptions } from '../clients/writer.js';
import { type NsKeepalived, startNsKeepalived, nodePaths, type NodeName, type NotifyMode, renderExample, type Variant, writeRecorder, writeSeedCheck, configTest } from '../keepalived/examples.js';
import { E2E_MYSQL_PORT, NsServer, type SemiSync } from '../servers/ns-server.js';
import { addNetns, e2eNetnsName, inNetns, ipIn, ipv4Addresses, removeNetns, type NetnsRole } from '../netns/bridge.js';
import { findExecutable, makeTempDir, removeTempDir } from '../servers/server.js';
import { trackPid, untrackPid } from '../reaper.js';
import { waitFor } from '../wait.js';

/** TEST-NET-1 (RFC 5737) only, inside the topology's namespaces. */
export const ADDRESSES = { a: '192.0.2.11', b: '192.0.2.12', client: '192.0.2.50', vip: '192.0.2.100' } as const;
export const PREFIX = 24;
export const IFACE = 'eth0';
export const SCHEMA = 'e2e';
export const WRITES_TABLE = `${SCHEMA}.writes`;

export interface Credentials {
  user: string;
  password: string;
}

export interface TopologyOptions {
  /** Which example files keepalived runs: the one-shot check, or the daemon's track file + guard. */
  variant: Variant;
  /** Default multicast (224.0.0.18 across the bridge); unicast enables the examples' commented block. */
  vrrp?: 'multicast' | 'unicast';
  /** Default 'record': a recorder only. 'example' runs the example's notify command (check-mysql notify). */
  notify?: NotifyMode;
  semiSync?: SemiSync;
  /** 'seed': the one-shot example with the seed's plain connect + SELECT 1 as its check (benchmark baseline). */
  check?: 'check-mysql' | 'seed';
  /** VRRP advert interval in seconds (examples: 1); fractional means VRRPv3. */
  advertIntS?: number;
}

export interface Node {
  name: NodeName;
  netns: string;
  address: string;
  dir: string;
  server: NsServer;
  conf: string;
  keepalived?: NsKeepalived;
  /** The check-mysql daemon (daemon variant only). */
  daemon?: ChildProcess;
}

export interface VipSample {
  /** Epoch ms when the sample was taken. */
  at: number;
  holders: NodeName[];
}

const daemonRunning = (n: Node): boolean => n.daemon !== undefined && n.daemon.exitCode === null && n.daemon.signalCode === null;

function mariadbClient(): string {
  const found = findExecutable('mariadb') ?? findExecutable('mysql');
  if (!found) throw new Error('the mariadb client is not installed (apt-get install mariadb-client)');
  return found;
}

const secret = (): string => randomBytes(12).toString('hex');
const OTHER: Record<NodeName, NodeName> = { a: 'b', b: 'a' };
export const other = (n: NodeName): NodeName => OTHER[n];

let live = false;

export class Topology {
  readonly names: Record<NetnsRole, string>;
  readonly nodes = {} as Record<NodeName, Node>;
  readonly check: Credentials = { user: 'check', password: secret() };
  readonly notify: Credentials = { user: 'notify', password: secret() };
  readonly repl: Credentials = { user: 'repl', password: secret() };
  readonly app: Credentials = { user: 'app', password: secret() };
  dir = '';
  /** Epoch ms just before keepalived was spawned on both nodes. */
  keepalivedStartedAt = 0;
  private readonly writers: Writer[] = [];
  private readonly created: string[] = [];
  private cleaned = false;

  private constructor(readonly opts: Required<Omit<TopologyOptions, 'semiSync'>> & { semiSync?: SemiSync }) {
    this.names = { a: e2eNetnsName('a'), b: e2eNetnsName('b'), client: e2eNetnsName('client'), br: e2eNetnsName('br') };
  }

  /**
   * Namespaces and bridge, both servers replicating both ways (read_only=ON), the writes table,
   * then keepalived (and, for the daemon variant, the daemons) on both hosts. One topology per
   * process at a time: the namespace names are per pid.
   */
  static async start(options: TopologyOptions): Promise<Topology> {
    if (live) throw new Error('a topology is already running in this process (namespace names are per pid)');
    live = true;
    const t = new Topology({ vrrp: 'multicast', notify: 'record', check: 'check-mysql', advertIntS: 1, ...options });
    try {
      t.dir = await makeTempDir();
      await t.network();
      await t.databases();
      await t.startKeepalived();
    } catch (err) {
      const state = t.describe();
      await t.cleanup().catch(() => undefined);
      throw new Error(`${(err as Error).message}\n--- topology ---\n${state}`);
    }
    return t;
  }

  private async network(): Promise<void> {
    const { br } = this.names;
    for (const role of ['br', 'a', 'b', 'client'] as const) {
      this.created.push(this.names[role]);
      await addNetns(this.names[role]);
    }
    await ipIn(br, 'link', 'add', 'br0', 'type', 'bridge');
    await ipIn(br, 'link', 'set', 'br0', 'up');
    for (const role of ['a', 'b', 'client'] as const) {
      const ns = this.names[role];
      const port = `v${role}`;
      await ipIn(br, 'link', 'add', port, 'type', 'veth', 'peer', 'name', IFACE, 'netns', ns);
      await ipIn(br, 'link', 'set', port, 'master', 'br0');
      await ipIn(br, 'link', 'set', port, 'up');
      await ipIn(ns, 'addr', 'add', `${ADDRESSES[role]}/${PREFIX}`, 'dev', IFACE);
      await ipIn(ns, 'link', 'set', IFACE, 'up');
    }
  }

  private async databases(): Promise<void> {
    const { semiSync } = this.opts;
    const servers = await Promise.allSettled((['a', 'b'] as const).map((name, i) =>
      NsServer.start({
        netns: this.names[name], serverId: i + 1, address: ADDRESSES[name], ...(semiSync ? { semiSync } : {}),
        extraArgs: ['--read-only', '--auto-increment-increment=2', `--auto-increment-offset=${i + 1}`],
      }),
    ));
    for (const [i, name] of (['a', 'b'] as const).entries()) {
      const s = servers[i];
      if (s?.status !== 'fulfilled') continue;
      const dir = join(this.dir, name);
      mkdirSync(join(dir, 'etc'), { recursive: true, mode: 0o700 });
      mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o755 });
      this.nodes[name] = { name, netns: this.names[name], address: ADDRESSES[name], dir, server: s.value, conf: join(dir, 'keepalived.conf') };
    }
    const failed = servers.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;

    const { a, b } = this.nodes;
    await Promise.all([a, b].map((n) => this.createUsers(n.server)));
    await Promise.all([a, b].map((n) => this.writeOptionFiles(n)));
    await this.replicate(a.server, b.server);
    await this.replicate(b.server, a.server);
    await a.server.exec(
      `CREATE DATABASE ${SCHEMA}`,
      `CREATE TABLE ${WRITES_TABLE} (seq INT PRIMARY KEY, server_id INT NOT NULL, at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB`,
    );
    await waitFor('replication threads running on both nodes', async () => (await this.threadsRunning(a.server)) && (await this.threadsRunning(b.server)), { timeoutMs: 20_000 });
    await waitFor(`${WRITES_TABLE} on node b`, async () => (await b.server.sql(`SHOW TABLES FROM ${SCHEMA}`)).length === 1, { timeoutMs: 10_000 });
  }

  /** Users exist on both nodes, outside the binlogs (sql_log_bin=0). */
  private async createUsers(s: NsServer): Promise<void> {
    const net = '192.0.2.%';
    await s.exec(
      'SET SESSION sql_log_bin=0',
      `CREATE USER '${this.repl.user}'@'${net}' IDENTIFIED BY '${this.repl.password}'`,
      `GRANT REPLICATION SLAVE ON *.* TO '${this.repl.user}'@'${net}'`,
      `CREATE USER '${this.check.user}'@'localhost' IDENTIFIED BY '${this.check.password}'`,
      `GRANT SLAVE MONITOR ON *.* TO '${this.check.user}'@'localhost'`,
      // The notify handler's grants, as in test/integration/notify.test.ts (MariaDB 10.11).
      `CREATE USER '${this.notify.user}'@'localhost' IDENTIFIED BY '${this.notify.password}'`,
      `GRANT READ_ONLY ADMIN, CONNECTION ADMIN, PROCESS, SLAVE MONITOR ON *.* TO '${this.notify.user}'@'localhost'`,
      // The application: no READ_ONLY ADMIN, so read_only=ON refuses its writes.
      `CREATE USER '${this.app.user}'@'${net}' IDENTIFIED BY '${this.app.password}'`,
      `GRANT SELECT, INSERT ON ${SCHEMA}.* TO '${this.app.user}'@'${net}'`,
      'SET SESSION sql_log_bin=1',
    );
  }

  /** /etc/check-mysql/{my,notify}.cnf of the examples, for this node's socket. */
  private writeOptionFiles(n: Node): void {
    const p = nodePaths(n.dir);
    const cnf = (c: Credentials) => `[client]\nuser = ${c.user}\npassword = ${c.password}\nsocket = ${n.server.socket}\n`;
    writeFileSync(p.myCnf, cnf(this.check), { mode: 0o600 });
    writeFileSync(p.notifyCnf, cnf(this.notify), { mode: 0o600 });
  }

  private async replicate(replica: NsServer, source: NsServer): Promise<void> {
    await replica.exec(
      `CHANGE MASTER TO MASTER_HOST='${source.address}', MASTER_PORT=${E2E_MYSQL_PORT},
         MASTER_USER='${this.repl.user}', MASTER_PASSWORD='${this.repl.password}',
         MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1`,
      'START SLAVE',
    );
  }

  private async threadsRunning(s: NsServer): Promise<boolean> {
    const rows = await s.slaveStatus();
    return rows.length > 0 && rows.every((r) => r.Slave_IO_Running === 'Yes' && r.Slave_SQL_Running === 'Yes');
  }

  /** Renders the example configs, checks them with `keepalived -t` in place, starts keepalived. */
  private async startKeepalived(): Promise<void> {
    const nodes = [this.nodes.a, this.nodes.b];
    for (const n of nodes) {
      writeRecorder(n.dir);
      if (this.opts.check === 'seed') writeSeedCheck(n.dir, mariadbClient());
      const { variant, vrrp, notify, check, advertIntS } = this.opts;
      writeFileSync(n.conf, renderExample({ variant, node: n.name, dir: n.dir, vrrp, notify, check, advertIntS }));
      const test = await configTest(n.conf, n.netns);
      if (test.code !== 0 || test.output !== '') throw new Error(`keepalived -t -f ${n.conf} in ${n.netns}: exit ${test.code}\n${test.output}`);
      if (this.opts.variant === 'daemon') this.startDaemon(n);
    }
    // Both at once, as two hosts booting together.
    this.keepalivedStartedAt = Date.now();
    const started = await Promise.allSettled(nodes.map((n) => startNsKeepalived(n.netns, n.conf, n.dir)));
    started.forEach((s, i) => {
      if (s.status === 'fulfilled') (nodes[i] as Node).keepalived = s.value;
    });
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /** `check-mysql daemon` in the node's namespace, writing the files the daemon example reads. */
  startDaemon(n: Node): void {
    if (daemonRunning(n)) throw new Error(`node ${n.name}: the daemon still runs`);
    const p = nodePaths(n.dir);
    const args = [
      BIN, 'daemon', `--defaults-file=${p.myCnf}`, '--vip', ADDRESSES.vip,
      '--track-file', p.trackFile, '--status-file', p.statusFile, '--listen', '127.0.0.1:9797',
      // This node's notify lock, not the machine's /run/lock one that both "hosts" would share.
      '--lock-file', p.notifyLock,
    ];
    const [command, argv] = inNetns(n.netns, process.execPath, args);
    const log = openSync(join(n.dir, 'daemon.log'), 'a');
    const child = spawn(command, argv, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' }, stdio: ['ignore', log, log] });
    closeSync(log);
    if (child.pid === undefined) throw new Error(`check-mysql daemon did not start in ${n.netns}`);
    const pid = child.pid;
    trackPid(pid, p.trackFile);
    child.once('exit', () => untrackPid(pid));
    n.daemon = child;
  }

  // --- observing ------------------------------------------------------------------------------

  /** The nodes whose eth0 holds the VIP right now. */
  async vipHolders(): Promise<NodeName[]> {
    const held = await Promise.all((['a', 'b'] as const).map(async (n) => (await ipv4Addresses(this.names[n], IFACE)).includes(ADDRESSES.vip)));
    return (['a', 'b'] as const).filter((_, i) => held[i]);
  }

  /** Polls the VIP every `intervalMs` until `match` holds; resolves with that sample. */
  async waitForVip(what: string, match: (holders: NodeName[]) => boolean, timeoutMs: number, intervalMs = 20): Promise<VipSample> {
    const deadline = Date.now() + timeoutMs;
    let last: NodeName[] = [];
    for (;;) {
      const at = Date.now();
      last = await this.vipHolders();
      if (match(last)) return { at, holders: last };
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (VIP on: ${last.join(', ') || 'no node'})\n${this.describe()}`);
      await sleep(intervalMs);
    }
  }

  /** Waits until exactly one node holds the VIP; returns it and when it was first seen. */
  async waitForSingleHolder(timeoutMs = 20_000): Promise<{ node: NodeName; at: number }> {
    const s = await this.waitForVip('exactly one node to hold the VIP', (h) => h.length === 1, timeoutMs);
    return { node: s.holders[0] as NodeName, at: s.at };
  }

  /** Samples the VIP holders every `intervalMs` for `ms`: for "never two holders, never none". */
  async sampleVip(ms: number, intervalMs = 50): Promise<VipSample[]> {
    const samples: VipSample[] = [];
    const end = Date.now() + ms;
    while (Date.now() < end) {
      samples.push({ at: Date.now(), holders: await this.vipHolders() });
      await sleep(intervalMs);
    }
    return samples;
  }

  // --- acting ---------------------------------------------------------------------------------

  /** The network is cut: the node's eth0 goes down inside its namespace. Returns epoch ms before. */
  async cutLink(node: NodeName): Promise<number> {
    const t0 = Date.now();
    await ipIn(this.names[node], 'link', 'set', IFACE, 'down');
    return t0;
  }

  async restoreLink(node: NodeName): Promise<void> {
    await ipIn(this.names[node], 'link', 'set', IFACE, 'up');
  }

  /** kill -9 of the node's check-mysql daemon (daemon variant); returns epoch ms before the signal. */
  killDaemon(node: NodeName): number {
    const d = this.nodes[node].daemon;
    if (!daemonRunning(this.nodes[node]) || d?.pid === undefined) throw new Error(`node ${node}: no daemon running`);
    const t0 = Date.now();
    process.kill(d.pid, 'SIGKILL');
    return t0;
  }

  /** mariadbd started again on its datadir after a kill (crash recovery, replication resumes). */
  async restartMysqld(node: NodeName): Promise<void> {
    await this.nodes[node].server.restart();
  }

  /**
   * Breaks `standby`'s replication with an SQL error, as a stray write on a standby does: a row
   * written there outside the binlog, then the same key written on `writer` -> error 1062 on
   * the standby's SQL thread. Both as root over the sockets: the application is not involved.
   */
  async breakReplication(standby: NodeName, seq: number): Promise<void> {
    const writer = other(standby);
    await this.nodes[standby].server.exec('SET SESSION sql_log_bin=0', `INSERT INTO ${WRITES_TABLE} (seq, server_id) VALUES (${seq}, @@server_id)`, 'SET SESSION sql_log_bin=1');
    await this.nodes[writer].server.exec(`INSERT INTO ${WRITES_TABLE} (seq, server_id) VALUES (${seq}, @@server_id)`);
  }

  /** A signal to the node's mariadbd (SIGSTOP: a hung server); returns epoch ms just before it. */
  signalMysqld(node: NodeName, signal: NodeJS.Signals): number {
    const t0 = Date.now();
    this.nodes[node].server.kill(signal);
    return t0;
  }

  /** kill -9 of the node's mariadbd; returns epoch ms just before the signal. */
  killMysqld(node: NodeName): number {
    return this.signalMysqld(node, 'SIGKILL');
  }

  /** A writer in the client namespace, through the VIP (see e2e-client.ts). */
  startWriter(bounds: Pick<WriterOptions, 'maxWrites' | 'maxMs' | 'pauseMs'> & Partial<WriterOptions>): Writer {
    const dir = join(this.dir, 'client');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Disjoint sequence ranges: every writer's rows stay in the one table.
    const w = Writer.start({
      netns: this.names.client, dir, host: ADDRESSES.vip, port: E2E_MYSQL_PORT, user: this.app.user, password: this.app.password,
      table: WRITES_TABLE, firstSeq: 1 + this.writers.length * 1_000_000, ...bounds,
    });
    this.writers.push(w);
    return w;
  }

  /** Sequence numbers present on `node`, after it has applied its relay log. */
  async rowsOn(node: NodeName): Promise<number[]> {
    const rows = await this.nodes[node].server.sql(`SELECT seq FROM ${WRITES_TABLE} ORDER BY seq`);
    return rows.map((r) => Number(r.seq));
  }

  /** Acknowledged writes that `survivor` does not have: the writes a failover lost. */
  async lostAcks(acks: readonly Ack[], survivor: NodeName): Promise<number[]> {
    return missingAcks(acks, await this.rowsOn(survivor));
  }

  // --- reporting and cleanup ------------------------------------------------------------------

  describe(): string {
    const parts: string[] = [`namespaces: ${Object.values(this.names).join(' ')}; dir ${this.dir}`];
    for (const n of Object.values(this.nodes)) {
      parts.push(n.keepalived ? n.keepalived.describe() : `node ${n.name}: keepalived not started`);
      const p = nodePaths(n.dir);
      for (const [label, file] of [['check log', p.checkLog], ['notify log', p.notifyLog], ['daemon log', join(n.dir, 'daemon.log')]] as const) {
        try {
          const text = readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');
          if (text) parts.push(`node ${n.name} ${label} (last 5):\n${text}`);
        } catch {
          /* none */
        }
      }
    }
    for (const w of this.writers) parts.push(w.describe());
    return parts.join('\n');
  }

  /** Stops everything this topology started and deletes its namespaces and dir. Idempotent. */
  async cleanup(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    const errors: unknown[] = [];
    const step = async (f: () => Promise<unknown> | unknown) => {
      try {
        await f();
      } catch (err) {
        errors.push(err);
      }
    };
    for (const w of this.writers) await step(() => w.kill());
    for (const n of Object.values(this.nodes)) {
      await step(() => {
        if (daemonRunning(n) && n.daemon?.pid !== undefined) process.kill(n.daemon.pid, 'SIGKILL');
      });
    }
    await Promise.all(Object.values(this.nodes).map((n) => step(() => n.keepalived?.stop())));
    await Promise.all(Object.values(this.nodes).map((n) => step(() => n.server.cleanup())));
    for (const name of this.created) await step(() => removeNetns(name));
    if (this.dir) await step(() => removeTempDir(this.dir));
    live = false;
    if (errors.length > 0) throw new Error(`topology cleanup: ${errors.map((e) => (e as Error).message ?? String(e)).join('; ')}`);
  }
}
