// One failover of the end-to-end topology, measured the same way by the e2e test and by
// `npm run bench:failover`: a writer runs through the VIP, a failure is inflicted on the VIP
// holder, and the clock runs from that moment to the VIP on the other node, to that node
// writable (the notify handler's work) and to the first write it acknowledges. Then the
// failed node is repaired and must rejoin as a read-only standby without taking the VIP back.
// Two failures stall the old writer's commits instead of stopping it (a held read lock, a full
// binlog disk): only the heartbeat write finds them; what became of the commits that were
// waiting, once the old writer has caught up, is afterStall()'s.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitForTrack } from '../clients/daemon-outputs.js';
import { type Ack, waitForAckAfter, type Writer } from '../clients/writer.js';
import { nodePaths, type NodeName } from '../keepalived/examples.js';
import type { KeepalivedProcess } from '../keepalived/process.js';
import { other } from './node.js';
import type { Topology } from './topology.js';
import { WRITES_TABLE } from '../servers/ns-pair.js';
import type { NsServer } from '../servers/ns-server.js';
import { formatGtid, parseGtidList, type MariadbGtid } from '../../../src/gtid/mariadb-gtid-list.js';
import { waitForCatchUp } from '../servers/replication.js';
import { waitFor } from '../wait.js';

export type FailureKind = 'kill-mysqld' | 'stop-mysqld' | 'cut-link' | 'kill-daemon' | 'read-lock' | 'full-disk';

interface Failure {
  /** What happens to the VIP holder, for reports. */
  label: string;
  /** Inflicts the failure on `node`; resolves with epoch ms just before it. */
  inflict(topo: Topology, node: NodeName): Promise<number>;
  /**
   * Undoes it, as an operator would: restart, SIGCONT, link up, daemon restarted, unlock, space
   * freed; may say what more it had to do.
   */
  repair(topo: Topology, node: NodeName): Promise<string | void>;
  /**
   * The node's writes stall but its reads and replication's IO thread go on: once it has lost
   * the VIP it is a standby fit to take over again, so keepalived may see it BACKUP before the
   * repair.
   */
  stallsWrites?: true;
}

export const FAILURES: Record<FailureKind, Failure> = {
  'kill-mysqld': {
    label: 'kill -9 mysqld',
    inflict: async (topo, node) => topo.killMysqld(node),
    repair: (topo, node) => topo.restartMysqld(node),
  },
  'stop-mysqld': {
    label: 'SIGSTOP mysqld (hung server)',
    inflict: async (topo, node) => topo.signalMysqld(node, 'SIGSTOP'),
    repair: async (topo, node) => topo.nodes[node].server.kill('SIGCONT'),
  },
  'cut-link': {
    label: 'network cut (eth0 down)',
    inflict: (topo, node) => topo.cutLink(node),
    repair: (topo, node) => topo.restoreLink(node),
  },
  'kill-daemon': {
    label: 'kill -9 check-mysql daemon',
    inflict: async (topo, node) => topo.killDaemon(node),
    repair: async (topo, node) => topo.startDaemon(topo.nodes[node]),
  },
  'read-lock': {
    label: 'held global read lock (FTWRL)',
    inflict: (topo, node) => topo.holdReadLock(node),
    repair: (topo, node) => topo.releaseReadLock(node),
    stallsWrites: true,
  },
  'full-disk': {
    label: 'full binlog disk',
    inflict: (topo, node) => topo.fillBinlogDisk(node),
    repair: (topo, node) => topo.freeBinlogDisk(node),
    stallsWrites: true,
  },
};

/**
 * After a failover attempt that threw: resumes any stopped mysqld and brings any cut link back
 * up, on both nodes, so that later tests and the cleanup find servers that answer.
 */
export async function releaseAll(topo: Topology, kind: FailureKind): Promise<void> {
  for (const n of ['a', 'b'] as const) {
    if (kind === 'stop-mysqld' && topo.nodes[n].server.running) topo.nodes[n].server.kill('SIGCONT');
    if (kind === 'cut-link') await topo.restoreLink(n);
    if (kind === 'read-lock') await topo.releaseReadLock(n);
    if (kind === 'full-disk' && topo.nodes[n].server.binlogFs) await topo.freeBinlogDisk(n);
  }
}

