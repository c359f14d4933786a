/**
 * A planned switchover, run on the writer: preflight (preflight.ts), then the steps of plan.ts,
 * each timed. Every step before maintenance can be undone, and is undone when a later one
 * fails: this node is made writable again only while it still holds the VIP, so a rollback can
 * never make two writers. Once the maintenance file is written the VIP may move at any moment,
 * so from then on this node stays read-only whatever happens.
 */
import { classifyDriverError } from '../db/failure.js';
import { deadlineAfter } from '../deadline.js';
import { isWritable, readOnlyText } from '../dialect/read-only-state.js';
import { GtidListSyntaxError } from '../gtid/mariadb-gtid-list.js';
import { GtidSetSyntaxError } from '../gtid/mysql-gtid-set.js';
import { finalPosition, readGtidState } from '../gtid/gtid-state.js';
import { enterMaintenance, readMaintenance } from '../maintenance/maintenance-file.js';
import { gtidWait, serverWaitSeconds } from '../notify/catch-up.js';
import { setReadOnlyFenced } from '../notify/fence.js';
import { acquirePromotionLock, type LockFs } from '../notify/lock-file.js';
import { PROMOTE_SQL, demoteSql, killClients } from '../notify/read-only.js';
import { describeWrite } from '../notify/writes-in-flight.js';
import { replication } from '../probes/replication.js';
import { readProbe } from '../probes/run-probes.js';
import { serverVariables } from '../probes/server-variables.js';
import type { ConnectionConfig } from '../types/config.js';
import type { MaintenanceFs } from '../types/maintenance-fs.js';
import type { Flavor, ServerInfo } from '../types/server.js';
import type { Connector, Session } from '../types/session.js';
import { holdsAddress, type InterfaceTable } from '../vip.js';
import { confirm } from './confirm.js';
import { POLICY, problemOf } from './reading.js';
import { planLines } from './plan.js';
import { judgePreflight, preflightLines, type NodeFacts, type Preflight } from './preflight.js';

export interface SwitchoverSpec {
  readonly local: ConnectionConfig;
  readonly peer: ConnectionConfig;
  /** The VIP at the peer's port, with the same options: how clients reach the writer. */
  readonly viaVip: ConnectionConfig;
  readonly vip: string;
  /** Per statement and per connect. */
  readonly timeoutMs: number;
  readonly maxLagSeconds: number;
  readonly maintenanceFile: string;
  readonly catchUpTimeoutS: number;
  readonly confirmTimeoutS: number;
  readonly killConnections: boolean;
  readonly keepUsers: readonly string[];
  readonly dryRun: boolean;
  /** user@host, recorded in the maintenance file. */
  readonly by: string;
  /** The notify handler's promotion lock (--lock-file), held while this node is read-only before maintenance. */
  readonly lockFile: string;
}

export interface SwitchoverDeps {
  readonly connect: Connector;
  /** Milliseconds, monotonic. */
  readonly now: () => number;
  /** ISO-8601 UTC, for the maintenance file. */
  readonly isoNow: () => string;
  readonly networkInterfaces: () => InterfaceTable;
  readonly maintenanceFs: MaintenanceFs;
  readonly sleep: (ms: number) => Promise<void>;
  readonly lockFs: LockFs;
  readonly pid: number;
}

export interface StepTiming {
  readonly step: string;
  readonly ms: number;
  readonly detail: string;
}

export type SwitchoverResult = 'refused' | 'dry-run' | 'switched' | 'rolled-back' | 'unconfirmed' | 'failed';

export interface SwitchoverOutcome {
  readonly result: SwitchoverResult;
  readonly ok: boolean;
  /** One line: why refused, what went wrong, or what was done. */
  readonly message: string;
  readonly preflight?: Preflight;
  readonly plan?: readonly string[];
  readonly steps: readonly StepTiming[];
  readonly totalMs: number;
}


class Refusal extends Error {}

