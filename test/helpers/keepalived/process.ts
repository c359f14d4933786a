// One real keepalived process inside a network namespace of the test's own: spawned in the
// foreground with its console log captured, in its own process group (tracked by the reaper,
// with the config path as the marker that keepalived and its VRRP child both carry), and
// stopped with SIGTERM, escalating to SIGKILL of only the processes that still run our config.
// What the config's notify recorder writes is read back as Transitions.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable } from '../servers/binaries.js';
import { inNetns } from '../netns/bridge.js';
import { trackGroup, untrackGroup } from '../reaper.js';

export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

/** One line of a notify recorder: "EPOCH_MS TYPE NAME STATE PRIORITY". */
export interface Transition {
  /** Epoch ms, taken by the recorder when keepalived ran it. */
  at: number;
  type: string;
  name: string;
  state: VrrpState;
  priority: number;
}

/** The recorder's lines, in time order (keepalived may run notify scripts out of order). */
export function readTransitions(statesFile: string): Transition[] {
  let text = '';
  try {
    text = readFileSync(statesFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => /^(\d{13}) (\S+) (\S+) (MASTER|BACKUP|FAULT|STOP|DELETED) (\d+)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ at: Number(m[1]), type: m[2] as string, name: m[3] as string, state: m[4] as VrrpState, priority: Number(m[5]) }))
    .sort((x, y) => x.at - y.at);
}

export function findKeepalived(): string | undefined {
  return findExecutable('keepalived');
}

export class KeepalivedProcess {
  readonly pid: number;
  private output = '';
  private done = false;
  private readonly exited: Promise<void>;

  private constructor(child: ChildProcess, readonly netns: string, readonly conf: string, readonly dir: string, private readonly statesFile: string) {
    if (child.pid === undefined) throw new Error('keepalived did not start');
    this.pid = child.pid;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    this.exited = new Promise((done) =>
      child.once('exit', () => {
        this.done = true;
        untrackGroup(this.pid);
        done();
      }),
    );
  }

  /**
   * Starts keepalived on `conf` in `netns`, its pid files in `dir`; resolves once it logs
   * "Startup complete" (config loaded, VRRP child running). `statesFile` is where the config's
   * notify recorder appends its lines.
   */
  static async start(netns: string, conf: string, dir: string, statesFile: string): Promise<KeepalivedProcess> {
    const keepalived = findKeepalived();
    if (!keepalived) throw new Error('keepalived not found (apt-get install keepalived)');
    const [command, args] = inNetns(netns, keepalived, [
      '-f', conf, '-p', join(dir, 'keepalived.pid'), '-r', join(dir, 'vrrp.pid'), '-c', join(dir, 'checkers.pid'),
      '--dont-fork', '--log-console', '--no-syslog',
    ]);
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) trackGroup(child.pid, conf);
    const ka = new KeepalivedProcess(child, netns, conf, dir, statesFile);
    try {
      await ka.waitForLog(/Startup complete/, 10_000);
    } catch (err) {
      await ka.stop();
      throw err;
    }
    return ka;
  }

  get running(): boolean {
    return !this.done;
  }

  get log(): string {
    return this.output;
  }

  /** Every state keepalived has notified, in time order (notify scripts may run out of order). */
  states(): Transition[] {
    return readTransitions(this.statesFile);
  }

  /** The first notified `state` at or after epoch ms `since`. */
  async waitForState(state: VrrpState, since: number, timeoutMs: number): Promise<Transition> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.states().find((s) => s.state === state && s.at >= since);
      if (found) return found;
      if (this.done) throw new Error(`keepalived exited while waiting for ${state}\n${this.describe()}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for keepalived to enter ${state}\n${this.describe()}`);
      await sleep(10);
    }
  }

  async waitForLog(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (this.done) throw new Error(`keepalived exited before logging ${pattern}\n${this.describe()}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for keepalived to log ${pattern}\n${this.describe()}`);
      await sleep(20);
    }
  }

  /** Its console log and the notified states, for failure messages. */
  describe(): string {
    const states = this.states().map((t) => `${t.at} ${t.state}`).join(', ') || '(none)';
    const lines = this.output.trim().split('\n').slice(-40).join('\n');
    return `keepalived in ${this.netns} (pid ${this.pid}, ${this.done ? 'exited' : 'running'}), ${this.conf}\nstates: ${states}\nconsole (last 40 lines):\n${lines}`;
  }

  /** SIGTERM (keepalived drops its VIPs, runs notify STOP and exits), SIGKILL after 5 s. Idempotent. */
  async stop(): Promise<void> {
    if (this.done) return this.exited;
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => this.killAll(), 5_000);
    await this.exited;
    clearTimeout(timer);
  }

  private killAll(): void {
    const pids = [this.pid];
    try {
      pids.push(Number(readFileSync(join(this.dir, 'vrrp.pid'), 'utf8').trim()));
    } catch {
      /* no VRRP child recorded */
    }
    for (const pid of pids) {
      try {
        // Only a process that still runs our config: never a recycled pid.
        if (pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.conf)) process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}
