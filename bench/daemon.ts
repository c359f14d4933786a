/**
 * npm run bench (part 2): the daemon's CPU per check on a realistic target, its peers' CPU
 * beside it, and its scrape latency, against a freshly started replicated MariaDB pair (never
 * the machine's own server). Prints medians and ratios; asserts nothing.
 *
 * Realistic: a master-master pair over TCP, the writer's check writing pt-heartbeat's row
 * (--heartbeat-table) and the standby's reading it, files on a disk (not tmpfs), one /metrics
 * scrape per window. Every case runs once per round, rounds repeat: each figure is the median
 * of its windows from all rounds, so a neighbour's burst on this shared machine hits every
 * case alike; builds compared (BENCH_BUILDS) run each case at the same time. Environment (all optional; docs/performance.md):
 *   BENCH_ROUNDS         rounds (2)
 *   BENCH_WINDOWS        windows per case and round (3), of BENCH_WINDOW_SECONDS (10)
 *   BENCH_WARMUP_SECONDS before a daemon's first window (60); BENCH_PEER_WARMUP_SECONDS
 *                        before pt-heartbeat's and the exporter's (8)
 *   BENCH_MANY_TARGETS   the "many" case's target count, spread over the pair (100)
 *   BENCH_BUILDS         label=path/to/bin/check-mysql,... to compare builds (this one)
 *   BENCH_NODE_FLAGS     label=--flag --flag;label=... : a build's node flags instead of the
 *                        systemd unit's (to compare V8 settings, list the same path twice)
 *   BENCH_FILES          label=dir;label=... : where a build's track and status files go (a
 *                        fresh directory under dir, removed after), instead of the run's
 *                        temporary directory on disk: /run or /dev/shm for the shipped unit's
 *                        tmpfs (RuntimeDirectory=check-mysql)
 *   BENCH_CASES          ids to run (all): writer, writer-hb, standby, standby-hb, many,
 *                        many-hb, pt-heartbeat, exporter, exporter-hb, oneshot, latency
 */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { newCredentials, type Credentials } from '../test/helpers/servers/credentials.js';
import { startPair, waitForReplication, type Pair } from '../test/helpers/servers/pair.js';
import type { Server } from '../test/helpers/servers/server.js';
import { makeTempDir, removeTempDir } from '../test/helpers/temp-dir.js';
import { freePort } from '../test/helpers/ports.js';
import { CLI, launchDaemon, runDaemon, UNIT_NODE_FLAGS, type Endpoint } from './lib/daemon-row.js';
import { scrapeLatency, waitHttp } from './lib/http.js';
import { EXPORTER, exporterHasHeartbeat, oneShotCpuMs, optionFile, runExporter, runPtHeartbeat } from './lib/peers.js';
import { median, sleep, start, stop } from './lib/proc.js';
import type { Window } from './lib/sample.js';

const env = process.env;
const list = (v: string | undefined, d: string) => (v ?? d).split(',').map((x) => x.trim()).filter(Boolean);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 2);
const WINDOWS = Number(env.BENCH_WINDOWS ?? 3);
const WINDOW_S = Number(env.BENCH_WINDOW_SECONDS ?? 10);
/** V8 compiles the hot paths for the first minute or so (~3 ms of CPU per check at first): a daemon runs for days. */
const WARMUP_S = Number(env.BENCH_WARMUP_SECONDS ?? 60);
const PEER_WARMUP_S = Number(env.BENCH_PEER_WARMUP_SECONDS ?? 8);
const MANY = Number(env.BENCH_MANY_TARGETS ?? 100);
const ALL_CASES = 'writer,writer-hb,standby,standby-hb,many,many-hb,pt-heartbeat,exporter,exporter-hb,oneshot,latency';
const CASES = new Set(list(env.BENCH_CASES, ALL_CASES));
/** `label=value;label=value`, as BENCH_NODE_FLAGS and BENCH_FILES give one value per build. */
const perBuild = (v: string | undefined): Map<string, string> =>
  new Map((v ?? '').split(';').filter((x) => x.includes('=')).map((x) => [x.slice(0, x.indexOf('=')).trim(), x.slice(x.indexOf('=') + 1).trim()] as const));