export async function runSwitchover(spec: SwitchoverSpec, deps: SwitchoverDeps): Promise<SwitchoverOutcome> {
  const started = deps.now();
  const steps: StepTiming[] = [];
  const sessions: Session[] = [];
  const done = (result: SwitchoverResult, message: string, extra: Partial<SwitchoverOutcome> = {}): SwitchoverOutcome => ({
    result, ok: result === 'switched' || result === 'dry-run', message, steps, totalMs: Math.round(deps.now() - started), ...extra,
  });
  try {
    return await switchover(spec, deps, steps, sessions, done);
  } catch (err) {
    if (err instanceof Refusal) return done('refused', `${err.message}; nothing changed`);
    throw err;
  } finally {
    await Promise.all(sessions.map((s) => s.close(deadlineAfter(spec.timeoutMs, deps.now)).catch(() => undefined)));
  }
}

type Done = (result: SwitchoverResult, message: string, extra?: Partial<SwitchoverOutcome>) => SwitchoverOutcome;

async function switchover(spec: SwitchoverSpec, deps: SwitchoverDeps, steps: StepTiming[], sessions: Session[], done: Done): Promise<SwitchoverOutcome> {
  const { now } = deps;
  const within = () => deadlineAfter(spec.timeoutMs, now);
  const timed: Timed = async (step, work, detail) => {
    const t0 = now();
    const value = await work();
    steps.push({ step, ms: Math.round(now() - t0), detail: detail(value) });
    return value;
  };

  // --- preflight: read only -------------------------------------------------------------------
  const t0 = now();
  const open = async (connection: ConnectionConfig, who: string): Promise<Session> => {
    try {
      const s = await deps.connect(connection, within());
      sessions.push(s);
      return s;
    } catch (err) {
      throw new Refusal(`cannot connect to ${who} ${connection.label}: ${classifyDriverError(err).message}`);
    }
  };
  const [local, peer] = await Promise.all([open(spec.local, 'this node'), open(spec.peer, 'the peer')]);
  const [localFacts, peerFacts] = await Promise.all([readNode(local, spec.local.label, 'this node', spec, now), readNode(peer, spec.peer.label, 'the peer', spec, now)]);
  let preflight: Preflight;
  try {
    preflight = judgePreflight({
      vip: spec.vip, vipHeld: holdsAddress(spec.vip, deps.networkInterfaces()), maintenanceFile: spec.maintenanceFile, maintenance: readMaintenance(deps.maintenanceFs, spec.maintenanceFile),
      local: localFacts, peer: peerFacts, maxLagSeconds: spec.maxLagSeconds,
    });
  } catch (err) {
    if (err instanceof GtidSetSyntaxError || err instanceof GtidListSyntaxError) throw new Refusal(`cannot compare the GTIDs of the two nodes: ${err.message}`);
    throw err;
  }
  const readOnlySql = demoteSql(localFacts.server);
  const plan = planLines({ flavor: localFacts.server.flavor, readOnlySql: readOnlySql ?? 'already read-only', peer: spec.peer.label, vip: spec.vip, maintenanceFile: spec.maintenanceFile, catchUpTimeoutS: spec.catchUpTimeoutS, confirmTimeoutS: spec.confirmTimeoutS, killConnections: spec.killConnections, lockFile: spec.lockFile });
  steps.push({ step: 'preflight', ms: Math.round(now() - t0), detail: `${preflight.conditions.filter((c) => c.met === true).length} conditions met, ${preflight.conditions.filter((c) => c.met === 'assumed').length} assumed` });
  if (preflight.refusal || !readOnlySql) return done('refused', `refused: ${preflight.refusal ?? 'this node is read-only already'}; nothing changed`, { preflight, plan });
  if (spec.dryRun) return done('dry-run', `dry run: the preflight passed; nothing changed`, { preflight, plan });

  // --- 1. read-only here ----------------------------------------------------------------------
  // This node's check (daemon or vrrp_script) fails a read-only VIP holder, and keepalived would
  // move the VIP during the catch-up (to a peer that may be behind, which then stays read-only).
  // Holding the notify handler's promotion lock makes the check read it as 'promoting' instead,
  // as during a notify MASTER run's catch-up; it also keeps a notify run from interleaving.
  let unlock: () => void;
  try {
    unlock = await timed('lock', () => acquirePromotionLock(spec.lockFile, deps.pid, spec.timeoutMs, now, deps.lockFs), () => `holding ${spec.lockFile}`);
  } catch (err) {
    return done('refused', `refused: cannot hold the promotion lock: ${(err as Error).message}; nothing changed`, { preflight, plan });
  }
  let held = true;
  const release = (): void => {
    if (held) unlock();
    held = false;
  };
  const ctx: Steps = { spec, deps, local, peer, peerServerId: peerFacts.server.serverId, flavor: localFacts.server.flavor, peerFlavor: peerFacts.server.flavor, timed, steps, release, done: (result, message) => done(result, message, { preflight, plan }) };
  try {
    return await afterLock(ctx, readOnlySql);
  } finally {
    release();
  }
}

