import type { CheckSpec } from './types/config.js';
import { classifyDriverError } from './db/failure.js';
import type { Connector, Session } from './types/session.js';
import { deadlineAfter } from './deadline.js';
import type { Deadline } from './types/deadline.js';
import type { ProbeContext } from './probes/probe.js';
import { runProbes } from './probes/run-probes.js';
import { sideConnection } from './probes/stall-inspector.js';
import { holdsAddress, type InterfaceTable } from './vip.js';
import { evaluate } from './verdict/evaluate.js';
import { roleOf } from './verdict/role.js';
import { isReadOnly } from './dialect/read-only-state.js';
import type { CheckReport, Facts, ProbeResults } from './types/facts.js';
import type { Policy } from './types/config.js';
import type { PeerFact } from './types/peer.js';
import type { VipSeen } from './vip-seen.js';

export interface CheckDeps {
  readonly connect: Connector;
  /** Milliseconds, monotonic. */
  readonly now: () => number;
  readonly networkInterfaces: () => InterfaceTable;
  /** Whether the notify handler is promoting this node right now (it holds its lock for MASTER). */
  readonly promotionInProgress?: (lockFile: string) => boolean;
  /** Records each sighting of the VIP and tells how long ago it was last seen away (--promotion-grace). */
  readonly vipSeen?: VipSeen;
}

/**
 * The one-shot check: connect, probe under one deadline, quit cleanly, judge. Never throws. The
 * deadline covers the work after the last answer too: keepalived kills the check at its timeout,
 * so a verdict reached past --timeout is `timeout`, never healthy. (The daemon, which nobody
 * kills, keeps an answer that arrived in time: the caps of src/limits.ts bound what it reads.)
 */
export async function runCheck(spec: CheckSpec, deps: CheckDeps): Promise<CheckReport> {
  const started = deps.now();
  const deadline = deadlineAfter(spec.timeoutMs, deps.now);
  const report = await checkOnce(spec, deps, deadline, started);
  if (deadline.remainingMs() > 0) return report;
  return finish({ ...report.facts, pastDeadline: { deadlineMs: spec.timeoutMs, elapsedMs: deps.now() - started } }, spec, started, deps);
}

async function checkOnce(spec: CheckSpec, deps: CheckDeps, deadline: Deadline, started: number): Promise<CheckReport> {
  const opened = await openSession(spec, deps, deadline, started);
  if (!opened.session) return opened.report;
  const report = await inspect(opened.session, spec, deps, deadline, started, opened.connectMs);
  await opened.session.close(deadline);
  return report;
}

/** Connects under the deadline; on failure returns the finished (failed) report instead. */
export async function openSession(
  spec: CheckSpec,
  deps: CheckDeps,
  deadline: Deadline,
  started: number,
): Promise<{ session: Session; connectMs: number; report?: undefined } | { session?: undefined; report: CheckReport }> {
  try {
    const session = await deps.connect(spec.connection, deadline);
    return { session, connectMs: deps.now() - started };
  } catch (err) {
    const facts: Facts = {
      target: spec.connection.label,
      connect: { ok: false, error: classifyDriverError(err), elapsedMs: deps.now() - started },
      ...vipFact(spec, deps),
    };
    return { report: finish(facts, spec, started, deps) };
  }
}

/** How a check's probes get run: one statement at a time, or (the daemon) mostly from one round trip. */
export type ProbeRunner = (ctx: ProbeContext, policy: Policy) => Promise<ProbeResults>;

/** Runs the probes over an open session (fresh or held by the daemon) and judges. Never throws. */
export async function inspect(
  session: Session,
  spec: CheckSpec,
  deps: CheckDeps,
  deadline: Deadline,
  started: number,
  connectMs: number,
  probe: ProbeRunner = runProbes,
): Promise<CheckReport> {
  // Read before the probes: the role, and so whether the heartbeat is written, depends on it.
  const vip = vipFact(spec, deps);
  const stall = spec.policy.heartbeat && sideConnection(deps.connect, spec.connection);
  const results = await probe({ session, deadline, now: deps.now, ...vip, ...(stall && { stall }) }, spec.policy);
  const facts: Facts = {
    target: spec.connection.label,
    connect: { ok: true, elapsedMs: connectMs, ...(session.tls && { tls: session.tls }) },
    ...results,
    ...vip,
    ...(mayBePromoting(results, vip, spec) && deps.promotionInProgress?.(spec.lockFile!) && { promoting: true }),
  };
  return finish(facts, spec, started, deps);
}

/**
 * Only a server judged writer while read-only has a verdict that a promotion in progress changes
 * (verdict/evaluate.ts): the lock is read for that one case, not on every check.
 */
function mayBePromoting(results: ProbeResults, vip: Pick<Facts, 'vip'>, spec: CheckSpec): boolean {
  const server = results.server;
  return spec.lockFile !== undefined && server?.ok === true && isReadOnly(server.value) && roleOf(server.value, vip.vip, spec.policy) === 'writer';
}

function vipFact(spec: CheckSpec, deps: CheckDeps): Pick<Facts, 'vip'> {
  const vip = spec.policy.vip;
  if (!vip) return {};
  const held = holdsAddress(vip, deps.networkInterfaces());
  const notHeldMsAgo = deps.vipSeen?.(vip, held, spec.lockFile);
  return { vip: { address: vip, held, ...(held && notHeldMsAgo !== undefined && { notHeldMsAgo }) } };
}

function finish(facts: Facts, spec: CheckSpec, started: number, deps: CheckDeps): CheckReport {
  return { facts, verdict: evaluate(facts, spec.policy), elapsedMs: deps.now() - started };
}

/** A report judged again with the daemon's reading of the target's peer (src/daemon/peer-watch.ts). */
export function withPeerFact(report: CheckReport, peer: PeerFact, policy: Policy): CheckReport {
  const facts = { ...report.facts, peer };
  return { ...report, facts, verdict: evaluate(facts, policy) };
}
