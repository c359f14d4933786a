/**
 * npm run bench:web: what --web-config-file costs the daemon per request, side by side with
 * plain HTTP, against one freshly started MariaDB (certificates made here). Prints figures;
 * asserts nothing.
 *  - daemon CPU per /metrics scrape: plain HTTP, HTTPS + basic auth over one kept-alive
 *    connection (as Prometheus scrapes), and HTTPS + basic auth with a new connection per
 *    request (as HAProxy's httpchk does, a full TLS handshake each time); the daemon's own
 *    checks are measured alone first and subtracted;
 *  - the first authenticated request (one bcrypt at cost 10) and those after it (remembered);
 *  - the CPU of one bcryptjs compare at cost 10.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { freePort } from '../test/helpers/ports.js';
import { startTlsServer } from '../test/helpers/servers/tls-server.js';
import { makeCertificates } from '../test/helpers/tls/certificates.js';
import { removeTempDir } from '../test/helpers/temp-dir.js';

const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'bin', 'check-mysql');
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const RATE_PER_S = Number(process.env.BENCH_RATE ?? 20);
const IDLE_S = Number(process.env.BENCH_IDLE_SECONDS ?? 15);
/** The example's user and the password its hash is of. */
const AUTH = 'prometheus:example-only-prometheus';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Client {
  get(path: string): Promise<{ status: number; ms: number }>;
  close(): void;
}

function client(base: string, opts: { ca?: Buffer; auth?: string; keepAlive: boolean }): Client {
  const https = base.startsWith('https:');
  const agent = https ? new HttpsAgent({ keepAlive: opts.keepAlive, maxSockets: 1, ...(opts.ca && { ca: opts.ca }) }) : new HttpAgent({ keepAlive: opts.keepAlive, maxSockets: 1 });
  const request = https ? httpsRequest : httpRequest;
  return {
    get: (path) =>
      new Promise((resolve, reject) => {
        const t0 = performance.now();
        const req = request(`${base}${path}`, { agent, ...(opts.auth && { auth: opts.auth }) }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
        });
        req.on('error', reject);
        req.end();
      }),
    close: () => agent.destroy(),
  };
}

async function startDaemon(config: string): Promise<ChildProcess> {
  const d = spawn(process.execPath, [BIN, 'daemon', '--config', config], { stdio: 'ignore' });
  await sleep(3_000);
  return d;
}

/** Daemon CPU ms per request beyond what its checks cost in the same time. */
async function cpuPerRequest(pid: number, c: Client, path: string): Promise<{ ms: number; requestMs: number }> {
  const idle0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(IDLE_S * 1000);
  const idleRate = (cpuSeconds(pid) - idle0) / ((performance.now() - t0) / 1000);
  const cpu0 = cpuSeconds(pid);
  const t1 = performance.now();
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const due = t1 + (i * 1000) / RATE_PER_S;
    await sleep(Math.max(0, due - performance.now()));
    const r = await c.get(path);
    if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
    times.push(r.ms);
  }
  const seconds = (performance.now() - t1) / 1000;
  const extra = cpuSeconds(pid) - cpu0 - idleRate * seconds;
  return { ms: (extra * 1000) / REQUESTS, requestMs: median(times) };
}

async function main(): Promise<void> {
  const certs = await makeCertificates();
  const { server, check } = await startTlsServer(certs);
  const children: ChildProcess[] = [];
  try {
    const web = join(certs.dir, 'web-config.yml');
    copyFileSync(join(ROOT, 'examples', 'web-config.yml'), web);
    copyFileSync(certs.server.cert, join(certs.dir, 'web.crt'));
    copyFileSync(certs.server.key, join(certs.dir, 'web.key'));
    const target = ['[target db]', 'host = 127.0.0.1', `port = ${server.port}`, `user = ${check.user}`, `password = ${check.password}`, 'ssl-mode = VERIFY_IDENTITY', `ssl-ca = ${certs.ca}`].join('\n');
    const config = async (extra: string) => {
      const port = await freePort();
      const file = join(certs.dir, `daemon-${port}.cnf`);
      writeFileSync(file, `[daemon]\nlisten = 127.0.0.1:${port}\ninterval = 1\n${extra}\n${target}\n`, { mode: 0o600 });
      return { file, port };
    };
    const plainCfg = await config('');
    const tlsCfg = await config(`web-config-file = ${web}`);
    const plain = await startDaemon(plainCfg.file);
    const secured = await startDaemon(tlsCfg.file);
    children.push(plain, secured);
    const ca = readFileSync(certs.ca);

    const first = client(`https://127.0.0.1:${tlsCfg.port}`, { ca, auth: AUTH, keepAlive: false });
    const firstMs = (await first.get('/metrics')).ms;
    const later: number[] = [];
    for (let i = 0; i < 21; i++) later.push((await first.get('/metrics')).ms);
    const laterMs = median(later);
    first.close();

    const rows: [string, { ms: number; requestMs: number }][] = [];
    const plainClient = client(`http://127.0.0.1:${plainCfg.port}`, { keepAlive: true });
    rows.push(['plain HTTP, kept-alive connection', await cpuPerRequest(plain.pid!, plainClient, '/metrics')]);
    plainClient.close();
    const prom = client(`https://127.0.0.1:${tlsCfg.port}`, { ca, auth: AUTH, keepAlive: true });
    rows.push(['HTTPS + basic auth, kept-alive connection (Prometheus)', await cpuPerRequest(secured.pid!, prom, '/metrics')]);
    prom.close();
    const fresh = client(`https://127.0.0.1:${tlsCfg.port}`, { ca, auth: AUTH, keepAlive: false });
    rows.push(['HTTPS + basic auth, new connection each (HAProxy httpchk)', await cpuPerRequest(secured.pid!, fresh, '/metrics')]);
    fresh.close();
    const plainFresh = client(`http://127.0.0.1:${plainCfg.port}`, { keepAlive: false });
    rows.push(['plain HTTP, new connection each', await cpuPerRequest(plain.pid!, plainFresh, '/metrics')]);
    plainFresh.close();

    const hash = readFileSync(web, 'utf8').match(/prometheus: (\S+)/)![1]!;
    const bcryptMs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = process.cpuUsage();
      bcrypt.compareSync('example-only-prometheus', hash);
      const used = process.cpuUsage(t0);
      bcryptMs.push((used.user + used.system) / 1000);
    }

    console.log(`daemon CPU per /metrics request (1 target, ${REQUESTS} requests at ${RATE_PER_S}/s, the checks' own CPU subtracted):`);
    console.log('| client | daemon CPU ms per request | median request ms |');
    console.log('|---|---|---|');
    for (const [name, r] of rows) console.log(`| ${name} | ${r.ms.toFixed(2)} | ${r.requestMs.toFixed(2)} |`);
    console.log(`first authenticated request (one bcrypt, cost 10): ${firstMs.toFixed(0)} ms; later ones, remembered: median ${laterMs.toFixed(1)} ms (new connection each)`);
    console.log(`bcryptjs compare at cost 10: median ${median(bcryptMs).toFixed(0)} ms of CPU (7 runs)`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await server.cleanup();
    await removeTempDir(certs.dir);
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
