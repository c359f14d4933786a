/**
 * npm run bench (part 2): the daemon's cost and its scrape latency, against one freshly started
 * MariaDB (never the machine's own server). Prints figures; asserts nothing.
 *  - CPU per check and RSS (start and end, to show it is flat) at 1, 10 and 100 targets, all
 *    checking the same server at a 1 s interval: 100 real servers do not fit on 2 cores.
 *  - /metrics latency p50/p99 beside prometheus-mysqld-exporter against the same server,
 *    while healthy and while mysqld is hung (SIGSTOP).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { request } from 'node:http';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from '../test/helpers/temp-dir.js';
import { startServer, type Server } from '../test/helpers/servers/server.js';
import { freePort } from '../test/helpers/ports.js';

const ROOT = join(__dirname, '..');
const SAMPLE_S = Number(process.env.BENCH_DAEMON_SECONDS ?? 60);
const SCRAPES = 200;
const TICKS = 100; // USER_HZ on Linux

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime + stime
}
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

function get(port: number, path: string, timeoutMs: number): Promise<{ ms: number; status: number }> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status: res.statusCode ?? 0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status: 0 }));
    req.end();
  });
}

async function scrapeLatency(port: number, n: number, timeoutMs: number): Promise<string> {
  const ms: number[] = [];
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const r = await get(port, '/metrics', timeoutMs);
    ms.push(r.ms);
    if (r.status !== 200) failed++;
  }
  return `p50 ${pct(ms, 0.5).toFixed(2)} ms, p99 ${pct(ms, 0.99).toFixed(2)} ms${failed ? `, ${failed}/${n} failed or timed out` : ''}`;
}

async function waitHttp(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await get(port, '/metrics', 1000)).status === 200) return;
    await sleep(50);
  }
  throw new Error(`nothing answered on port ${port}`);
}

/** Track and status files go to tmpfs, as /run/check-mysql is in production. */
function daemonConfig(dir: string, server: Server, password: string, targets: number, listen: number): string {
  const runDir = dir.replace(/^.*\//, '/dev/shm/');
  const sections = Array.from({ length: targets }, (_, i) =>
    [`[target t${i}]`, 'host = 127.0.0.1', `port = ${server.port}`, 'user = check', `password = ${password}`, `track-file = ${runDir}-t${i}.track`, `status-file = ${runDir}-t${i}.json`].join('\n'),
  );
  const file = join(dir, `daemon-${targets}.cnf`);
  writeFileSync(file, `[daemon]\nlisten = 127.0.0.1:${listen}\ninterval = 1\n\n${sections.join('\n\n')}\n`, { mode: 0o600 });
  return file;
}

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(cmd, args, { stdio: 'ignore', env: { ...process.env, ...env } });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(3000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function main(): Promise<void> {
  const dir = await makeTempDir();
  const server = await startServer({ serverId: 1, extraArgs: ['--max-connections=400'] });
  const children: ChildProcess[] = [];
  try {
    const password = 'bench-pw';
    await server.exec(`CREATE USER 'check'@'127.0.0.1' IDENTIFIED BY '${password}'`, "GRANT SLAVE MONITOR, PROCESS, REPLICATION CLIENT ON *.* TO 'check'@'127.0.0.1'");
    console.log(`\ndaemon, ${SAMPLE_S} s samples, interval 1 s, every target checking one MariaDB ${await server.variable('version')}`);
    console.log('| targets | CPU % of one core | CPU ms per check | RSS MiB start -> end |');
    console.log('|---:|---:|---:|---|');
    for (const n of [1, 10, 100]) {
      const port = await freePort();
      // The same V8 flags as systemd/check-mysql.service.
      const d = start(process.execPath, ['--optimize-for-size', '--max-semi-space-size=2', join(ROOT, 'bin', 'check-mysql'), 'daemon', '--config', daemonConfig(dir, server, password, n, port)]);
      children.push(d);
      await waitHttp(port);
      await sleep(10_000); // connections open, caches warm, the heap past its first growth
      const cpu0 = cpuSeconds(d.pid!);
      const rss0 = rssMiB(d.pid!);
      await sleep(SAMPLE_S * 1000);
      const cpu = cpuSeconds(d.pid!) - cpu0;
      const rss1 = rssMiB(d.pid!);
      console.log(`| ${n} | ${((cpu / SAMPLE_S) * 100).toFixed(2)} | ${((cpu * 1000) / (n * SAMPLE_S)).toFixed(3)} | ${rss0.toFixed(1)} -> ${rss1.toFixed(1)} |`);
      await stop(d);
    }
    const daemonPort = await (async () => {
      const p = await freePort();
      const d = start(process.execPath, [join(ROOT, 'bin', 'check-mysql'), 'daemon', '--config', daemonConfig(dir, server, password, 1, p)]);
      children.push(d);
      await waitHttp(p);
      return p;
    })();
    const exporterPort = await freePort();
    const exporter = start('prometheus-mysqld-exporter', [`--web.listen-address=127.0.0.1:${exporterPort}`], { DATA_SOURCE_NAME: `check:${password}@(127.0.0.1:${server.port})/` });
    children.push(exporter);
    await waitHttp(exporterPort);
    await sleep(1500);

    console.log(`\n/metrics latency, ${SCRAPES} sequential scrapes (healthy), then 10 while mysqld is hung (SIGSTOP)`);
    console.log('| scraped | healthy | mysqld hung |');
    console.log('|---|---|---|');
    const healthy = { ours: await scrapeLatency(daemonPort, SCRAPES, 10_000), exporter: await scrapeLatency(exporterPort, SCRAPES, 10_000) };
    server.kill('SIGSTOP');
    await sleep(2500);
    const hung = { ours: await scrapeLatency(daemonPort, 10, 10_000), exporter: await scrapeLatency(exporterPort, 10, 10_000) };
    server.kill('SIGCONT');
    console.log(`| check-mysql daemon | ${healthy.ours} | ${hung.ours} |`);
    console.log(`| prometheus-mysqld-exporter (Debian) | ${healthy.exporter} | ${hung.exporter} |`);
  } finally {
    server.kill('SIGCONT');
    await Promise.all(children.map(stop));
    await server.cleanup();
    for (const f of readdirSync('/dev/shm')) if (f.startsWith(`${basename(dir)}-t`)) rmSync(`/dev/shm/${f}`, { force: true });
    await removeTempDir(dir);
  }
}

main().catch((err) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
