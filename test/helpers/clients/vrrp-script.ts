// The one-shot check run as keepalived's vrrp_script runs it: on a fixed tick every interval,
// never two at once (a tick that falls while a run is still going is skipped), every run kept
// with when it started and ended (performance.now(), as daemon.ts's now()). The detection suites
// start it before the fault, so a measured detection time includes where the fault fell between
// two ticks, as it would under keepalived.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckRun } from './cli.js';
import { now } from './daemon.js';

export interface ScriptRun {
  startedAt: number;
  endedAt: number;
  run: CheckRun;
}

export class VrrpScript {
  readonly runs: ScriptRun[] = [];
  private stopped = false;
  private held = false;
  private inProgress = false;
  private readonly loop: Promise<void>;

  private constructor(private readonly check: () => Promise<CheckRun>, readonly intervalMs: number) {
    this.loop = this.tick();
  }

  static start(check: () => Promise<CheckRun>, intervalMs = 1_000): VrrpScript {
    return new VrrpScript(check, intervalMs);
  }

  private async tick(): Promise<void> {
    const t0 = now();
    for (let k = 0; !this.stopped; ) {
      await sleep(Math.max(0, t0 + k * this.intervalMs - now()));
      if (this.stopped) return;
      if (this.held) {
        k += 1;
        continue;
      }
      const startedAt = now();
      this.inProgress = true;
      const run = await this.check().finally(() => (this.inProgress = false));
      this.runs.push({ startedAt, endedAt: now(), run });
      // The next tick not yet passed: those that fell during this run are skipped.
      k = Math.max(k + 1, Math.ceil((now() - t0) / this.intervalMs));
    }
  }

  /** The first run that started at or after `since` and satisfies `match` (already done or to come). */
  async waitFor(what: string, match: (r: ScriptRun) => boolean, { since = 0, timeoutMs = 15_000 }: { since?: number; timeoutMs?: number } = {}): Promise<ScriptRun> {
    const deadline = now() + timeoutMs;
    for (;;) {
      const found = this.runs.find((r) => r.startedAt >= since && match(r));
      if (found) return found;
      if (this.stopped) throw new Error(`the vrrp_script loop was stopped while waiting for ${what}`);
      if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last run: ${this.describeLast()}`);
      await sleep(10);
    }
  }

  /** Runs that started in [from, to). */
  between(from: number, to = Number.POSITIVE_INFINITY): ScriptRun[] {
    return this.runs.filter((r) => r.startedAt >= from && r.startedAt < to);
  }

  describeLast(): string {
    const last = this.runs[this.runs.length - 1];
    return last ? `exit ${last.run.code}: ${last.run.stdout.trim() || last.run.stderr.trim()}` : '(none)';
  }

  /**
   * Runs no check on the ticks until release() (they keep their times): a fault that takes a
   * moment to set up is then in place before the next run, wherever it falls between two ticks.
   * Resolves once the run in progress, if any, has ended.
   */
  async hold(): Promise<{ release(): void }> {
    this.held = true;
    const deadline = now() + 30_000;
    while (this.inProgress && now() < deadline) await sleep(5);
    return { release: () => (this.held = false) };
  }

  /** Waits for the run in progress, if any; idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
