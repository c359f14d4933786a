/**
 * npm run bench: the one-shot check beside its peers, side by side in one run against the same
 * freshly started MariaDB pair (never the machine's own server). Prints medians and ratios;
 * asserts nothing. Runs are interleaved round-robin so machine noise hits every command alike.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPair } from '../test/helpers/servers/pair.js';
import { makeTempDir, removeTempDir } from '../test/helpers/temp-dir.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const RSS_RUNS = 7;
const ROOT = join(__dirname, '..');
const NAGIOS = '/usr/lib/nagios/plugins/check_mysql';

interface Command {
  name: string;
  argv: string[];
  env?: Record<string, string>;
}

function ensureNagiosPlugin(): boolean {
  if (existsSync(NAGIOS)) return true;
  if (process.getuid?.() !== 0) return false;
  console.log('bench: installing monitoring-plugins-standard for check_mysql ...');
  spawnSync('apt-get', ['install', '-y', '-qq', 'monitoring-plugins-standard'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return existsSync(NAGIOS);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

function timeOnce(c: Command): { ms: number; status: number | null } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c.argv[0]!, c.argv.slice(1), { env: { ...process.env, ...c.env }, stdio: 'ignore' });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, status: r.status };
}

function peakRssMiB(c: Command): number {
  const kib: number[] = [];
  for (let i = 0; i < RSS_RUNS; i++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', ...c.argv], { env: { ...process.env, ...c.env }, encoding: 'utf8' });
    const last = r.stderr.trim().split('\n').pop() ?? '';
    if (/^\d+$/.test(last)) kib.push(Number(last));
  }
  return kib.length ? median(kib) / 1024 : NaN;
}

async function main(): Promise<void> {
  const pair = await startPair();
  const dir = await makeTempDir();
  try {
    const naive = join(dir, 'naive-mysql2-ping.cjs');
    writeFileSync(
      naive,
      `const m=require(${JSON.stringify(join(ROOT, 'node_modules', 'mysql2'))});const c=m.createConnection({host:'127.0.0.1',port:${pair.b.port},user:'${pair.check.user}',password:process.env.MYSQL_PWD});c.query('SELECT 1',(e)=>{process.exitCode=e?1:0;c.end()});`,
    );
    const pw = { MYSQL_PWD: pair.check.password };
    const tcp = ['-h', '127.0.0.1', '-P', String(pair.b.port), '-u', pair.check.user];
    const commands: Command[] = [
      { name: 'node -e 0 (floor)', argv: [process.execPath, '-e', '0'] },
      { name: 'check-mysql (standby, full check)', argv: [process.execPath, join(ROOT, 'bin', 'check-mysql'), '--no-defaults', '--no-syslog', ...tcp], env: pw },
      { name: 'naive mysql2 connect+SELECT 1', argv: [process.execPath, naive], env: pw },
      { name: 'mysqladmin ping', argv: ['mysqladmin', '--no-defaults', ...tcp, 'ping'], env: pw },
    ];
    if (ensureNagiosPlugin()) {
      // check_mysql has no way to take the password other than argv or an option file.
      commands.push({ name: 'check_mysql (nagios, -S slave)', argv: [NAGIOS, '-H', '127.0.0.1', '-P', String(pair.b.port), '-u', pair.check.user, '-p', pair.check.password, '-S'] });
    } else console.log(`bench: ${NAGIOS} missing and cannot install it (not root); skipped`);

    for (const c of commands) {
      const r = timeOnce(c);
      if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}; the bench needs every command healthy`);
    }
    const times = new Map(commands.map((c) => [c.name, [] as number[]]));
    for (let i = 0; i < RUNS; i++) for (const c of commands) times.get(c.name)!.push(timeOnce(c).ms);

    const floor = median(times.get(commands[0]!.name)!);
    console.log(`\none-shot check, ${RUNS} interleaved runs each, ${execFileSync(process.execPath, ['--version']).toString().trim()}, MariaDB ${await pair.b.variable('version')}`);
    console.log('| command | median ms | p90 ms | × node -e 0 | peak RSS MiB |');
    console.log('|---|---:|---:|---:|---:|');
    for (const c of commands) {
      const xs = times.get(c.name)!;
      console.log(`| ${c.name} | ${median(xs).toFixed(1)} | ${pct(xs, 0.9).toFixed(1)} | ${(median(xs) / floor).toFixed(2)} | ${peakRssMiB(c).toFixed(1)} |`);
    }
  } finally {
    await removeTempDir(dir);
    await pair.cleanup();
  }
}

main().catch((err) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
