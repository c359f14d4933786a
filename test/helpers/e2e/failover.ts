// One failover of the end-to-end topology, measured the same way by the e2e test and by
// `npm run bench:failover`: a writer runs through the VIP, a failure is inflicted on the VIP
// holder, and the clock runs from that moment to the VIP on the other node, to that node
// writable (the notify handler's work) and to the first write it acknowledges. Then the
// failed node is repaired and must rejoin as a read-only standby without taking the VIP back.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitForTrack } from '../clients/daemon-outputs.js';
import { type Ack, waitForAckAfter, type Writer } from '../clients/writer.js';
import { nodePaths, type NodeName } from '../keepalived/examples.js';
import type { KeepalivedProcess } from '../keepalived/process.js';
import { other } from './node.js';
import type { Topology } from './topology.js';
import { waitFor } from '../wait.js';

export type FailureKind = 'kill-mysqld' | 'stop-mysqld' | 'cut-link' | 'kill-daemon';

interface Failure {
  /** What happens to the VIP holder, for reports. */
  label: string;
  /** Inflicts the failure on `node`; resolves with epoch ms just before it. */
  inflict(topo: Topology, node: NodeName): Promise<number>;
  /** Undoes it, as an operator would: restart, SIGCONT, link up, daemon restarted. */
  repair(topo: Topology, node: NodeName): Promise<void>;
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
};

/**
 * After a failover attempt that threw: resumes any stopped mysqld and brings any cut link back
 * up, on both nodes, so that later tests and the cleanup find servers that answer.
 */
export async function releaseAll(topo: Topology, kind: FailureKind): Promise<void> {
  for (const n of ['a', 'b'] as const) {
    if (kind === 'stop-mysqld' && topo.nodes[n].server.running) topo.nodes[n].server.kill('SIGCONT');
    if (kind === 'cut-link') await topo.restoreLink(n);
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
  /** keepalived BACKUP on it after the repair. */
  backupAt: number;
  /** Every write the new holder acknowledged is on the repaired node too. */
  caughtUpAt: number;
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
  // daemon restarted): look for it from the start of the repair, not from its end.
  const repairStartedAt = Date.now();
  await FAILURES[run.kind].repair(topo, old);
  await afterRepair?.();
  const repairedAt = Date.now();
  const readOnlyAt = await waitReadOnly(topo, old);
  const backup = await topo.nodes[old].keepalived?.waitForState('BACKUP', repairStartedAt - 1, 20_000);
  const newId = topo.nodes[next].server.serverId;
  const acked = run.writer.acks.filter((a) => a.serverId === newId);
  await waitFor(`node ${old} to apply the ${acked.length} writes acknowledged by ${next}`, async () => (await topo.lostAcks(acked, old)).length === 0, { timeoutMs: 20_000, intervalMs: 50 });
  const caughtUpAt = Date.now();
  const samples = await topo.sampleVip(sampleMs);
  const flapped = samples.filter((s) => s.holders.length !== 1 || s.holders[0] !== next);
  if (flapped.length > 0) throw new Error(`the VIP left node ${next} after ${old} rejoined: ${JSON.stringify(flapped.slice(0, 3))}\n${topo.describe()}`);
  return { repairedAt, readOnlyAt, backupAt: backup?.at ?? Number.NaN, caughtUpAt };
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