const NODE_FLAGS = new Map([...perBuild(env.BENCH_NODE_FLAGS)].map(([label, flags]) => [label, flags.split(/\s+/).filter(Boolean)] as const));
const FILES_UNDER = perBuild(env.BENCH_FILES);
const BUILDS = list(env.BENCH_BUILDS, `this build=${CLI}`).map((b) => {
  const [label, path] = b.includes('=') ? [b.slice(0, b.indexOf('=')), b.slice(b.indexOf('=') + 1)] : [b, b];
  if (!existsSync(path!)) throw new Error(`BENCH_BUILDS: ${path} does not exist`);
  const flags = NODE_FLAGS.get(label!);
  const filesUnder = FILES_UNDER.get(label!);
  if (filesUnder !== undefined && !existsSync(filesUnder)) throw new Error(`BENCH_FILES: ${filesUnder} does not exist`);
  return { label: label!, cli: path!, ...(flags && { nodeFlags: flags }), ...(filesUnder !== undefined && { filesUnder }) };
});
const ONESHOT_RUNS = 10; // per command and round
const NAGIOS = '/usr/lib/nagios/plugins/check_mysql';
const HB = { db: 'heartbeat', table: 'heartbeat' };
const HB_TABLE = `${HB.db}.${HB.table}`;

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);
const fsType = (dir: string) => execFileSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', dir], { encoding: 'utf8' }).trim();
const f = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

interface DaemonCase {
  readonly id: string;
  readonly what: string;
  readonly targets: number;
  readonly on: 'writer' | 'standby' | 'pair';
  readonly heartbeat: boolean;
}

const DAEMON_CASES: readonly DaemonCase[] = ([
  { id: 'writer', what: 'writer', targets: 1, on: 'writer', heartbeat: false },
  { id: 'writer-hb', what: 'writer, --heartbeat-table', targets: 1, on: 'writer', heartbeat: true },
  { id: 'standby', what: 'standby', targets: 1, on: 'standby', heartbeat: false },
  { id: 'standby-hb', what: 'standby, --heartbeat-table', targets: 1, on: 'standby', heartbeat: true },
  { id: 'many', what: 'pair, half writer half standby', targets: MANY, on: 'pair', heartbeat: false },
  { id: 'many-hb', what: 'pair, half writer half standby, --heartbeat-table', targets: MANY, on: 'pair', heartbeat: true },
] satisfies DaemonCase[]).filter((c) => CASES.has(c.id));

/** pt-heartbeat's table (FIELD-NOTES.md); created on the writer, so it replicates. */
const heartbeatTable = (name: string) => [
  `CREATE TABLE IF NOT EXISTS ${name} (ts varchar(26) NOT NULL, server_id int unsigned NOT NULL PRIMARY KEY, file varchar(255) DEFAULT NULL, position bigint unsigned DEFAULT NULL, relay_master_log_file varchar(255) DEFAULT NULL, exec_master_log_pos bigint unsigned DEFAULT NULL) ENGINE=InnoDB`,
];
const HEARTBEAT_SCHEMA = [`CREATE DATABASE IF NOT EXISTS ${HB.db}`, ...heartbeatTable(HB_TABLE)];

/**
 * The many-targets case stands for many pairs: targets 2k (on the writer) and 2k+1 (on the
 * standby) share table k, which the first writes and the second reads, as one pair's daemons
 * would. (One row written by 50 targets at once would measure InnoDB's row lock, not the daemon.)
 */
const pairTables = () => Array.from({ length: Math.ceil(MANY / 2) }, (_, k) => `${HB.db}.pair_${k}`);
const tableOf = (c: DaemonCase) => (c.on === 'pair' ? (i: number) => `${HB.db}.pair_${Math.floor(i / 2)}` : () => HB_TABLE);

