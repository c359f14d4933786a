// A /metrics watcher inside a network namespace: the end-to-end daemons listen on 127.0.0.1 of
// their own namespace, which the test process cannot reach. A small Node process runs there,
// GETs /metrics every POLL_MS and prints a line only when one of the watched gauges changed:
// `EPOCH_MS {"name": value, ...}`, with the epoch ms taken when the answer arrived. The parent
// keeps those snapshots, so a test asks what the daemon exported at any moment since.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { inNetns } from '../netns/namespace.js';
import { trackPid, untrackPid } from '../reaper.js';

const POLL_MS = 20;

/** Gauge name -> value; a gauge the exposition lacks is absent. */
export type Gauges = Record<string, number>;

export interface GaugeSnapshot {
  /** Epoch ms when the scrape that showed it answered. */
  at: number;
  gauges: Gauges;
}

// Runs in the namespace: a plain script, no imports from the repository.
const POLLER = `
const [url, names, pollMs] = [process.argv[1], JSON.parse(process.argv[2]), Number(process.argv[3])];
let last = '';
const tick = async () => {
  try {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(2000) })).text();
    const at = Date.now();
    const gauges = {};
    for (const line of text.split('\\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{.*\\})? (\\S+)$/.exec(line);
      if (m && names.includes(m[1])) gauges[m[1]] = Number(m[2]);
    }
    const now = JSON.stringify(gauges);
    if (now !== last) process.stdout.write(at + ' ' + now + '\\n');
    last = now;
  } catch (err) {
    process.stderr.write(String(err) + '\\n');
  }
  setTimeout(tick, pollMs);
};
tick();
`;

export class NsMetricsWatch {
  readonly snapshots: GaugeSnapshot[] = [];
  private errors = '';
  private buffered = '';

  private constructor(private readonly child: ChildProcess, readonly what: string) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.buffered += d;
      let i: number;
      while ((i = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, i);
        this.buffered = this.buffered.slice(i + 1);
        const space = line.indexOf(' ');
        this.snapshots.push({ at: Number(line.slice(0, space)), gauges: JSON.parse(line.slice(space + 1)) as Gauges });
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.errors = (this.errors + d).slice(-2000)));
  }

  /** Watches `names` on http://127.0.0.1:PORT/metrics inside `netns`; `marker` is for the reaper (in the command line). */
  static start(netns: string, port: number, names: readonly string[], marker: string): NsMetricsWatch {
    const url = `http://127.0.0.1:${port}/metrics#${marker}`;
    const [command, args] = inNetns(netns, process.execPath, ['-e', POLLER, url, JSON.stringify(names), String(POLL_MS)]);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`the /metrics watcher did not start in ${netns}`);
    trackPid(pid, marker);
    child.once('exit', () => untrackPid(pid));
    return new NsMetricsWatch(child, `${netns} /metrics`);
  }

  /** What the last scrape at or before epoch ms `at` showed. */
  at(at: number): Gauges | undefined {
    let found: Gauges | undefined;
    for (const s of this.snapshots) {
      if (s.at > at) break;
      found = s.gauges;
    }
    return found;
  }

  /**
   * The epoch ms from which `match` held, looking from `since` on: `since` itself when it already
   * held then, else the first scrape after it that showed it. Waits for it up to `timeoutMs`.
   */
  async heldFrom(what: string, match: (g: Gauges) => boolean, since: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const before = this.at(since);
      if (before && match(before)) return since;
      const later = this.snapshots.find((s) => s.at > since && match(s.gauges));
      if (later) return later.at;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} in ${this.what} (last: ${JSON.stringify(this.snapshots.at(-1))}; errors: ${this.errors.trim() || 'none'})`);
      }
      await sleep(10);
    }
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}
