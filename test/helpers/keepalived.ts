// Real keepalived (2.2.x) in a network namespace of the test's own, configured as an operator
// would pair it with the check-mysql daemon: a track_file on the daemon's track file (weight 0,
// init_file 1 overwrite) and a vrrp_script running bin/check-mysql-fresh on its status file
// (weight 0, init_fail). A generic notify script appends "EPOCH_MS STATE" to a file, which is
// how the tests read keepalived's state transitions.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from './cli.js';
import { findBinaries, findExecutable } from './mariadb.js';
import { findIp } from './netns.js';
import { trackGroup, untrackGroup } from './reaper.js';

export const FRESH_GUARD = resolve(REPO_ROOT, 'bin', 'check-mysql-fresh');
/** TEST-NET-1 (RFC 5737), inside the test's namespace only. */
export const VIP = '192.0.2.10/24';

export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

export function findKeepalived(): string | undefined {
  return findExecutable('keepalived');
}

/** Why these tests cannot run here, or undefined when they can. */
export function keepalivedMissing(): string | undefined {
  const mariadb = findBinaries();
  if (typeof mariadb === 'string') return mariadb;
  if (!findKeepalived()) return 'keepalived not found (apt-get install keepalived)';
  if (!findIp()) return 'ip not found (apt-get install iproute2)';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (spawnSync('date', ['+%s%3N'], { encoding: 'utf8' }).stdout?.trim().length !== 13) return 'date +%s%3N (GNU coreutils) is needed by the notify script';
  return undefined;
}


export interface KeepalivedFiles {
  /** The daemon's track file (keepalived's track_file). */
  trackFile: string;
  /** The daemon's status file (the freshness guard's input). */
  statusFile: string;
  /** check-mysql-fresh MAX_AGE_SECONDS. */
  maxAgeS: number;
}

export interface KeepalivedOptions extends KeepalivedFiles {
  netns: string;
  iface: string;
  /** A root-owned, non-world-writable dir (enable_script_security checks every path component). */
  dir: string;
}

const quote = (s: string): string => {
  if (/["\s\\]/.test(s)) throw new Error(`path not usable in keepalived.conf: ${s}`);
  return s;
};

/** The keepalived.conf under test: everything at weight 0, so a failure means FAULT. */
export function keepalivedConfig(o: KeepalivedFiles & { iface: string; notify: string }): string {
  return `global_defs {
    enable_script_security
    script_user root
}

track_file tf_mysql {
    file "${quote(o.trackFile)}"
    weight 0
    init_file 1 overwrite
}

vrrp_script chk_fresh {
    # Absolute paths: a failed exec (126/127) would count as success.
    script "/bin/sh ${quote(FRESH_GUARD)} ${quote(o.statusFile)} ${o.maxAgeS}"
    interval 1
    fall 1
    rise 1
    weight 0
    init_fail
}

vrrp_instance VI_1 {
    state BACKUP
    nopreempt
    interface ${o.iface}
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        ${VIP}
    }
    track_file {
        tf_mysql
    }
    track_script {
        chk_fresh
    }
    notify ${quote(o.notify)}
}
`;
}

export interface StateChange {
  state: VrrpState;
  /** Epoch ms, taken by the notify script when keepalived ran it. */
  at: number;
}

export class Keepalived {
  readonly pid: number;
  readonly conf: string;
  readonly statesFile: string;
  private output = '';
  private readonly exited: Promise<void>;
  private done = false;

  private constructor(private readonly child: ChildProcess, private readonly opts: KeepalivedOptions, conf: string, statesFile: string) {
    if (child.pid === undefined) throw new Error('keepalived did not start');
    this.pid = child.pid;
    this.conf = conf;
    this.statesFile = statesFile;
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

  /** Starts keepalived in `netns`; resolves once its config is loaded and its VRRP child runs. */
  static async start(opts: KeepalivedOptions): Promise<Keepalived> {
    const keepalived = findKeepalived();
    const ip = findIp();
    if (!keepalived || !ip) throw new Error(keepalivedMissing() ?? 'keepalived or ip missing');
    const statesFile = join(opts.dir, 'states');
    const notify = join(opts.dir, 'notify.sh');
    const conf = join(opts.dir, 'keepalived.conf');
    // Generic notify: TYPE NAME STATE PRIORITY.
    writeFileSync(notify, `#!/bin/sh\necho "$(date +%s%3N) $3" >> '${statesFile}'\n`);
    chmodSync(notify, 0o755);
    writeFileSync(statesFile, '');
    writeFileSync(conf, keepalivedConfig({ ...opts, iface: opts.iface, notify }));
    const args = [
      'netns', 'exec', opts.netns, keepalived,
      '-f', conf, '-p', join(opts.dir, 'keepalived.pid'), '-r', join(opts.dir, 'vrrp.pid'), '-c', join(opts.dir, 'checkers.pid'),
      '--dont-fork', '--log-console', '--no-syslog',
    ];
    // Its own process group: the reaper then also gets the VRRP child (same cmdline, so the
    // config path is a marker both carry). `ip netns exec` execs keepalived in place.
    const child = spawn(ip, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) trackGroup(child.pid, conf);
    const ka = new Keepalived(child, opts, conf, statesFile);
    try {
      await ka.waitForOutput(/Startup complete/, 10_000);
    } catch (err) {
      await ka.stop();
      throw err;
    }
    return ka;
  }

  get running(): boolean {
    return !this.done;
  }

  /** keepalived's console log and what it wrote to the notify file, for failure messages. */
  describe(): string {
    return `keepalived in ${this.opts.netns} (pid ${this.pid}, ${this.done ? 'exited' : 'running'}), ${this.conf}\nstates: ${this.states().map((s) => `${s.at} ${s.state}`).join(', ') || '(none)'}\nconsole:\n${this.output.trim()}`;
  }

  private async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (this.done) throw new Error(`keepalived exited before ${pattern}\n${this.describe()}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for keepalived to log ${pattern}\n${this.describe()}`);
      await sleep(20);
    }
  }

  /** Every state keepalived has notified, in time order (notify scripts may run out of order). */
  states(): StateChange[] {
    let text = '';
    try {
      text = readFileSync(this.statesFile, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .map((l) => /^(\d{13}) (MASTER|BACKUP|FAULT|STOP|DELETED)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ at: Number(m[1]), state: m[2] as VrrpState }))
      .sort((a, b) => a.at - b.at);
  }

  /** The first notified `state` at or after epoch ms `since`. */
  async waitForState(state: VrrpState, since: number, timeoutMs: number): Promise<StateChange> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.states().find((s) => s.state === state && s.at >= since);
      if (found) return found;
      if (this.done) throw new Error(`keepalived exited while waiting for ${state}\n${this.describe()}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for keepalived to enter ${state}\n${this.describe()}`);
      await sleep(10);
    }
  }

  /** SIGTERM (keepalived stops its children and exits), SIGKILL after 5 s. Idempotent. */
  async stop(): Promise<void> {
    if (this.done) return this.exited;
    process.kill(this.pid, 'SIGTERM');
    const timer = setTimeout(() => this.killAll(), 5_000);
    await this.exited;
    clearTimeout(timer);
  }

  private killAll(): void {
    const pids = [this.pid];
    try {
      pids.push(Number(readFileSync(join(this.opts.dir, 'vrrp.pid'), 'utf8').trim()));
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