/** What steps 1 to 5 work with. */
interface Steps {
  readonly spec: SwitchoverSpec;
  readonly deps: SwitchoverDeps;
  readonly local: Session;
  readonly peer: Session;
  readonly peerServerId: number | null;
  readonly flavor: Flavor;
  readonly peerFlavor: Flavor;
  readonly timed: Timed;
  readonly steps: StepTiming[];
  /** Lets go of the promotion lock (idempotent). */
  readonly release: () => void;
  readonly done: (result: SwitchoverResult, message: string) => SwitchoverOutcome;
}

/** Steps 1 to 5, under the lock, which goes once the maintenance file is written (the check then fails by it). */
async function afterLock(ctx: Steps, readOnlySql: string): Promise<SwitchoverOutcome> {
  const { spec, deps, local, peer, peerServerId, flavor, peerFlavor, timed, steps, done } = ctx;
  const { now } = deps;
  const within = () => deadlineAfter(spec.timeoutMs, now);
  const keep = new Set([...spec.keepUsers, spec.local.user]);
  const rollBack = async (why: string): Promise<SwitchoverOutcome> => {
    // Only while the VIP is still here: writable without it would make two writers.
    if (!holdsAddress(spec.vip, deps.networkInterfaces())) {
      return done('failed', `${why}; NOT rolled back: VIP ${spec.vip} left this node meanwhile, so it stays read-only (${await readOnlyNow(local, spec, now)})`);
    }
    let after: ServerInfo;
    try {
      after = await timed('roll back', async () => {
        await local.query(PROMOTE_SQL, within());
        return readProbe(serverVariables, { session: local, deadline: within(), now }, POLICY(spec.maxLagSeconds), {});
      }, (s) => `${PROMOTE_SQL} -> ${readOnlyText(s)}`);
    } catch (err) {
      return done('failed', `${why}; roll back FAILED (${problemOf(err)}): this node may be read-only; check read_only and set it OFF by hand while it holds the VIP`);
    }
    const state = isWritable(after) ? `rolled back: this node is writable again (${readOnlyText(after)}), nothing changed` : `roll back FAILED: this node is still read-only (${readOnlyText(after)})`;
    return done(isWritable(after) ? 'rolled-back' : 'failed', `${why}; ${state}`);
  };

  const fenced = await timed('read-only', () => setReadOnlyFenced(local, readOnlySql, flavor, keep, within(), now), (f) => `${readOnlySql}${f.ended.length ? `; ended ${f.ended.map((w) => `KILL ${w.kill} ${describeWrite(w)}`).join(', ')}` : ''}`);
  if (!fenced.ok) return rollBack(`could not make this node read-only: ${fenced.problem}`);
  const behind = await catchUp(spec, local, peer, flavor, peerFlavor, keep, timed, now).catch((err: unknown) => `failed while read-only: ${problemOf(err)}`);
  if (behind) return rollBack(behind);

  // --- 4. maintenance: from here on the VIP may move, and this node stays read-only ------------
  try {
    await timed('maintenance', async () => enterMaintenance(deps.maintenanceFs, spec.maintenanceFile, { reason: `switchover to ${spec.peer.label}`, since: deps.isoNow(), by: spec.by }), () => `wrote ${spec.maintenanceFile}`);
  } catch (err) {
    return rollBack(problemOf(err));
  }
  const entered = now();
  ctx.release();

  // --- 5. confirm -----------------------------------------------------------------------------
  const confirmed = await confirm(spec, deps, peer, peerServerId, entered);
  steps.push(...confirmed.steps);
  if (confirmed.problem) return done('unconfirmed', `in maintenance, read-only here (${await readOnlyNow(local, spec, now)}), but ${confirmed.problem}`);
  return done('switched', `switched over to ${spec.peer.label}: VIP ${spec.vip} left this node, the peer is writable; this node is read-only and in maintenance`);
}

