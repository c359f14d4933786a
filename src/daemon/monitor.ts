import { inspect, openSession, withPeerFact, type CheckDeps } from '../check.js';
import type { CheckReport, Found, ProbeResults } from '../types/facts.js';
import type { Policy } from '../types/config.js';
import { fetchBatch, knownFrom } from '../probes/batch.js';
import type { ProbeContext, WriteLedger } from '../probes/probe.js';
import { runProbes } from '../probes/run-probes.js';
import type { Session } from '../types/session.js';
import { deadlineAfter } from '../deadline.js';
import type { TargetConfig } from './daemon-config.js';
import { applyCheck, applyMaintenance, sameMaintenance } from './hysteresis.js';
import type { MaintenanceState } from '../types/maintenance-fs.js';
import type { TargetState } from '../types/target-state.js';
import type { Deadline } from '../types/deadline.js';
import { PeerWatch } from './peer-watch.js';
import { delayToNextSlot, phaseOf } from './check-grid.js';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface MonitorDeps extends CheckDeps {
  /** Epoch milliseconds, for timestamps people read. */
  readonly wallClock: () => number;
  readonly timers: Timers;
}

/**
 * When a healthy target's server stops answering (refused, reset, deadline passed), the failure
 * is confirmed this soon rather than an interval later, so `fall` consecutive failures of a
 * killed mysqld take milliseconds. Policy failures (lag, a stopped SQL thread) are confirmed at
 * the normal interval: there, rise/fall is meant to ride out flapping.
 */
export const CONFIRM_FAILURE_MS = 10;
/** A stop waits this long for a check in progress, then tears its connection down. */
const STOP_GRACE_MS = 200;
const QUIT_ON_STOP_MS = 200;

/**
 * Watches one target: a full check every interval over a held connection (on the daemon's shared
 * grid of instants, src/daemon/check-grid.ts), and an immediate re-check when that connection is
 * lost (mysqld killed, network cut). Never throws.
 */
export class TargetMonitor {
  private session: Session | undefined;
  private timer: unknown;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Cleared for good if this server rejects the batch (a grant or a statement it lacks). */
  private batching = true;
  /** What the last check on the held session found: the next check's batch is planned from it. */
  private known: Found = {};
  /** A heartbeat write whose end no check has seen, across reconnects: no other is sent while it may be on the server. */
  private readonly ledger: WriteLedger = {};
  /** The target's `peer`, read beside each check. */
  private readonly peer: PeerWatch | undefined;
  /** The last check's report before the peer's reading was added to it. */
  private own: CheckReport | undefined;
  /** When the last check began (the monotonic clock): the next regular one keeps its distance (src/daemon/check-grid.ts). */
  private lastStartedAt = -Infinity;

  /** Where in the interval this target's checks fall (src/daemon/check-grid.ts). */
  private readonly phaseMs: number;

  /** position: the target's place in the daemon's config, which decides its phase. */
  constructor(
    readonly target: TargetConfig,
    private readonly deps: MonitorDeps,
    private state: TargetState,
    private readonly onCheck: (state: TargetState, target: TargetConfig) => void,
    position = 0,
  ) {
    this.peer = target.peer && new PeerWatch(target.peer, deps);
    this.phaseMs = phaseOf(position, target.intervalMs);
  }

  get current(): TargetState {
    return this.state;
  }

  start(): void {
    this.schedule(0);
  }

  /**
   * Stops checking and quits the held connection, in bounded time: a check stuck on a hung
   * server must not hold a SIGTERM for its whole --timeout.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.timers.clearTimeout(this.timer);
    if (this.running) {
      await Promise.race([this.running, new Promise<void>((resolve) => this.deps.timers.setTimeout(resolve, STOP_GRACE_MS))]);
    }
    const session = this.session;
    this.session = undefined;
    // close() is bounded too: it sends COM_QUIT and tears the socket down if none is answered,
    // which also ends a query still waiting on a hung server.
    const quit = deadlineAfter(QUIT_ON_STOP_MS, this.deps.now);
    await Promise.all([session?.usable ? session.close(quit) : undefined, this.peer?.stop(quit)]);
  }

  /**
   * Takes a change of the maintenance file at once, between checks: returns whether anything
   * changed. Leaving starts the checks that count toward `rise` right away.
   */
  setMaintenance(maintenance: MaintenanceState): boolean {
    if (this.stopped || sameMaintenance(this.state.maintenance, maintenance)) return false;
    const leaving = this.state.maintenance !== undefined && !maintenance.on;
    this.state = applyMaintenance(this.state, maintenance, this.deps.wallClock());
    if (leaving) this.checkNow();
    return true;
  }

