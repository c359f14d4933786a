/**
 * npm run bench:tls: what TLS costs, side by side with plain TCP, against one freshly started
 * MariaDB that offers TLS (certificates made here; never the machine's own server). Prints
 * figures; asserts nothing.
 *  - the one-shot check's median wall time per mode, beside `node -e 0` and the Unix socket,
 *    runs interleaved round-robin so machine noise hits every mode alike;
 *  - the daemon's CPU per check with 10 targets over plain TCP and over TLS (VERIFY_CA).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../test/helpers/ports.js';
import { startTlsServer } from '../test/helpers/servers/tls-server.js';
import { makeCertificates } from '../test/helpers/tls/certificates.js';

const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'bin', 'check-mysql');
const RUNS = Number(process.env.BENCH_RUNS ?? 41);
const SAMPLE_S = Number(process.env.BENCH_DAEMON_SECONDS ?? 30);
const TARGETS = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeOnce(argv: string[], env: Record<string, string>): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function daemonCpuMsPerCheck(dir: string, target: string[]): Promise<number> {
  const port = await freePort();
  const sections = Array.from({ length: TARGETS }, (_, i) => [`[target t${i}]`, ...target].join('\n'));
  const file = join(dir, `daemon-${port}.cnf`);
  writeFileSync(file, `[daemon]\nlisten = 127.0.0.1:${port}\ninterval = 1\n\n${sections.join('\n\n')}\n`, { mode: 0o600 });
  const d: ChildProcess = spawn(process.execPath, [BIN, 'daemon', '--config', file], { stdio: 'ignore' });
  try {
    await sleep(5_000);
    const cpu0 = cpuSeconds(d.pid!);
    await sleep(SAMPLE_S * 1000);
    return ((cpuSeconds(d.pid!) - cpu0) * 1000) / (TARGETS * SAMPLE_S);
  } finally {
    d.kill('SIGTERM');
    await new Promise((r) => d.once('exit', r));
  }
}

async function main(): Promise<void> {
  const certs = await makeCertificates();
  const { server, check } = await startTlsServer(certs);
  try {
    // Plain TCP must be allowed for the side-by-side figures.
    await server.exec('SET GLOBAL require_secure_transport=OFF');
    const env = { MYSQL_PWD: check.password };
    const tcp = [process.execPath, BIN, '--no-defaults', '--no-syslog', '-h', '127.0.0.1', '-P', String(server.port), '-u', check.user];
    const modes: [string, string[]][] = [
      ['node -e 0 (floor)', [process.execPath, '-e', '0']],
      ['Unix socket (never TLS)', [process.execPath, BIN, '--no-defaults', '--no-syslog', '-S', server.socket, '-u', check.user]],
      ['TCP, --ssl-mode DISABLED', [...tcp, '--ssl-mode', 'DISABLED']],
      ['TCP, PREFERRED (the default: TLS)', tcp],
      ['TCP, VERIFY_CA', [...tcp, '--ssl-ca', certs.ca]],
      ['TCP, VERIFY_IDENTITY', [...tcp, '--ssl-mode', 'VERIFY_IDENTITY', '--ssl-ca', certs.ca]],
    ];
    const times = new Map(modes.map(([name]) => [name, [] as number[]]));
    for (let i = 0; i < RUNS; i++) for (const [name, argv] of modes) times.get(name)!.push(timeOnce(argv, env));
    console.log(`\none-shot check, median of ${RUNS} runs each, interleaved, MariaDB ${await server.variable('version')} on loopback`);
    console.log('| command | median ms |');
    console.log('|---|---:|');
    for (const [name] of modes) console.log(`| ${name} | ${median(times.get(name)!).toFixed(1)} |`);

    const base = ['host = 127.0.0.1', `port = ${server.port}`, `user = ${check.user}`, `password = ${check.password}`];
    const plain = await daemonCpuMsPerCheck(certs.dir, [...base, 'ssl-mode = DISABLED']);
    const verified = await daemonCpuMsPerCheck(certs.dir, [...base, `ssl-ca = ${certs.ca}`]);
    console.log(`\ndaemon, ${TARGETS} targets at 1 s, ${SAMPLE_S} s sample: CPU ms per check, plain TCP ${plain.toFixed(3)}, TLS (VERIFY_CA) ${verified.toFixed(3)}`);
  } finally {
    await server.cleanup();
  }
}

void main();
