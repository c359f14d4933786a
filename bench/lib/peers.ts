/**
 * The tools DBAs already run beside a checker, measured the same way against the same writer:
 * pt-heartbeat's CPU per update and prometheus-mysqld-exporter's CPU per scrape (resident, read
 * from /proc), and the one-shot commands' CPU per run (their rusage). Passwords go in 0600
 * option files or the environment, never on argv (but check_mysql's, which has no other way).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../test/helpers/ports.js';
import { get, waitHttp } from './http.js';
import { assertRunning, sleep, start, stop } from './proc.js';
import { sampleCpu, type Sample } from './sample.js';
import type { Endpoint } from './daemon-row.js';

export const PT_HEARTBEAT = '/usr/bin/pt-heartbeat';
export const EXPORTER = '/usr/bin/prometheus-mysqld-exporter';

export interface PeerRun {
  readonly dir: string;
  readonly server: Endpoint;
  readonly warmupMs: number;
  readonly windows: number;
  readonly windowMs: number;
}

/** A [client] option file, mode 0600: both tools read user, password, host and port from it. */
export function optionFile(dir: string, name: string, e: Endpoint): string {
  const file = join(dir, `${name}.cnf`);
  writeFileSync(file, `[client]\nuser=${e.user}\npassword=${e.password}\nhost=127.0.0.1\nport=${e.port}\n`, { mode: 0o600 });
  return file;
}

/** pt-heartbeat --update once a second into DATABASE.TABLE (pt-heartbeat's own schema, created by the caller). */
export async function runPtHeartbeat(run: PeerRun, database: string, table: string): Promise<Sample> {
  if (!existsSync(PT_HEARTBEAT)) throw new Error(`${PT_HEARTBEAT} is missing (Debian percona-toolkit)`);
  const defaults = optionFile(run.dir, 'pt-heartbeat', run.server);
  // --defaults-file must come first: Percona's tools read it before their other options.
  const pt = start(PT_HEARTBEAT, [`--defaults-file=${defaults}`, '--update', '--utc', '--interval', '1', '--database', database, '--table', table], defaults);
  try {
    await sleep(run.warmupMs);
    assertRunning(pt, 'pt-heartbeat');
    const t0 = Date.now();
    // One update per interval: pt-heartbeat sleeps to the next whole second and writes.
    const sample = await sampleCpu(pt.pid!, { windows: run.windows, windowMs: run.windowMs, units: async () => (Date.now() - t0) / 1000 });
    assertRunning(pt, 'pt-heartbeat');
    return sample;
  } finally {
    await stop(pt);
  }
}

/** prometheus-mysqld-exporter scraped once a second, with its default collectors plus `flags`. */
export async function runExporter(run: PeerRun, flags: readonly string[]): Promise<Sample> {
  if (!existsSync(EXPORTER)) throw new Error(`${EXPORTER} is missing (Debian prometheus-mysqld-exporter)`);
  const port = await freePort();
  const cnf = optionFile(run.dir, `exporter-${port}`, run.server);
  const env = { DATA_SOURCE_NAME: undefined }; // it would win over --config.my-cnf
  const exporter = start(EXPORTER, [`--config.my-cnf=${cnf}`, `--web.listen-address=127.0.0.1:${port}`, ...flags], cnf, env);
  let scrapes = 0;
  let failed = 0;
  let scraping = true;
  let loop: Promise<void> = Promise.resolve();
  try {
    await waitHttp(port, '/metrics', () => exporter.exitCode === null);
    loop = (async () => {
      while (scraping) {
        const next = sleep(1000);
        const r = await get(port, '/metrics', 10_000);
        if (r.status !== 200 || !/^mysql_up 1$/m.test(r.body)) failed++;
        scrapes++;
        await next;
      }
    })();
    await sleep(run.warmupMs);
    const sample = await sampleCpu(exporter.pid!, { windows: run.windows, windowMs: run.windowMs, units: async () => scrapes });
    assertRunning(exporter, 'prometheus-mysqld-exporter');
    if (failed > 0) throw new Error(`prometheus-mysqld-exporter: ${failed} of ${scrapes} scrapes failed or had mysql_up 0`);
    return sample;
  } finally {
    scraping = false;
    await loop;
    await stop(exporter);
  }
}

/** Whether this exporter has the heartbeat collector (Debian's 0.14 has). */
export function exporterHasHeartbeat(): boolean {
  const r = spawnSync(EXPORTER, ['--help'], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.includes('--collect.heartbeat ');
}

/**
 * CPU (user + sys) of one run of a command, in ms, from its own rusage (wait4 in a python3
 * parent, to the microsecond): the bench's own process and python's start are not counted.
 */
const RUSAGE = `import os,sys
# posix_spawn (vfork): a fork()ed python child would bill its copy-on-write faults to the command.
null=os.devnull
pid=os.posix_spawn(sys.argv[1],sys.argv[1:],os.environ,file_actions=[(os.POSIX_SPAWN_OPEN,fd,null,os.O_RDWR,0) for fd in (0,1,2)])
_,status,ru=os.wait4(pid,0)
print(os.waitstatus_to_exitcode(status),(ru.ru_utime+ru.ru_stime)*1000)`;

export function oneShotCpuMs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): { ms: number; status: number } {
  const r = spawnSync('python3', ['-c', RUSAGE, ...argv], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const [status, ms] = r.stdout.trim().split(' ').map(Number);
  if (r.status !== 0 || status === undefined || ms === undefined) throw new Error(`cannot measure ${argv[0]}: ${r.stderr.trim()}`);
  return { ms, status };
}
