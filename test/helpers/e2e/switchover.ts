// Planned switchovers in the end-to-end topology, measured the same way by the e2e suite and by
// `npm run bench:failover`: `check-mysql switchover` runs in the writer's namespace (as on the
// writer's host) while a client writes numbered rows through the VIP; the figures are the
// longest gap between two acknowledged writes, the acknowledged writes missing on the new
// writer, and the command's own step timings. Then `maintenance off` returns the old writer as
// a read-only standby (keepalived BACKUP), ready for the switchover back.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeRun, runCheck, type CheckRun } from '../clients/cli.js';
import { waitForTrack } from '../clients/daemon-outputs.js';
import { type Ack, waitForAckAfter, type Writer } from '../clients/writer.js';
import { nodePaths, type NodeName } from '../keepalived/examples.js';
import { newCredentials, type Credentials } from '../servers/credentials.js';
import { threadsRunning } from '../servers/replication.js';
import { E2E_MYSQL_PORT } from '../servers/ns-server.js';
import { waitFor } from '../wait.js';
import { assertOneWritableHolder, waitWritable } from './failover.js';
import { other } from './node.js';
import { ADDRESSES, type Topology } from './topology.js';

/** The operator's account on both nodes: over the socket locally, over TCP from the other node. */
export const SWITCHOVER_GRANTS = 'READ_ONLY ADMIN, CONNECTION ADMIN, PROCESS, SLAVE MONITOR, REPLICATION SLAVE ADMIN';

export const switchoverCnf = (topo: Topology, n: NodeName): string => join(topo.nodes[n].dir, 'etc', 'switchover.cnf');
export const maintenanceFileOf = (topo: Topology, n: NodeName): string => nodePaths(topo.nodes[n].dir).maintenanceFile;

/** Creates the switchover account on both nodes (outside the binlogs) and each node's option file. */
export async function prepareSwitchover(topo: Topology): Promise<Credentials> {
  const c = newCredentials('switchover');
  for (const n of ['a', 'b'] as const) {
    const s = topo.nodes[n].server;
    await s.exec(
      'SET SESSION sql_log_bin=0',
      ...['localhost', '192.0.2.%'].flatMap((host) => [`CREATE USER '${c.user}'@'${host}' IDENTIFIED BY '${c.password}'`, `GRANT ${SWITCHOVER_GRANTS} ON *.* TO '${c.user}'@'${host}'`]),
      'SET SESSION sql_log_bin=1',
    );
    writeFileSync(switchoverCnf(topo, n), `[client]\nuser = ${c.user}\npassword = ${c.password}\nsocket = ${s.socket}\n`, { mode: 0o600 });
  }
  return c;
}

export interface SwitchoverRun {
  from: NodeName;
  to: NodeName;
  run: CheckRun;
  /** The command's step timings, as it printed them ("read-only" -> 3). */
  steps: Record<string, number>;
}

/** `check-mysql switchover` in node `from`'s namespace, towards the other node. */
export async function switchover(topo: Topology, from: NodeName, extra: string[] = []): Promise<SwitchoverRun> {
  const to = other(from);
  const args = [
    'switchover', `--defaults-file=${switchoverCnf(topo, from)}`, '--peer', `${ADDRESSES[to]}:${E2E_MYSQL_PORT}`,
    '--maintenance-file', maintenanceFileOf(topo, from), '--vip', ADDRESSES.vip, '--lock-file', nodePaths(topo.nodes[from].dir).notifyLock, '--no-syslog', '--log-file', join(topo.nodes[from].dir, 'switchover.log'), ...extra,
  ];
  const run = await runCheck(args, { netns: topo.nodes[from].netns, killAfterMs: 90_000 });
  return { from, to, run, steps: stepsOf(run.stdout) };
}

/** "  read-only            3 ms  SET GLOBAL read_only = ON" lines after "steps:". */
export function stepsOf(stdout: string): Record<string, number> {
  const steps: Record<string, number> = {};
  const start = stdout.indexOf('\nsteps:\n');
  if (start < 0) return steps;
  for (const line of stdout.slice(start + 8).split('\n')) {
    const m = /^ {2}(\S.*?) +(\d+) ms {2}/.exec(line);
    if (!m) break;
    steps[m[1]!] = Number(m[2]);
  }
  return steps;
}

/** The longest time between two consecutive acknowledged writes in [since, until]. */
export function longestGap(acks: readonly Ack[], since = 0, until = Number.POSITIVE_INFINITY): { ms: number; before?: Ack; after?: Ack } {
  const inside = acks.filter((a) => a.at >= since && a.at <= until);
  let best: { ms: number; before?: Ack; after?: Ack } = { ms: 0 };
  for (let i = 1; i < inside.length; i++) {
    const ms = inside[i]!.at - inside[i - 1]!.at;
    if (ms > best.ms) best = { ms, before: inside[i - 1]!, after: inside[i]! };
  }
  return best;
}

