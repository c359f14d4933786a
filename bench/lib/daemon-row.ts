/**
 * One daemon measurement: `check-mysql daemon` with N targets spread round-robin over the given
 * servers, every one checked over TCP at a 1 s interval, its files in a given directory, run
 * with the systemd unit's V8 flags. Checks are counted from its own /metrics, one scrape per
 * window: that scrape's cost is in the figure, as Prometheus's would be.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../test/helpers/ports.js';
import { counterSum, get, waitHttp } from './http.js';
import { assertRunning, sleep, start, stderrOf, stop } from './proc.js';
import { sampleCpu, type Sample } from './sample.js';

export const ROOT = join(__dirname, '..', '..');
export const CLI = join(ROOT, 'bin', 'check-mysql');
/** The V8 flags of systemd/check-mysql.service: none (its comment says why). */
export const UNIT_NODE_FLAGS: readonly string[] = [];

export interface Endpoint {
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

export interface DaemonRun {
  /** bin/check-mysql of the build measured (BENCH_BUILDS compares two). */
  readonly cli: string;
  readonly targets: number;
  /** Target i checks servers[i % servers.length]. */
  readonly servers: readonly Endpoint[];
  /** Where the track and status files go (a directory only we can write). */
  readonly filesDir: string;
  /** Where the config file goes: the bench's temp dir, which the reaper's marker names. */
  readonly configDir: string;
  /** `heartbeat-table` of target i. */
  readonly heartbeatTable?: (i: number) => string;
  readonly nodeFlags?: readonly string[];
  readonly warmupMs: number;
  readonly windows: number;
  readonly windowMs: number;
}

export interface DaemonResult {
  /** One entry per window: CPU ms per check, % of a core. */
  readonly windows: Sample['windows'];
  readonly rssEnd: number;
  /** Checks that were not healthy during the sample: a broken setup, not a figure. */
  readonly unhealthy: number;
}

/** Whether this build of the CLI knows --heartbeat-table. */
export function supportsHeartbeat(cli: string): boolean {
  return execFileSync(process.execPath, [cli, 'daemon', '--help'], { encoding: 'utf8' }).includes('--heartbeat-table');
}

function writeConfig(run: DaemonRun, listen: number, tag: string): string {
  const sections = Array.from({ length: run.targets }, (_, i) => {
    const server = run.servers[i % run.servers.length]!;
    return [
      `[target t${i}]`,
      'host = 127.0.0.1',
      `port = ${server.port}`,
      `user = ${server.user}`,
      `password = ${server.password}`,
      `track-file = ${join(run.filesDir, `t${i}.track`)}`,
      `status-file = ${join(run.filesDir, `t${i}.json`)}`,
      ...(run.heartbeatTable ? [`heartbeat-table = ${run.heartbeatTable(i)}`] : []),
    ].join('\n');
  });
  const file = join(run.configDir, `daemon-${tag}.cnf`);
  writeFileSync(file, `[daemon]\nlisten = 127.0.0.1:${listen}\ninterval = 1\n\n${sections.join('\n\n')}\n`, { mode: 0o600 });
  return file;
}

let runs = 0;

/** Starts the daemon and waits for its /metrics; the caller stops it. */
export async function launchDaemon(run: DaemonRun): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const config = writeConfig(run, port, `${run.targets}-${++runs}`);
  const child = start(process.execPath, [...(run.nodeFlags ?? UNIT_NODE_FLAGS), run.cli, 'daemon', '--config', config], config);
  try {
    await waitHttp(port, '/metrics', () => child.exitCode === null);
  } catch (err) {
    await stop(child);
    throw new Error(`check-mysql daemon: ${(err as Error).message}: ${stderrOf(child) || 'no stderr'}`);
  }
  return { child, port };
}

export async function runDaemon(run: DaemonRun): Promise<DaemonResult> {
  const { child: d, port } = await launchDaemon(run);
  try {
    // Connections open, caches warm, the heap past its first growth.
    await sleep(run.warmupMs);
    assertRunning(d, 'check-mysql daemon');
    // A check that failed under a neighbour's load is counted (DaemonResult.unhealthy), not fatal.
    const metrics = async () => (await get(port, '/metrics', 5000)).body;
    const unhealthy0 = counterSum(await metrics(), 'check_mysql_checks_total', 'result="unhealthy"');
    let last = '';
    const sample = await sampleCpu(d.pid!, {
      windows: run.windows,
      windowMs: run.windowMs,
      units: async () => counterSum((last = await metrics()), 'check_mysql_checks_total'),
    });
    assertRunning(d, 'check-mysql daemon');
    return { windows: sample.windows, rssEnd: sample.rssEnd, unhealthy: counterSum(last, 'check_mysql_checks_total', 'result="unhealthy"') - unhealthy0 };
  } finally {
    await stop(d);
  }
}
