/**
 * npm run bench:peer: what reading a peer costs the daemon. The same targets, checked at a 1 s
 * interval, with and without `peer` (the other of two fresh MariaDB servers, never the machine's
 * own), alternated and sampled several times; CPU per check of the daemon process (utime +
 * stime). Prints figures; asserts nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from '../test/helpers/temp-dir.js';
import { startServer, type Server } from '../test/helpers/servers/server.js';
import { freePort } from '../test/helpers/ports.js';

const ROOT = join(__dirname, '..');
const SAMPLE_S = Number(process.env.BENCH_PEER_SECONDS ?? 30);
const ROUNDS = Number(process.env.BENCH_PEER_ROUNDS ?? 3);
const TARGETS = 10;
const TICKS = 100; // USER_HZ on Linux

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function config(dir: string, target: Server, peer: Server | undefined, listen: number): string {
  const sections = Array.from({ length: TARGETS }, (_, i) =>
    [`[target t${i}]`, 'host = 127.0.0.1', `port = ${target.port}`, 'user = check', 'password = bench-pw', ...(peer ? [`peer = 127.0.0.1:${peer.port}`] : [])].join('\n'),
  );
  const file = join(dir, `daemon-${peer ? 'peer' : 'alone'}.cnf`);
  writeFileSync(file, `[daemon]\nlisten = 127.0.0.1:${listen}\ninterval = 1\n\n${sections.join('\n\n')}\n`, { mode: 0o600 });
  return file;
}

/** CPU ms per check over one sample, after a warm-up. */
async function sample(file: string, listen: number): Promise<number> {
  const d: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin', 'check-mysql'), 'daemon', '--config', file], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 200 && !(await answers(listen)); i++) await sleep(50);
    await sleep(5_000);
    const cpu0 = cpuSeconds(d.pid!);
    await sleep(SAMPLE_S * 1000);
    return ((cpuSeconds(d.pid!) - cpu0) * 1000) / (TARGETS * SAMPLE_S);
  } finally {
    const exited = new Promise((r) => d.once('exit', r));
    d.kill('SIGTERM');
    await Promise.race([exited, sleep(3000)]);
    if (d.exitCode === null) d.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const dir = await makeTempDir();
  const servers = await Promise.all([startServer({ serverId: 1 }), startServer({ serverId: 2, extraArgs: ['--read-only'] })]);
  try {
    for (const s of servers) await s.exec("CREATE USER 'check'@'127.0.0.1' IDENTIFIED BY 'bench-pw'", "GRANT SLAVE MONITOR ON *.* TO 'check'@'127.0.0.1'");
    const [target, peer] = servers as [Server, Server];
    const alone: number[] = [];
    const withPeer: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const listen = await freePort();
      alone.push(await sample(config(dir, target, undefined, listen), listen));
      withPeer.push(await sample(config(dir, target, peer, listen), listen));
    }
    const fmt = (xs: number[]) => `${median(xs).toFixed(3)} (${xs.map((x) => x.toFixed(3)).join(', ')})`;
    console.log(`\ndaemon CPU ms per check, ${TARGETS} targets at 1 s, ${SAMPLE_S} s samples, median of ${ROUNDS} (each sample)`);
    console.log(`| target only | ${fmt(alone)} |`);
    console.log(`| target + peer | ${fmt(withPeer)} |`);
    console.log(`| ratio | ${(median(withPeer) / median(alone)).toFixed(2)} |`);
  } finally {
    await Promise.all(servers.map((s) => s.cleanup()));
    await removeTempDir(dir);
  }
}

main().catch((err) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