type Timed = <T>(step: string, work: () => Promise<T>, detail: (t: T) => string) => Promise<T>;

/** Steps 1b-3: kill connections, read the final position, wait for the peer. Returns why it did not catch up, or undefined. */
async function catchUp(spec: SwitchoverSpec, local: Session, peer: Session, flavor: Flavor, peerFlavor: Flavor, keep: ReadonlySet<string>, timed: Timed, now: () => number): Promise<string | undefined> {
  if (spec.killConnections) await timed('kill connections', () => killClients(local, keep, spec.timeoutMs, now), (n) => `killed ${n} client connection(s)`);
  const position = await timed('final position', async () => finalPosition(await readGtidState(local, flavor, deadlineAfter(spec.timeoutMs, now))), (p) => p || '(empty)');
  const wait = gtidWait(peerFlavor, position);
  const waitS = serverWaitSeconds(spec.catchUpTimeoutS);
  const outcome = await timed('catch-up', async () => {
    // The server waits up to waitS itself; our deadline only guards a hung peer.
    const rows = await peer.query(wait.sql(waitS), deadlineAfter(waitS * 1000 + spec.timeoutMs, now));
    return wait.outcome(rows[0]?.waited);
  }, (o) => `${spec.peer.label} ${o === 'caught-up' ? 'applied' : `${o} waiting for`} ${position}`);
  return outcome === 'caught-up' ? undefined : `the peer ${spec.peer.label} did not apply ${position} within ${waitS} s (--catchup-timeout)`;
}

async function readNode(session: Session, label: string, who: string, spec: SwitchoverSpec, now: () => number): Promise<NodeFacts> {
  const ctx = { session, deadline: deadlineAfter(spec.timeoutMs, now), now };
  const policy = POLICY(spec.maxLagSeconds);
  try {
    const server = await readProbe(serverVariables, ctx, policy, {});
    const channels = await readProbe(replication, { ...ctx, deadline: deadlineAfter(spec.timeoutMs, now) }, policy, { server });
    const gtid = await readGtidState(session, server.flavor, deadlineAfter(spec.timeoutMs, now));
    return { label, server, channels, gtid };
  } catch (err) {
    throw new Refusal(`cannot read ${who} ${label}: ${problemOf(err)}`);
  }
}


async function readOnlyNow(session: Session, spec: SwitchoverSpec, now: () => number): Promise<string> {
  try {
    const s: ServerInfo = await readProbe(serverVariables, { session, deadline: deadlineAfter(spec.timeoutMs, now), now }, POLICY(spec.maxLagSeconds), {});
    return readOnlyText(s);
  } catch (err) {
    return `read_only unknown: ${problemOf(err)}`;
  }
}

/** The report: preflight, plan, steps with their times. */
export function reportLines(o: SwitchoverOutcome): string[] {
  const lines: string[] = [];
  if (o.preflight) lines.push('preflight:', ...preflightLines(o.preflight));
  if (o.plan && (o.result === 'dry-run' || o.result === 'refused')) lines.push('plan:', ...o.plan.map((l) => `  ${l}`));
  if (o.steps.length > 1 || o.result !== 'dry-run') {
    const width = Math.max(...o.steps.map((s) => s.step.length), 4);
    lines.push('steps:', ...o.steps.map((s) => `  ${s.step.padEnd(width)}  ${String(s.ms).padStart(6)} ms  ${s.detail}`));
  }
  lines.push(`${o.message} (${o.totalMs} ms)`);
  return lines;
}