  /** Check now (coalesced with a check already running). */
  checkNow(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.deps.timers.clearTimeout(this.timer);
    this.running = this.runOnce().finally(() => {
      this.running = undefined;
      this.next();
    });
  }

  private schedule(ms: number): void {
    this.deps.timers.clearTimeout(this.timer);
    if (!this.stopped) this.timer = this.deps.timers.setTimeout(() => this.checkNow(), ms);
  }

  private next(): void {
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      this.schedule(0);
      return;
    }
    const report = this.state.lastReport;
    const unreachable = report !== undefined && (!report.facts.connect.ok || report.verdict.reasons.some((r) => r.code === 'timeout'));
    const confirming = this.state.healthy && this.state.consecutiveFail > 0 && unreachable;
    this.schedule(confirming ? CONFIRM_FAILURE_MS : delayToNextSlot(this.deps.now(), this.lastStartedAt, this.target.intervalMs, this.phaseMs));
  }

  private async runOnce(): Promise<void> {
    const started = this.deps.now();
    this.lastStartedAt = started;
    const deadline = deadlineAfter(this.target.timeoutMs, this.deps.now);
    // The peer is read beside the check, under the same deadline, every check: both writable
    // must show within one interval, and one more round trip on a held connection is cheap.
    const peerRead = this.peer?.read(deadline);
    const report = await this.checkOnce(started, deadline);
    if (this.stopped) return;
    this.own = report;
    // Never waited for: an unreachable peer must not delay this target's verdict. Its last
    // reading is used now, and this check is judged again when the running one ends.
    this.state = applyCheck(this.state, this.withPeer(report), this.deps.wallClock(), this.target);
    this.publish();
    if (peerRead && this.peer?.busy) void peerRead.then(() => this.peerRead(report));
  }

  /** A peer reading that ended after its check: the check's report with it (only warnings change, never `healthy`). */
  private peerRead(report: CheckReport): void {
    if (this.stopped || this.own !== report) return;
    this.state = { ...this.state, lastReport: this.withPeer(report) };
    this.publish();
  }

  private withPeer(report: CheckReport): CheckReport {
    const fact = this.peer?.latest;
    return fact ? withPeerFact(report, fact, this.target.policy) : report;
  }

  private publish(): void {
    try {
      this.onCheck(this.state, this.target);
    } catch {
      // The daemon's sinks handle their own errors; a throwing one must not stop the checks.
    }
  }

  private async checkOnce(started: number, deadline: Deadline): Promise<CheckReport> {
    let connectMs = 0;
    if (!this.session?.usable) {
      const opened = await openSession(this.target, this.deps, deadline, started);
      if (!opened.session) return opened.report;
      this.session = opened.session;
      // A new server process may be another version: nothing is known until it is asked.
      this.known = {};
      connectMs = opened.connectMs;
      opened.session.onLost(() => this.checkNow());
    }
    // A probe that times out tears the session down; the next check reconnects.
    const report = await inspect(this.session, this.target, this.deps, deadline, started, connectMs, (ctx, policy) => this.probe(ctx, policy));
    this.known = knownFrom(report.facts);
    return report;
  }

  /**
   * Once the first check on a session has found the server's flavour, every probe's statements go
   * in one round trip: on a loopback socket each write costs more CPU than parsing its answer.
   * A batch the server rejects (not the deadline, not a lost connection) is wrong here for good.
   */
  private async probe(shared: ProbeContext, policy: Policy): Promise<ProbeResults> {
    const ctx = { ...shared, ledger: this.ledger };
    const batch = this.batching ? await fetchBatch(ctx, policy, this.known) : undefined;
    if (batch === 'rejected') this.batching = false;
    return runProbes(ctx, policy, batch === 'rejected' ? undefined : batch);
  }
}