/** Accounts are not replicated (sql_log_bin=0): each server gets its own, as in production. */
async function grant(server: Server, c: Credentials, grants: readonly string[], create: boolean): Promise<void> {
  await server.exec(
    'SET SESSION sql_log_bin=0',
    ...(create ? [`CREATE USER '${c.user}'@'127.0.0.1' IDENTIFIED BY '${c.password}'`] : []),
    ...grants.map((g) => `GRANT ${g} TO '${c.user}'@'127.0.0.1'`),
    'SET SESSION sql_log_bin=1',
  );
}

/**
 * The other node's daemon, as it runs in production: it writes the writer's heartbeat row every
 * second, so that the standby's check has a fresh one to judge by. Runs in the bench's process,
 * whose CPU is not measured.
 */
function writeHeartbeatEverySecond(conn: Connection): () => Promise<void> {
  const stamp = `DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%f')`;
  const sql = `INSERT INTO ${HB_TABLE} (ts, server_id) VALUES (${stamp}, 1) ON DUPLICATE KEY UPDATE ts = ${stamp}`;
  let running = true;
  const loop = (async () => {
    while (running) {
      await conn.query(sql);
      await sleep(1000);
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

type Figures = Map<string, { windows: Window[]; rss: number[]; unhealthy: number; unit: string }>;

function keep(figures: Figures, key: string, unit: string, windows: readonly Window[], rss?: number, unhealthy = 0): void {
  let entry = figures.get(key);
  if (!entry) figures.set(key, (entry = { windows: [], rss: [], unhealthy: 0, unit }));
  entry.windows.push(...windows);
  if (rss !== undefined) entry.rss.push(rss);
  entry.unhealthy += unhealthy;
}

async function main(): Promise<void> {
  const dir = await makeTempDir();
  /** Files directories made outside `dir` (BENCH_FILES), removed at the end. */
  const temporary: string[] = [];
  let pair: Pair | undefined;
  let stopHeartbeat: (() => Promise<void>) | undefined;
  try {
    progress('starting a replicated MariaDB pair ...');
    pair = await startPair();
    for (const s of [pair.a, pair.b]) await s.exec('SET GLOBAL max_connections = 400');
    await pair.a.exec(...HEARTBEAT_SCHEMA, ...pairTables().flatMap((t) => heartbeatTable(t)));
    await waitForReplication(pair);
    // What --heartbeat-table needs (docs/grants.md): SELECT, INSERT, UPDATE on that table (here
    // on the database, which holds one table per simulated pair).
    for (const s of [pair.a, pair.b]) await grant(s, pair.check, [`SELECT, INSERT, UPDATE ON ${HB.db}.*`], false);
    stopHeartbeat = writeHeartbeatEverySecond(await pair.a.connect());
    const writer: Endpoint = { port: pair.a.port, user: pair.check.user, password: pair.check.password };
    const standby: Endpoint = { port: pair.b.port, user: pair.check.user, password: pair.check.password };
    const peers = await peerAccounts(pair);
    const version = await pair.a.variable('version');
    const figures: Figures = new Map();
    const windows = { warmupMs: WARMUP_S * 1000, windows: WINDOWS, windowMs: WINDOW_S * 1000 };

    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of DAEMON_CASES) {
        // The builds side by side, at the same time: the same neighbours' load falls on each.
        progress(`round ${round}/${ROUNDS}: daemon (${BUILDS.map((b) => b.label).join(', ')}), ${c.what}, ${c.targets} target(s) ...`);
        const servers = c.on === 'writer' ? [writer] : c.on === 'standby' ? [standby] : [writer, standby];
        // allSettled: every daemon is stopped before the next case, or before the files go.
        const settled = await Promise.allSettled(
          BUILDS.map((b) => runDaemon({ cli: b.cli, ...(b.nodeFlags && { nodeFlags: b.nodeFlags }), targets: c.targets, servers, filesDir: filesDirFor(b, dir, temporary), configDir: dir, ...(c.heartbeat && { heartbeatTable: tableOf(c) }), ...windows })),
        );
        settled.forEach((r, i) => {
          if (r.status === 'rejected') throw r.reason;
          keep(figures, `${c.id}\0${BUILDS[i]!.label}`, 'check', r.value.windows, r.value.rssEnd, r.value.unhealthy);
        });
      }
      await peerRound(round, figures, dir, pair, peers, { ...windows, warmupMs: PEER_WARMUP_S * 1000 });
      // After every round, so that a late failure loses nothing: the last tables printed are the run's.
      printTables(figures, `${version}`, dir, round);
    }

    if (CASES.has('latency')) await latency(dir, pair.a, { port: pair.a.port, ...peers.exporter });
  } finally {
    await stopHeartbeat?.().catch(() => undefined);
    await pair?.cleanup();
    await removeTempDir(dir);
    for (const d of temporary) rmSync(d, { recursive: true, force: true });
  }
}

/** A fresh directory for one daemon's files: under the build's BENCH_FILES directory, else in the run's own. */
function filesDirFor(build: { filesUnder?: string }, dir: string, temporary: string[]): string {
  if (build.filesUnder === undefined) return mkdtempSync(join(dir, 'files-'));
  const made = mkdtempSync(join(build.filesUnder, 'check-mysql-bench-'));
  temporary.push(made);
  return made;
}

function printTables(figures: Figures, version: string, dir: string, round: number): void {
  console.log(`\n## after round ${round} of ${ROUNDS}`);
  console.log(`\ndaemon: CPU (user+sys, all threads) per check, interval 1 s, TCP on loopback to a replicated MariaDB ${version} pair, files on ${fsType(dir)} (${dir.replace(/[^/]*$/, '')})${BUILDS.flatMap((b) => (b.filesUnder === undefined ? [] : [`, ${b.label}'s on ${fsType(b.filesUnder)} (${b.filesUnder})`])).join('')}`);
  console.log(`${process.version} ${UNIT_NODE_FLAGS.join(' ') || 'with no V8 flags'} (as the systemd unit runs it); median of ${round} round(s) × ${WINDOWS} windows of ${WINDOW_S} s after ${WARMUP_S} s of warm-up, one /metrics scrape per window${BUILDS.length > 1 ? '; the builds ran each case at the same time' : ''}`);
  console.log(`| build | targets on | targets | CPU ms per check | windows (min–max) | % of one core | RSS MiB |${BUILDS.length > 1 ? ` × ${BUILDS[0]!.label} |` : ''}`);
  console.log(`|---|---|---:|---:|---|---:|---:|${BUILDS.length > 1 ? '---:|' : ''}`);
  for (const c of DAEMON_CASES) {
    const first = figures.get(`${c.id}\0${BUILDS[0]!.label}`);
    for (const b of BUILDS) {
      const x = figures.get(`${c.id}\0${b.label}`);
      if (!x) continue;
      const per = x.windows.map((w) => w.msPerUnit);
      const warn = x.unhealthy > 0 ? ` (${x.unhealthy} unhealthy checks)` : '';
      const ratio = BUILDS.length > 1 && first ? ` ${f(median(per) / median(first.windows.map((w) => w.msPerUnit)), 2)} |` : '';
      console.log(`| ${b.label} | ${c.what} | ${c.targets} | ${f(median(per))} | ${f(Math.min(...per))}–${f(Math.max(...per))} | ${f(median(x.windows.map((w) => w.corePct)), 2)} | ${f(median(x.rss), 1)}${warn} |${ratio}`);
    }
  }
  printPeers(figures);
}

interface PeerAccounts {
  readonly pt: Credentials;
  readonly exporter: Credentials;
}

async function peerAccounts(pair: Pair): Promise<PeerAccounts> {
  const pt = newCredentials('bench_pt');
  // pt-heartbeat --update runs SHOW SLAVE STATUS and SHOW MASTER STATUS (FIELD-NOTES.md).
  await grant(pair.a, pt, [`SELECT, INSERT, UPDATE, DELETE ON ${HB.db}.*`, 'BINLOG MONITOR, SLAVE MONITOR ON *.*'], true);
  const exporter = newCredentials('bench_exporter');
  await grant(pair.a, exporter, ['PROCESS, BINLOG MONITOR, SLAVE MONITOR, SELECT ON *.*'], true);
  return { pt, exporter };
}

const ONESHOT_UNIT = 'run';

/** The peers of one round, each in its turn: pt-heartbeat, the exporter, then the one-shot commands interleaved. */
async function peerRound(round: number, figures: Figures, dir: string, pair: Pair, accounts: PeerAccounts, windows: { warmupMs: number; windows: number; windowMs: number }): Promise<void> {
  const run = { dir, ...windows };
  const writer = { port: pair.a.port };
  if (CASES.has('pt-heartbeat')) {
    progress(`round ${round}/${ROUNDS}: pt-heartbeat --update ...`);
    const s = await runPtHeartbeat({ ...run, server: { ...writer, ...accounts.pt } }, HB.db, HB.table);
    keep(figures, 'pt-heartbeat --update --utc --interval 1', 'update', s.windows, s.rssEnd);
  }
  const exporterServer = { ...writer, ...accounts.exporter };
  if (CASES.has('exporter')) {
    progress(`round ${round}/${ROUNDS}: prometheus-mysqld-exporter ...`);
    const s = await runExporter({ ...run, server: exporterServer }, []);
    keep(figures, `mysqld_exporter ${exporterVersion()}, default collectors, scraped every 1 s`, 'scrape', s.windows, s.rssEnd);
  }
  if (CASES.has('exporter-hb') && exporterHasHeartbeat()) {
    progress(`round ${round}/${ROUNDS}: prometheus-mysqld-exporter --collect.heartbeat ...`);
    const flags = ['--collect.heartbeat', `--collect.heartbeat.database=${HB.db}`, `--collect.heartbeat.table=${HB.table}`, '--collect.heartbeat.utc'];
    const s = await runExporter({ ...run, server: exporterServer }, flags);
    keep(figures, `mysqld_exporter ${exporterVersion()}, default + --collect.heartbeat, scraped every 1 s`, 'scrape', s.windows, s.rssEnd);
  }
  if (CASES.has('oneshot')) {
    progress(`round ${round}/${ROUNDS}: one-shot commands ...`);
    const pw = { MYSQL_PWD: pair.check.password };
    const tcp = (port: number) => ['-h', '127.0.0.1', '-P', String(port), '-u', pair.check.user];
    const cli = BUILDS[BUILDS.length - 1]!.cli;
    const commands: { name: string; argv: string[]; env?: NodeJS.ProcessEnv }[] = [
      { name: 'node -e 0 (the floor of any node one-shot)', argv: [process.execPath, '-e', '0'] },
      { name: 'check-mysql one-shot, writer, --heartbeat-table', argv: [process.execPath, cli, '--no-defaults', '--no-syslog', ...tcp(pair.a.port), '--heartbeat-table', HB_TABLE], env: pw },
      { name: 'check-mysql one-shot, standby, --heartbeat-table', argv: [process.execPath, cli, '--no-defaults', '--no-syslog', ...tcp(pair.b.port), '--heartbeat-table', HB_TABLE], env: pw },
      { name: 'mysqladmin ping', argv: [execFileSync('sh', ['-c', 'command -v mysqladmin'], { encoding: 'utf8' }).trim(), '--no-defaults', ...tcp(pair.a.port), 'ping'], env: pw },
    ];
    // check_mysql has no way to take the password other than argv or an option file.
    if (existsSync(NAGIOS)) commands.push({ name: 'check_mysql -S (nagios)', argv: [NAGIOS, '-H', '127.0.0.1', '-P', String(pair.b.port), '-u', pair.check.user, '-p', pair.check.password, '-S'] });
    const cpu = new Map(commands.map((c) => [c.name, [] as number[]]));
    for (let i = 0; i < ONESHOT_RUNS; i++) {
      for (const c of commands) {
        const r = oneShotCpuMs(c.argv, c.env);
        if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}; the bench needs every command healthy`);
        cpu.get(c.name)!.push(r.ms);
      }
    }
    for (const [name, ms] of cpu) keep(figures, name, ONESHOT_UNIT, ms.map((m) => ({ msPerUnit: m, corePct: m / 10 })));
  }
}

let exporterVersionSeen: string | undefined;
function exporterVersion(): string {
  if (exporterVersionSeen === undefined) {
    const r = spawnSync(EXPORTER, ['--version'], { encoding: 'utf8' });
    exporterVersionSeen = /version (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? '?';
  }
  return exporterVersionSeen;
}

function printPeers(figures: Figures): void {
  const last = BUILDS[BUILDS.length - 1]!.label;
  const refs = DAEMON_CASES.filter((c) => c.id === 'writer-hb' || c.id === 'many-hb').flatMap((c) => {
    const x = figures.get(`${c.id}\0${last}`);
    return x ? [{ c, ms: median(x.windows.map((w) => w.msPerUnit)) }] : [];
  });
  const peers = [...figures].filter(([key]) => !key.includes('\0'));
  if (peers.length === 0) return;
  console.log(`\nside by side in the same run and rounds: CPU (user+sys) per unit of work, median; resident processes from /proc over the same windows, one-shot commands from their rusage (${ONESHOT_RUNS} runs per round); a one-shot's % of one core is what running it every second costs`);
  console.log(`| process | unit | CPU ms per unit | % of one core | ${refs.map((r) => `× daemon (${last}), ${r.c.what}, ${r.c.targets} target${r.c.targets === 1 ? '' : 's'}`).join(' | ')} |`);
  console.log(`|---|---|---:|---:|${refs.map(() => '---:|').join('')}`);
  const line = (name: string, unit: string, ms: number, core: number) => console.log(`| ${name} | ${unit} | ${f(ms)} | ${f(core, 2)} | ${refs.map((r) => f(ms / r.ms, 1)).join(' | ')} |`);
  for (const r of refs) {
    const x = figures.get(`${r.c.id}\0${last}`)!;
    line(`check-mysql daemon (${last}), ${r.c.what}, ${r.c.targets} target${r.c.targets === 1 ? '' : 's'}`, 'check', r.ms, median(x.windows.map((w) => w.corePct)));
  }
  for (const [name, x] of peers) line(name, x.unit, median(x.windows.map((w) => w.msPerUnit)), median(x.windows.map((w) => w.corePct)));
}

/** /metrics latency beside the exporter against the writer, healthy and while it is hung (SIGSTOP). */
async function latency(dir: string, server: Server, endpoint: Endpoint): Promise<void> {
  progress('/metrics latency ...');
  const SCRAPES = 200;
  const HUNG_SCRAPES = 5;
  const children: ChildProcess[] = [];
  try {
    const d = await launchDaemon({ cli: BUILDS[BUILDS.length - 1]!.cli, targets: 1, servers: [endpoint], filesDir: dir, configDir: dir, warmupMs: 0, windows: 0, windowMs: 0 });
    children.push(d.child);
    const cnf = optionFile(dir, 'latency-exporter', endpoint);
    const exporterPort = await freePort();
    children.push(start(EXPORTER, [`--config.my-cnf=${cnf}`, `--web.listen-address=127.0.0.1:${exporterPort}`], cnf, { DATA_SOURCE_NAME: undefined }));
    await waitHttp(exporterPort);
    await sleep(1500);
    const healthy = { ours: await scrapeLatency(d.port, SCRAPES, 10_000), exporter: await scrapeLatency(exporterPort, SCRAPES, 10_000) };
    server.kill('SIGSTOP');
    try {
      await sleep(2500);
      const hung = { ours: await scrapeLatency(d.port, HUNG_SCRAPES, 10_000), exporter: await scrapeLatency(exporterPort, HUNG_SCRAPES, 10_000) };
      console.log(`\n/metrics latency, ${SCRAPES} sequential scrapes (healthy), then ${HUNG_SCRAPES} while mysqld is hung (SIGSTOP); one target, the writer`);
      console.log('| scraped | healthy | mysqld hung |');
      console.log('|---|---|---|');
      console.log(`| check-mysql daemon | ${healthy.ours} | ${hung.ours} |`);
      console.log(`| prometheus-mysqld-exporter (Debian) | ${healthy.exporter} | ${hung.exporter} |`);
    } finally {
      server.kill('SIGCONT');
    }
  } finally {
    await Promise.all(children.map(stop));
  }
}

main().catch((err) => {
  if (err instanceof Error && err.stack) console.error(err.stack);
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