export interface MeasuredSwitchover extends SwitchoverRun {
  /** The longest gap between acknowledged writes around the switchover. */
  gapMs: number;
  /** Acknowledged writes missing on the new writer. */
  lost: number[];
  acks: number;
  errors: Record<string, number>;
  writer: Writer;
  /** Epoch ms: the command spawned; keepalived FAULT on the old writer, MASTER on the new one (notify recorder). */
  startedAt: number;
  faultAt: number | undefined;
  masterAt: number | undefined;
}

/**
 * One switchover from the VIP holder while a client writes through the VIP (5 ms between
 * writes, a 250 ms connect timeout as in failOver, so the gap shows the switchover, not TCP's
 * 1 s SYN retry): the command must exit 0, the new writer take writes, nothing acknowledged be
 * missing on it, and one writable node hold the VIP.
 */
export async function measuredSwitchover(topo: Topology, extra: string[] = []): Promise<MeasuredSwitchover> {
  const holders = await topo.vipHolders();
  if (holders.length !== 1) throw new Error(`expected one VIP holder before the switchover, found: ${holders.join(', ') || 'none'}\n${topo.describe()}`);
  const from = holders[0] as NodeName;
  const to = other(from);
  const newId = topo.nodes[to].server.serverId;
  const writer = topo.startWriter({ maxWrites: 20_000, maxMs: 60_000, pauseMs: 5, connectTimeoutMs: 250, queryTimeoutMs: 2_000 });
  let result: SwitchoverRun;
  let startedAt = 0;
  const t0 = Date.now();
  try {
    await waitForAckAfter(writer, Date.now() + 300, 5_000);
    startedAt = Date.now();
    result = await switchover(topo, from, extra);
    if (result.run.code !== 0) throw new Error(`the switchover failed\n${describeRun(result.run)}\n${topo.describe()}`);
    await waitForAckAfter(writer, t0, 10_000, newId);
    // Half a second of writes on the new writer: they must all land there.
    await sleep(500);
  } finally {
    await writer.stop();
  }
  await waitWritable(topo, to);
  const lost = await topo.lostAcks(writer.acks, to);
  await assertOneWritableHolder(topo, to);
  const faultAt = topo.nodes[from].keepalived?.states().find((s) => s.state === 'FAULT' && s.at >= startedAt)?.at;
  const masterAt = topo.nodes[to].keepalived?.states().find((s) => s.state === 'MASTER' && s.at >= startedAt)?.at;
  return { ...result, gapMs: longestGap(writer.acks, t0).ms, lost, acks: writer.acks.length, errors: writer.errorCounts(t0), writer, startedAt, faultAt, masterAt };
}

/**
 * `maintenance off` on the old writer, then waits until it is a BACKUP whose daemon reads it
 * healthy, replicating from the writer, and the writer applying what it receives from it (its
 * IO thread may be stopped: the notify handler's promotion fences it, notify/peer-io.ts, unless
 * the switchover had made it writable first): ready to be switched to again.
 */
export async function returnFromMaintenance(topo: Topology, node: NodeName): Promise<void> {
  const t0 = Date.now();
  const off = await runCheck(['maintenance', 'off', '--maintenance-file', maintenanceFileOf(topo, node)]);
  if (off.code !== 0) throw new Error(`maintenance off failed\n${describeRun(off)}`);
  await topo.nodes[node].keepalived?.waitForState('BACKUP', t0 - 1, 15_000);
  await waitForTrack(nodePaths(topo.nodes[node].dir).trackFile, 0, 15_000);
  const writer = topo.nodes[other(node)].server;
  const writerApplies = async (): Promise<boolean> => (await writer.slaveStatus()).every((r) => r.Slave_SQL_Running === 'Yes' && (r.Slave_IO_Running === 'Yes' || Number(r.Last_IO_Errno) === 0));
  await waitFor(`node ${node} replicating, the writer's SQL thread running`, async () => (await threadsRunning(topo.nodes[node].server)) && (await writerApplies()), { timeoutMs: 15_000 });
}

/** The VIP holder once both nodes settled: one writable holder, the other a BACKUP with a healthy daemon. */
export async function settledWriter(topo: Topology, timeoutMs = 20_000): Promise<NodeName> {
  const { node } = await topo.waitForSingleHolder(timeoutMs);
  await waitWritable(topo, node);
  const standby = other(node);
  await waitForTrack(nodePaths(topo.nodes[standby].dir).trackFile, 0, timeoutMs);
  await topo.nodes[standby].keepalived?.waitForState('BACKUP', topo.keepalivedStartedAt, timeoutMs);
  return node;
}
