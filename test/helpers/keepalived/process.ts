// One real keepalived process inside a network namespace of the test's own: spawned in the
// foreground with its console log captured, in its own process group (tracked by the reaper,
// with the config path as the marker that keepalived and its VRRP child both carry), and
// stopped with SIGTERM, escalating to SIGKILL of only the processes that still run our config.
// What the config's notify recorder (recorder.ts) writes is read back as Transitions. Also
// `keepalived -t` (config test), and whether this machine can run keepalived suites at all.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { findExecutable } from '../executables.js';
import { findIp, inNetns } from '../netns/namespace.js';
import { trackGroup, untrackGroup } from '../reaper.js';
import { findBinaries } from '../servers/binaries.js';
import { readTransitions, recorderPaths, type Transition, type VrrpState } from './recorder.js';

const run = promisify(execFile);

export function findKeepalived(): string | undefined {
  return findExecutable('keepalived');
}

/** Why keepalived suites cannot run here, or undefined when they can. */
export function keepalivedMissing(): string | undefined {
  const mariadb = findBinaries();
  if (typeof mariadb === 'string') return mariadb;
  if (!findKeepalived()) return 'keepalived not found (apt-get install keepalived)';
  if (!findIp()) return 'ip not found (apt-get install iproute2)';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (spawnSync('date', ['+%s%3N'], { encoding: 'utf8' }).stdout?.trim().length !== 13) return 'date +%s%3N (GNU coreutils) is needed by the notify script';
  return undefined;
}

export interface ConfigTest {
  code: number;
  /** keepalived's messages (it reports on stderr), trimmed. */
  output: string;
}

/**
 * `keepalived -t -f FILE` (2.2.7: --config-test[=LOG_FILE], report on stderr, exit 0 when the
 * file is clean). It checks that the interface exists and that script executables are there
 * and secure, so run it in the namespace the config is for (`netns`).
 */
export async function configTest(file: string, netns?: string): Promise<ConfigTest> {
  const keepalived = findKeepalived();
  if (!keepalived) throw new Error('keepalived not found');
  const [command, args] = netns ? inNetns(netns, keepalived, ['-t', '-f', file]) : [keepalived, ['-t', '-f', file]];
  try {
    const { stdout, stderr } = await run(command, args, { timeout: 10_000 });
    return { code: 0, output: `${stdout}${stderr}`.trim() };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() };
  }
}

export class KeepalivedProcess {
  readonly pid: number;
  private output = '';
  private done = false;
  private readonly exited: Promise<void>;
  private readonly statesFile: string;

  private constructor(child: ChildProcess, readonly netns: string, readonly conf: string, readonly dir: string) {
    if (child.pid === undefined) throw new Error('keepalived did not start');
    this.pid = child.pid;
    this.statesFile = recorderPaths(dir).statesFile;
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
   * Starts keepalived on `conf` in `netns`, its pid files and the states file of the config's
   * notify recorder (recorder.ts) in `dir`; resolves once it logs "Startup complete" (config
   * loaded, VRRP child running).
   */
  static async start(netns: string, conf: string, dir: string): Promise<KeepalivedProcess> {
    const keepalived = findKeepalived();
    if (!keepalived) throw new Error('keepalived not found (apt-get install keepalived)');
    const [command, args] = inNetns(netns, keepalived, [
      '-f', conf, '-p', join(dir, 'keepalived.pid'), '-r', join(dir, 'vrrp.pid'), '-c', join(dir, 'checkers.pid'),
      '--dont-fork', '--log-console', '--no-syslog',
    ]);
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) trackGroup(child.pid, conf);
    const ka = new KeepalivedProcess(child, netns, conf, dir);
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
