/**
 * npm run bench:profile: where the daemon's CPU goes on the realistic target. Runs the daemon
 * under `node --cpu-prof` against a fresh replicated pair (targets spread over the writer and the
 * standby, --heartbeat-table on), then prints the self time by function and by file, and leaves
 * the .cpuprofile for Chrome's DevTools. Environment: PROFILE_TARGETS (20), PROFILE_SECONDS (30),
 * PROFILE_HEARTBEAT (1; 0 leaves --heartbeat-table out), PROFILE_ON (pair | writer | standby),
 * PROFILE_WARMUP_SECONDS (5; V8 compiles the hot paths for the first minute).
 *
 * PROFILE_WITH=perf samples with Linux perf instead (`node --perf-basic-prof`, `perf record` on
 * the daemon's pid, CPU time only). Prefer it for "where does the CPU go": `--cpu-prof` samples
 * the main thread by wall time, so the time a loopback write() spends preempted by the mysqld
 * it woke (same CPU) reads as ours.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHeartbeatTable, HEARTBEAT_TABLE } from '../test/helpers/servers/heartbeat.js';
import { startPair } from '../test/helpers/servers/pair.js';
import { makeTempDir, removeTempDir } from '../test/helpers/temp-dir.js';
import { CLI, launchDaemon, UNIT_NODE_FLAGS, type Endpoint } from './lib/daemon-row.js';
import { get } from './lib/http.js';
import { cpuMs, sleep, stop } from './lib/proc.js';

const TARGETS = Number(process.env.PROFILE_TARGETS ?? 20);
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 30);
const HEARTBEAT = process.env.PROFILE_HEARTBEAT !== '0';
const ON = process.env.PROFILE_ON ?? 'pair';
const WARMUP = Number(process.env.PROFILE_WARMUP_SECONDS ?? 5);
const PERF = process.env.PROFILE_WITH === 'perf';
const OUT = join(__dirname, '..', '.profiles');

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

function summarize(file: string): void {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, Node>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)' || name === '(program)') {
      if (name === '(idle)') idle += us;
      continue;
    }
    total += us;
    // A native frame (writeBuffer, link, ...) says little alone: name its JS caller.
    const caller = n.callFrame.url === '' ? parent.get(id) : undefined;
    const where = (caller ? `${caller.callFrame.functionName || '(anonymous)'} < ${caller.callFrame.url}` : n.callFrame.url).replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/');
    fns.set(`${name} ${where}:${n.callFrame.lineNumber + 1}`, (fns.get(`${name} ${where}:${n.callFrame.lineNumber + 1}`) ?? 0) + us);
    const fileKey = where.startsWith('node:') ? where : where.replace(/\/[^/]*$/, '/');
    files.set(fileKey || '(native)', (files.get(fileKey || '(native)') ?? 0) + us);
  }
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  console.log(`\nprofile ${file}: ${(total / 1000).toFixed(0)} ms on the main thread (not idle), ${(idle / 1000).toFixed(0)} ms idle`);
  console.log('self ms | % | function');
  for (const [k, us] of top(fns, 40)) console.log(`${(us / 1000).toFixed(1).padStart(7)} | ${((us / total) * 100).toFixed(1).padStart(4)} | ${k}`);
  console.log('\nself ms | % | file or module');
  for (const [k, us] of top(files, 20)) console.log(`${(us / 1000).toFixed(1).padStart(7)} | ${((us / total) * 100).toFixed(1).padStart(4)} | ${k}`);
}

/** perf's self time by symbol, and by DSO (the kernel, node itself, JIT code); the data stays for `perf report -i`. */
function summarizePerf(data: string): void {
  const report = (sort: string) =>
    execFileSync('perf', ['report', '-i', data, '--no-children', '--sort', sort, '--stdio', '--percent-limit', '0.7', '-g', 'none'], { encoding: 'utf8', maxBuffer: 64 << 20 })
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .join('\n');
  console.log(`\nperf ${data}: self time by DSO\n${report('dso')}\n\nby symbol\n${report('dso,sym')}`);
}

async function main(): Promise<void> {
  const dir = await makeTempDir();
  const pair = await startPair();
  try {
    const hb = HEARTBEAT_TABLE;
    await createHeartbeatTable(pair);
    const e = (port: number): Endpoint => ({ port, user: pair.check.user, password: pair.check.password });
    const servers = ON === 'writer' ? [e(pair.a.port)] : ON === 'standby' ? [e(pair.b.port)] : [e(pair.a.port), e(pair.b.port)];
    mkdirSync(OUT, { recursive: true });
    const before = new Set(readdirSync(OUT));
    const d = await launchDaemon({
      cli: CLI,
      targets: TARGETS,
      servers,
      filesDir: dir,
      configDir: dir,
      ...(HEARTBEAT && { heartbeatTable: () => hb }),
      nodeFlags: [...UNIT_NODE_FLAGS, ...(PERF ? ['--perf-basic-prof'] : ['--cpu-prof', `--cpu-prof-dir=${OUT}`, '--cpu-prof-interval=200'])],
      warmupMs: 0,
      windows: 0,
      windowMs: 0,
    });
    await sleep(WARMUP * 1000);
    const c0 = cpuMs(d.child.pid!);
    const perfData = join(OUT, `perf-${d.child.pid}.data`);
    if (PERF) execFileSync('perf', ['record', '-q', '-F', '997', '-g', '-o', perfData, '-p', String(d.child.pid), '--', 'sleep', String(SECONDS)], { stdio: 'ignore' });
    else await sleep(SECONDS * 1000);
    const c1 = cpuMs(d.child.pid!);
    const health = await get(d.port, '/health', 5000);
    console.log(`${TARGETS} targets on ${ON}${HEARTBEAT ? ', --heartbeat-table' : ''}: ${((c1 - c0) / (TARGETS * SECONDS)).toFixed(3)} ms of CPU per check (approx., profiler on); /health ${health.status}`);
    await stop(d.child);
    if (PERF) {
      summarizePerf(perfData);
      return;
    }
    const made = readdirSync(OUT).filter((f) => !before.has(f) && f.endsWith('.cpuprofile'));
    for (const f of made) summarize(join(OUT, f));
  } finally {
    await pair.cleanup();
    await removeTempDir(dir);
  }
}

main().catch((err) => {
  console.error(`profile: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