/** Waits until the node's mysqld is writable (read_only=OFF); epoch ms. */
export async function waitWritable(topo: Topology, node: NodeName, timeoutMs = 15_000): Promise<number> {
  const server = topo.nodes[node].server;
  await waitFor(`node ${node} writable (read_only=OFF by check-mysql notify)`, async () => !(await server.readOnly()), { timeoutMs, intervalMs: 5 });
  return Date.now();
}

/** Waits until the node's mysqld is read-only again; epoch ms. */
export async function waitReadOnly(topo: Topology, node: NodeName, timeoutMs = 20_000): Promise<number> {
  const server = topo.nodes[node].server;
  await waitFor(`node ${node} read-only`, () => server.readOnly(), { timeoutMs, intervalMs: 20 });
  return Date.now();
}

/**
 * When the node's notify handler (check-mysql notify) logged that it had made the server
 * read-only at or after epoch ms `since`: the fencing of an old writer that still runs.
 */
export function fencedAt(topo: Topology, node: NodeName, since: number): number | undefined {
  let text = '';
  try {
    text = readFileSync(nodePaths(topo.nodes[node].dir).notifyLog, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { time?: string; action?: string };
    const at = Date.parse(entry.time ?? '');
    if (at >= since && (entry.action === 'demoted' || entry.action === 'already-read-only')) return at;
  }
  return undefined;
}

export interface FailoverRun {
  kind: FailureKind;
  old: NodeName;
  next: NodeName;
  /** Epoch ms just before the failure. */
  t0: number;
  /** keepalived FAULT on the old holder / MASTER on the other, as its notify recorder saw them. */
  faultAt: number | undefined;
  masterAt: number | undefined;
  /** The VIP seen on the other node only (polled every 20 ms). */
  vipAt: number;
  /** read_only=OFF on the new holder; undefined when the run does not expect promotion (seed). */
  writableAt: number | undefined;
  /** The first write through the VIP that the new holder acknowledged. */
  firstAck: Ack | undefined;
  /** Acknowledged writes missing on the new holder once it is writable. */
  lost: number[];
  writer: Writer;
}

export interface FailoverOptions {
  /** The VIP must be on the other node within this. */
  vipWithinMs: number;
  /** Whether the new holder is expected to become writable (false for the seed's setup). */
  promotes: boolean;
}

/** Inflicts `kind` on the current VIP holder while a writer runs; measures the failover. */
export async function failOver(topo: Topology, kind: FailureKind, o: FailoverOptions): Promise<FailoverRun> {
  const holders = await topo.vipHolders();
  if (holders.length !== 1) throw new Error(`expected one VIP holder before ${kind}, found: ${holders.join(', ') || 'none'}\n${topo.describe()}`);
  const old = holders[0] as NodeName;
  const next = other(old);
  const newId = topo.nodes[next].server.serverId;
  // A short connect timeout, so that the figures show the failover rather than the client: a
  // SYN sent while the VIP is on neither node is lost, and TCP retransmits it only after 1 s.
  const writer = topo.startWriter({ maxWrites: 6_000, maxMs: 40_000, pauseMs: 5, connectTimeoutMs: 250 });
  await waitForAckAfter(writer, Date.now() + 300, 5_000);

  const t0 = await FAILURES[kind].inflict(topo, old);
  let vipAt = 0;
  let writableAt: number | undefined;
  let firstAck: Ack | undefined;
  try {
    vipAt = (await topo.waitForVip(`the VIP on node ${next} only`, (h) => h.length === 1 && h[0] === next, o.vipWithinMs)).at;
    if (o.promotes) {
      writableAt = await waitWritable(topo, next);
      firstAck = await waitForAckAfter(writer, t0, 10_000, newId);
      // Half a second of writes on the new holder: they must all land there.
      await sleep(500);
    }
  } finally {
    await writer.stop();
  }
  const fault = topo.nodes[old].keepalived?.states().find((s) => s.state === 'FAULT' && s.at >= t0);
  const master = topo.nodes[next].keepalived?.states().find((s) => s.state === 'MASTER' && s.at >= t0);
  const lost = o.promotes ? await topo.lostAcks(writer.acks, next) : [];
  return { kind, old, next, t0, faultAt: fault?.at, masterAt: master?.at, vipAt, writableAt, firstAck, lost, writer };
}

export interface Rejoin {
  /** Epoch ms when the repair was done. */
  repairedAt: number;
  /** The repaired node read-only (it may have been so all along). */
  readOnlyAt: number;
  /** keepalived BACKUP on it: after the repair, or before it for a failure that stalls writes only. */
  backupAt: number;
  /** Every write the new holder acknowledged is on the repaired node too. */
  caughtUpAt: number;
  /** What the repair said it had to do, if anything. */
  repairNote: string | undefined;
}

/**
 * Repairs the old holder (then runs `afterRepair`, e.g. a by-hand operator's steps) and waits
 * until it is a read-only standby in BACKUP that has applied every write the new holder
 * acknowledged; then samples the VIP for `sampleMs`, which must stay on the new holder
 * (nopreempt).
 */
export async function rejoin(topo: Topology, run: FailoverRun, sampleMs: number, afterRepair?: () => Promise<void>): Promise<Rejoin> {
  const { old, next } = run;
  // keepalived may report BACKUP while the repair is still returning (a link brought up, a
  // daemon restarted): look for it from the start of the repair, not from its end; or from the
  // failure, when the failed node was a fit standby all along.
  const repairStartedAt = Date.now();
  const repairNote = (await FAILURES[run.kind].repair(topo, old)) ?? undefined;
  await afterRepair?.();
  const repairedAt = Date.now();
  const readOnlyAt = await waitReadOnly(topo, old);
  const backupAt = await waitBackup(topo, old, FAILURES[run.kind].stallsWrites ? run.t0 : repairStartedAt - 1, 20_000);
  const newId = topo.nodes[next].server.serverId;
  const acked = run.writer.acks.filter((a) => a.serverId === newId);
  await waitFor(`node ${old} to apply the ${acked.length} writes acknowledged by ${next}`, async () => (await topo.lostAcks(acked, old)).length === 0, { timeoutMs: 20_000, intervalMs: 50 });
  const caughtUpAt = Date.now();
  const samples = await topo.sampleVip(sampleMs);
  const flapped = samples.filter((s) => s.holders.length !== 1 || s.holders[0] !== next);
  if (flapped.length > 0) throw new Error(`the VIP left node ${next} after ${old} rejoined: ${JSON.stringify(flapped.slice(0, 3))}\n${topo.describe()}`);
  return { repairedAt, readOnlyAt, backupAt, caughtUpAt, repairNote };
}

/** Waits until the node's last keepalived state since epoch ms `since` is BACKUP; when it entered it. */
async function waitBackup(topo: Topology, node: NodeName, since: number, timeoutMs: number): Promise<number> {
  const ka = topo.nodes[node].keepalived;
  if (!ka) return Number.NaN;
  const backup = () => {
    const last = ka.states().filter((s) => s.at >= since).at(-1);
    return last?.state === 'BACKUP' ? last.at : undefined;
  };
  return waitFor(`keepalived BACKUP on node ${node}`, backup, { timeoutMs, intervalMs: 10 }).catch((err: Error) => {
    throw new Error(`${err.message}\n${topo.describe()}`);
  });
}

/**
 * What must hold after every scenario: exactly one node holds the VIP, it is writable, and the
 * other node (when its mysqld answers) is read-only. Throws with the topology's state if not.
 */
export async function assertOneWritableHolder(topo: Topology, holder: NodeName, sampleMs = 1_000): Promise<void> {
  const samples = await topo.sampleVip(sampleMs);
  const wrong = samples.filter((s) => s.holders.length !== 1 || s.holders[0] !== holder);
  if (wrong.length > 0) throw new Error(`expected the VIP on node ${holder} only; saw ${JSON.stringify(wrong.slice(0, 3))}\n${topo.describe()}`);
  if (await topo.nodes[holder].server.readOnly()) throw new Error(`the VIP holder ${holder} is read-only\n${topo.describe()}`);
  const peer = topo.nodes[other(holder)].server;
  if (peer.running && !(await peer.readOnly())) throw new Error(`node ${other(holder)} (no VIP) is writable\n${topo.describe()}`);
}

export interface AfterStall {
  /** Writes whose client saw an error (refused, timed out, ended) that the old writer committed after all. */
  landedOnOld: number[];
  /** Rows only the new writer has: must be none, since it takes nothing from the old writer after its promotion. */
  onlyOnNext: Row2[];
  /** Rows only the old writer has. */
  onlyOnOld: Row2[];
  /** Of the rows only one node has, those that are not an unacknowledged write of the old writer's: must be none. */
  unexplained: Row2[];
  /** Acknowledged writes (by either node) missing on the new writer: must be none. */
  ackedMissing: number[];
  /** The application's statements still running on the old writer ("ID STATE"). */
  pending: string[];
  /** CHECKSUM TABLE of the writes table on the old and the new writer. */
  checksums: { old: string; next: string };
  /** The new writer's replication from the old one, as its promotion left it: "IO No, SQL Yes" when fenced. */
  nextFromOld: string;
  /** GTIDs the old writer logged that the new one has not: what the fence kept out (its own domain only). */
  keptOut: string;
}

interface Row2 { seq: number; serverId: number }
const key = (r: Row2): string => `${r.seq}/${r.serverId}`;

/** waitForCatchUp, saying where `replica`'s replication stands when it does not catch up. */
async function catchUp(replica: NsServer, source: NsServer, timeoutMs: number): Promise<void> {
  await waitForCatchUp(replica, source, timeoutMs).catch(async (err: Error) => {
    const [st] = await replica.slaveStatus();
    throw new Error(`${err.message}: IO ${String(st?.Slave_IO_Running)} ${String(st?.Last_IO_Errno)} ${String(st?.Last_IO_Error)}, SQL ${String(st?.Slave_SQL_Running)} ${String(st?.Last_SQL_Errno)} ${String(st?.Last_SQL_Error)}`);
  });
}

const positions = async (server: NsServer, variable: string): Promise<MariadbGtid[]> => parseGtidList(await server.variable(variable));

/** The old writer's own GTID domain in its binlog position (1-1-57, say); undefined if none. */
async function ownPosition(server: NsServer): Promise<MariadbGtid | undefined> {
  const domain = Number(await server.variable('gtid_domain_id'));
  return (await positions(server, 'gtid_binlog_pos')).find((g) => g.domain === domain);
}

/**
 * What an operator does once the old writer is repaired (docs/failover.md): the new writer's
 * replication skips what the old writer logged after losing the VIP (`oldOwn`, the old writer's
 * position in its own GTID domain), and is left as the promotion left it (IO thread stopped, SQL
 * thread running), so that a demotion or a restart of mysqld starts it from there.
 */
async function skipKeptOut(next: NsServer, oldOwn: MariadbGtid): Promise<void> {
  // Its own domain is further on in its binlog than in gtid_slave_pos, which strict mode requires.
  const others = (await positions(next, 'gtid_binlog_pos')).filter((g) => g.domain !== oldOwn.domain);
  await next.exec('STOP SLAVE', `SET GLOBAL gtid_slave_pos = '${[...others, oldOwn].map(formatGtid).join(',')}'`, 'START SLAVE SQL_THREAD');
}

/**
 * The pair once the stall is repaired (call after rejoin()): what became of the writes that were
 * stalled on the old writer when the VIP left. The old writer's binlog is rotated first (FLUSH
 * BINARY LOGS): what it still buffered (on a full disk, the events of commits that were ended:
 * docs/failover.md) is then in a file, as the next write there would put it. The old writer
 * then applies all the new one logged. The new writer's replication from the old one is left as
 * its promotion left it (stopped: notify/peer-io.ts), as it stays while it holds the VIP; what
 * the old writer logged meanwhile is then skipped (skipKeptOut), as an operator would.
 */
export async function afterStall(topo: Topology, run: FailoverRun): Promise<AfterStall> {
  const oldServer = topo.nodes[run.old].server;
  const nextServer = topo.nodes[run.next].server;
  const app = async () => (await oldServer.sql("SELECT ID, STATE FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND <> 'Sleep'", [topo.app.user])).map((r) => `${String(r.ID)} ${String(r.STATE)}`);
  // A queued commit ends with its group: give it a moment once the repair has woken it.
  const pending = await waitFor('no application statement left on the old writer', async () => ((await app()).length === 0 ? [] : undefined), { timeoutMs: 5_000, intervalMs: 50 }).catch(() => app());
  await oldServer.exec('FLUSH BINARY LOGS');
  await catchUp(oldServer, nextServer, 15_000);
  // Long enough for a replication that did run to fetch and apply what the old writer logged.
  await sleep(1_000);
  const [st] = await nextServer.slaveStatus();
  const nextFromOld = `IO ${String(st?.Slave_IO_Running)}, SQL ${String(st?.Slave_SQL_Running)}`;
  const oldOwn = await ownPosition(oldServer);
  const nextHas = oldOwn && (await positions(nextServer, 'gtid_slave_pos')).find((g) => g.domain === oldOwn.domain);
  const keptOut = oldOwn && oldOwn.seq > (nextHas?.seq ?? 0n) ? `${nextHas ? formatGtid(nextHas) : 'none'} .. ${formatGtid(oldOwn)}` : '';
  if (oldOwn && keptOut !== '') await skipKeptOut(nextServer, oldOwn);
  const rows = async (s: typeof oldServer): Promise<Row2[]> => (await s.sql(`SELECT seq, server_id FROM ${WRITES_TABLE} ORDER BY seq`)).map((r) => ({ seq: Number(r.seq), serverId: Number(r.server_id) }));
  const [onOld, onNext] = await Promise.all([rows(oldServer), rows(nextServer)]);
  const oldKeys = new Set(onOld.map(key));
  const nextKeys = new Set(onNext.map(key));
  const failed = new Set(run.writer.errors.map((e) => e.seq));
  const acked = new Set(run.writer.acks.map((a) => a.seq));
  const onlyOnNext = onNext.filter((r) => !oldKeys.has(key(r)));
  const onlyOnOld = onOld.filter((r) => !nextKeys.has(key(r)));
  const checksum = async (s: typeof oldServer) => String((await s.sql(`CHECKSUM TABLE ${WRITES_TABLE}`))[0]?.Checksum);
  return {
    landedOnOld: onOld.filter((r) => r.serverId === oldServer.serverId && failed.has(r.seq)).map((r) => r.seq),
    onlyOnNext,
    onlyOnOld,
    unexplained: [...onlyOnNext, ...onlyOnOld].filter((r) => r.serverId !== oldServer.serverId || !failed.has(r.seq) || acked.has(r.seq)),
    ackedMissing: run.writer.acks.filter((a) => !nextKeys.has(key({ seq: a.seq, serverId: a.serverId }))).map((a) => a.seq),
    pending,
    checksums: { old: await checksum(oldServer), next: await checksum(nextServer) },
    nextFromOld,
    keptOut,
  };
}

/** The node's keepalived; throws when it was not started. */
export function keepalivedOf(topo: Topology, node: NodeName): KeepalivedProcess {
  const k = topo.nodes[node].keepalived;
  if (!k) throw new Error(`node ${node}: no keepalived`);
  return k;
}

/**
 * The writer and the standby of a daemon-variant topology once it has settled: one VIP holder,
 * made writable by the notify handler, and the standby's daemon healthy (track file 0) with its
 * keepalived in BACKUP. Throws with the topology's state if not.
 */
export async function settledPair(topo: Topology, firstMasterWithinMs: number): Promise<{ writer: NodeName; standby: NodeName }> {
  const { node: writer } = await topo.waitForSingleHolder(firstMasterWithinMs);
  const standby = other(writer);
  try {
    await waitWritable(topo, writer);
    await waitForTrack(nodePaths(topo.nodes[standby].dir).trackFile, 0, 10_000);
    await keepalivedOf(topo, standby).waitForState('BACKUP', topo.keepalivedStartedAt, 10_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${topo.describe()}`);
  }
  return { writer, standby };
}
