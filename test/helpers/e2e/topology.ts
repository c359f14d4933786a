// An end-to-end keepalived + MariaDB topology on this one machine, as root, in network
// namespaces the test creates and always removes, with TEST-NET-1 addresses only:
//
//   cme-<pid>-a       eth0 192.0.2.11/24   mariadbd (server_id 1) + keepalived (+ daemon, peer b)
//   cme-<pid>-b       eth0 192.0.2.12/24   mariadbd (server_id 2) + keepalived (+ daemon, peer a)
//   cme-<pid>-client  eth0 192.0.2.50/24   the writer (clients/writer.ts)
//   cme-<pid>-br      br0, a Linux bridge with ports va, vb, vclient: the other ends of the
//                     veth pairs whose eth0 ends sit in the three namespaces above
//   VIP 192.0.2.100/24, moved between a and b by keepalived (VRRP id 51, multicast or unicast)
//
// The network is netns/bridge.ts's. mariadbd listens on 0.0.0.0:13306 inside its own namespace
// (so the host address and the VIP both reach it), in master-master GTID replication over the
// bridge (servers/ns-pair.ts), with pt-heartbeat's table heartbeat.heartbeat that the checks
// write and read (--heartbeat-table, as the examples run them); both start read_only=ON, and
// making the VIP holder writable is the notify handler's job (with notify: 'example').
// keepalived runs the example configs from examples/keepalived/ with names, addresses and paths
// substituted (keepalived/examples.ts). With binlogFsMb, each mariadbd runs as mysql with its
// binlog on a small ext4 of its own, which a failure can fill (a full disk).
//
// Cleanup, however the test ends: cleanup() (afterAll); the reaper's and netns/namespace.ts's
// process exit hooks; their detached watchdogs for a SIGKILLed runner. Only processes started
// here, by pid (checked against their command line), are ever killed.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Ack, missingAcks, Writer, type WriterOptions } from '../clients/writer.js';
import type { NodeName, NotifyMode, Variant } from '../keepalived/examples.js';
import { KeepalivedProcess } from '../keepalived/process.js';
import { createBridge, e2eNetnsName, IFACE, type NetnsRole } from '../netns/bridge.js';
import { ipIn, ipv4Addresses, removeNetns, sysctlIn } from '../netns/namespace.js';
import { newCredentials } from '../servers/credentials.js';
import { startNsPair, WRITES_TABLE } from '../servers/ns-pair.js';
import { holdGlobalReadLock, type HeldReadLock } from '../servers/read-lock.js';
import { E2E_MYSQL_PORT, type SemiSync } from '../servers/ns-server.js';
import { makeTempDir, removeTempDir } from '../temp-dir.js';
import { daemonRunning, describeNode, type Node, other, startNodeDaemon, writeKeepalivedConf, writeOptionFiles } from './node.js';

/**
 * net.ipv4.tcp_retries2 on both database hosts, as docs/failover.md recommends for semi-sync
 * MariaDB: a connection whose data goes unacknowledged is dropped after 1.4 s (0.2 s minimum
 * RTO, doubled twice), sooner than a replica gives up on its source (slave_net_timeout 3 s,
 * heartbeat 1 s). So a cut-off node's binlog dump thread on its peer is gone before the node
 * can reconnect; with the kernel's default (15, about 15 minutes), the reconnect finds it a
 * zombie, and MariaDB 10.11.19 stalls every new connection (and SHOW SLAVE STATUS, while its
 * SQL thread purges a relay log) until the next TCP retransmission reaches the node: seconds,
 * long enough for the new writer's daemon to fail it and the VIP to go back.
 */
const DB_HOST_TCP_RETRIES2 = 2;

/** TEST-NET-1 (RFC 5737) only, inside the topology's namespaces. */
export const ADDRESSES = { a: '192.0.2.11', b: '192.0.2.12', client: '192.0.2.50', vip: '192.0.2.100' } as const;

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
  /** Seconds the notify command waits before it starts (example notify only): a slow Node start-up. */
  notifyDelayS?: number;
  /** Each node's binlog on a small ext4 of this size (MB), mariadbd run as mysql: for fillBinlogDisk(). */
  binlogFsMb?: number;
}

export interface VipSample {
  /** Epoch ms when the sample was taken. */
  at: number;
  holders: NodeName[];
}

let live = false;

export class Topology {
  readonly names: Record<NetnsRole, string>;
  readonly nodes = {} as Record<NodeName, Node>;
  readonly check = newCredentials('check');
  readonly notify = newCredentials('notify');
  readonly repl = newCredentials('repl');
  readonly app = newCredentials('app');
  dir = '';
  /** Epoch ms just before keepalived was spawned on both nodes. */
  keepalivedStartedAt = 0;
  private readonly writers: Writer[] = [];
  private cleaned = false;

  /** FLUSH TABLES WITH READ LOCK held per node (holdReadLock()). */
  private readonly readLocks = new Map<NodeName, HeldReadLock>();

  private constructor(readonly opts: Required<Omit<TopologyOptions, 'semiSync' | 'binlogFsMb' | 'notifyDelayS'>> & Pick<TopologyOptions, 'semiSync' | 'binlogFsMb' | 'notifyDelayS'>) {
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
      await createBridge(t.names, ADDRESSES);
      for (const host of ['a', 'b'] as const) await sysctlIn(t.names[host], 'net.ipv4.tcp_retries2', DB_HOST_TCP_RETRIES2);
      await t.databases();
      await t.startKeepalived();
    } catch (err) {
      const state = t.describe();
      await t.cleanup().catch(() => undefined);
      throw new Error(`${(err as Error).message}\n--- topology ---\n${state}`);
    }
    return t;
  }

  private async databases(): Promise<void> {
    const { a, b } = this.names;
    const { check, notify, repl, app } = this;
    const { semiSync, binlogFsMb } = this.opts;
    const servers = await startNsPair({
      netns: { a, b }, addresses: ADDRESSES, users: { check, notify, repl, app }, heartbeat: true,
      ...(semiSync ? { semiSync } : {}), ...(binlogFsMb !== undefined ? { binlogFsMb } : {}),
    });
    for (const name of ['a', 'b'] as const) {
      const dir = join(this.dir, name);
      mkdirSync(join(dir, 'etc'), { recursive: true, mode: 0o700 });
      mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o755 });
      this.nodes[name] = { name, netns: this.names[name], address: ADDRESSES[name], dir, server: servers[name], conf: join(dir, 'keepalived.conf') };
      writeOptionFiles(this.nodes[name], this.check, this.notify);
    }
  }

  /** Renders the example configs, checks them with `keepalived -t` in place, starts keepalived. */
  private async startKeepalived(): Promise<void> {
    const nodes = [this.nodes.a, this.nodes.b];
    const { variant, vrrp, notify, check, advertIntS } = this.opts;
    for (const n of nodes) {
      await writeKeepalivedConf(n, { variant, vrrp, notify, check, advertIntS }, this.opts.notifyDelayS);
      if (variant === 'daemon') this.startDaemon(n);
    }
    // Both at once, as two hosts booting together.
    this.keepalivedStartedAt = Date.now();
    const started = await Promise.allSettled(nodes.map((n) => KeepalivedProcess.start(n.netns, n.conf, n.dir)));
    started.forEach((s, i) => {
      if (s.status === 'fulfilled') (nodes[i] as Node).keepalived = s.value;
    });
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /** `check-mysql daemon` in the node's namespace, writing the files the daemon example reads; the other node is its peer. */
  startDaemon(n: Node): void {
    startNodeDaemon(n, ADDRESSES.vip, this.peerOf(n.name));
  }

  /** The other node as a daemon's `peer` reaches it: its address on the bridge and mariadbd's port. */
  peerOf(node: NodeName): string {
    return `${ADDRESSES[other(node)]}:${E2E_MYSQL_PORT}`;
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

  /**
   * A stuck backup: FLUSH TABLES WITH READ LOCK held by a root connection on the node until
   * releaseReadLock(). Returns epoch ms just before it.
   */
  async holdReadLock(node: NodeName): Promise<number> {
    if (this.readLocks.has(node)) throw new Error(`node ${node} already holds a read lock`);
    const t0 = Date.now();
    this.readLocks.set(node, await holdGlobalReadLock(this.nodes[node].server));
    return t0;
  }

  /** UNLOCK TABLES (no-op if the node holds no lock). */
  async releaseReadLock(node: NodeName): Promise<void> {
    const lock = this.readLocks.get(node);
    this.readLocks.delete(node);
    await lock?.release();
  }

  private binlogFs(node: NodeName) {
    const fs = this.nodes[node].server.binlogFs;
    if (!fs) throw new Error('the topology was started without binlogFsMb: no small file system to fill');
    return fs;
  }

  /** The node's binlog file system filled to the last block. Returns epoch ms just before filling. */
  async fillBinlogDisk(node: NodeName): Promise<number> {
    const t0 = Date.now();
    await this.binlogFs(node).fill();
    return t0;
  }

  /**
   * Space freed on the node's binlog file system, and its replication from the other node
   * going again, as an operator would; returns what that took. Its SQL thread, when a commit of
   * the other node's events (log_slave_updates) waits for space behind the stalled ones, only
   * retries 60 s after its last try (mysys): STOP SLAVE wakes it and the write goes through.
   * When that commit was in the binlog group whose leader the notify handler's KILL QUERY ended,
   * it failed with the group (1026, Errcode 28), yet its GTID stays in the binlog state, so the SQL
   * thread's retry is refused under gtid_strict_mode (1950): it is applied with strict mode off
   * until the SQL thread has caught up with what it had received.
   */
  async freeBinlogDisk(node: NodeName): Promise<string> {
    await this.binlogFs(node).free();
    const server = this.nodes[node].server;
    if (!server.running) return 'space freed';
    await server.exec('STOP SLAVE');
    const [status] = await server.slaveStatus();
    const errno = Number(status?.Last_SQL_Errno ?? 0);
    if (errno === 0) {
      await server.exec('START SLAVE');
      return 'space freed, replication restarted';
    }
    await server.exec('SET GLOBAL gtid_strict_mode = 0', 'START SLAVE');
    try {
      const [caught] = await server.sql('SELECT MASTER_GTID_WAIT(?, 10) AS r', [String(status?.Gtid_IO_Pos ?? '')]);
      if (Number(caught?.r) !== 0) throw new Error(`node ${node}: the SQL thread did not catch up with ${String(status?.Gtid_IO_Pos)} in 10 s\n${this.describe()}`);
    } finally {
      await server.exec('SET GLOBAL gtid_strict_mode = 1');
    }
    return `space freed; the SQL thread had stopped with error ${errno} ("${String(status?.Last_SQL_Error).slice(0, 80)}"): restarted with gtid_strict_mode off until caught up`;
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

  /** A writer in the client namespace, through the VIP (see clients/writer.ts). */
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

  /** Sequence numbers present on `node` (those taken by `serverId`, if given). */
  async rowsOn(node: NodeName, serverId?: number): Promise<number[]> {
    const where = serverId === undefined ? '' : ` WHERE server_id = ${Number(serverId)}`;
    const rows = await this.nodes[node].server.sql(`SELECT seq FROM ${WRITES_TABLE}${where} ORDER BY seq`);
    return rows.map((r) => Number(r.seq));
  }

  /** Acknowledged writes that `survivor` does not have: the writes a failover lost. */
  async lostAcks(acks: readonly Ack[], survivor: NodeName): Promise<number[]> {
    return missingAcks(acks, await this.rowsOn(survivor));
  }

  // --- reporting and cleanup ------------------------------------------------------------------

  describe(): string {
    const parts: string[] = [`namespaces: ${Object.values(this.names).join(' ')}; dir ${this.dir}`];
    for (const n of Object.values(this.nodes)) parts.push(...describeNode(n));
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
    for (const node of [...this.readLocks.keys()]) await step(() => this.releaseReadLock(node));
    for (const n of Object.values(this.nodes)) {
      await step(() => {
        if (daemonRunning(n) && n.daemon?.pid !== undefined) process.kill(n.daemon.pid, 'SIGKILL');
      });
    }
    await Promise.all(Object.values(this.nodes).map((n) => step(() => n.keepalived?.stop())));
    await Promise.all(Object.values(this.nodes).map((n) => step(() => n.server.cleanup())));
    // removeNetns deletes only what addNetns made, so a name taken by a twin is left alone.
    for (const role of ['br', 'a', 'b', 'client'] as const) await step(() => removeNetns(this.names[role]));
    if (this.dir) await step(() => removeTempDir(this.dir));
    live = false;
    if (errors.length > 0) throw new Error(`topology cleanup: ${errors.map((e) => (e as Error).message ?? String(e)).join('; ')}`);
  }
}
