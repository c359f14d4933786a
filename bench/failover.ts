// npm run bench:failover [-- --runs N --setups a,b --failures x,y]
//
// Failover times on the end-to-end topology (test/helpers/e2e/topology.ts: two namespaces on a
// bridge, TEST-NET-1 only, mariadbd master-master, keepalived with the shipped example configs,
// a client writing through the VIP), N runs per failure, alternating between the nodes: each
// run fails the VIP holder, measures, repairs it and waits until it has rejoined as a standby.
// Setups, all with async replication and multicast VRRP so that only the checker differs:
//   seed       the seed's check, a plain `mariadb -e 'SELECT 1'` vrrp_script at interval 1
//              (given weight 0 / fall 2 / rise 2 / init_fail, so that it fails over at all),
//              no notify handler: the new holder stays read-only (the seed promotes by hand)
//   oneshot    examples/keepalived/oneshot: check-mysql as the vrrp_script + check-mysql notify
//   daemon     examples/keepalived/daemon: daemon + track_file + freshness guard + notify
//   daemon-v3  the same with VRRPv3 and advert_int 0.2 (sub-second adverts)
// Failures: kill -9, SIGSTOP, network cut (all setups), kill -9 of the daemon (daemon setups),
// and a held read lock, a write stall that only the heartbeat finds (check-mysql setups: the
// seed's SELECT 1 passes, and nothing ever moves). Not the full binlog disk: the commits it
// ends can leave a torn event in the old writer's binlog (docs/failover.md), which stopped the
// pair's replication at the 4th or 5th run; the e2e test runs it once per topology.
// And, for the daemon setups, the planned switchover (failure name `switchover`): N runs of
// `check-mysql switchover` back and forth while the client writes (test/helpers/e2e/switchover.ts),
// with the longest gap between acknowledged writes and the acknowledged writes missing.
// Prints min / median / max per setup and failure; figures, not assertions. Run as root.
import { setTimeout as sleep } from 'node:timers/promises';
import { keepalivedMissing } from '../test/helpers/keepalived/process.js';
import { failOver, FAILURES, type FailoverRun, type FailureKind, rejoin, releaseAll, waitWritable } from '../test/helpers/e2e/failover.js';
import { measuredSwitchover, prepareSwitchover, returnFromMaintenance } from '../test/helpers/e2e/switchover.js';
import { Topology, type TopologyOptions } from '../test/helpers/e2e/topology.js';
import type { NodeName } from '../test/helpers/keepalived/examples.js';

interface Setup {
  label: string;
  options: TopologyOptions;
  /** Whether the setup makes the new VIP holder writable (the seed's does not). */
  promotes: boolean;
  failures: FailureKind[];
}

const MYSQLD_FAILURES: FailureKind[] = ['kill-mysqld', 'stop-mysqld', 'cut-link'];
const STALLS: FailureKind[] = ['read-lock'];
const SETUPS: Record<string, Setup> = {
  seed: { label: 'seed: SELECT 1 script', options: { variant: 'oneshot', check: 'seed', notify: 'record' }, promotes: false, failures: MYSQLD_FAILURES },
  oneshot: { label: 'check-mysql one-shot', options: { variant: 'oneshot', notify: 'example' }, promotes: true, failures: [...MYSQLD_FAILURES, ...STALLS] },
  daemon: { label: 'check-mysql daemon', options: { variant: 'daemon', notify: 'example' }, promotes: true, failures: [...MYSQLD_FAILURES, 'kill-daemon', ...STALLS] },
  'daemon-v3': { label: 'daemon, VRRPv3 advert 0.2 s', options: { variant: 'daemon', notify: 'example', advertIntS: 0.2 }, promotes: true, failures: [...MYSQLD_FAILURES, 'kill-daemon', ...STALLS] },
};

/** Not a failure: the planned move, for the setups whose check honours a maintenance file (the daemon's). */
const SWITCHOVER = 'switchover';

function args(argv: string[]): { runs: number; setups: string[]; failures: FailureKind[]; switchover: boolean } {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const runs = Number(get('runs') ?? process.env.FAILOVER_RUNS ?? 5);
  const setups = (get('setups') ?? Object.keys(SETUPS).join(',')).split(',');
  const named = (get('failures') ?? [...Object.keys(FAILURES), SWITCHOVER].join(',')).split(',');
  const failures = named.filter((f) => f !== SWITCHOVER) as FailureKind[];
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error(`--runs must be 1..50, not ${get('runs')}`);
  for (const s of setups) if (!SETUPS[s]) throw new Error(`unknown setup ${s} (${Object.keys(SETUPS).join(', ')})`);
  for (const f of failures) if (!FAILURES[f]) throw new Error(`unknown failure ${f} (${[...Object.keys(FAILURES), SWITCHOVER].join(', ')})`);
  return { runs, setups, failures, switchover: named.includes(SWITCHOVER) };
}

interface Sample {
  setup: string;
  failure: FailureKind;
  /** ms from the failure to: */
  fault: number;
  vip: number;
  writable: number;
  firstWrite: number;
  lost: number;
}

/** The finite values, sorted: a run that never became writable is left out, not counted as 0. */
const finite = (xs: number[]): number[] => xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
const median = (xs: number[]): number => {
  const v = finite(xs);
  return v.length ? ((v[Math.floor((v.length - 1) / 2)] as number) + (v[Math.ceil((v.length - 1) / 2)] as number)) / 2 : Number.NaN;
};
/** "min / median / max" in seconds, or "never". */
const stat = (xs: number[]): string => {
  const v = finite(xs);
  const s = (x: number) => (x / 1000).toFixed(2);
  return v.length ? `${s(v[0] as number)} / ${s(median(v))} / ${s(v[v.length - 1] as number)}` : 'never';
};

/** What the seed's operator does by hand after a failover: the holder writable, the other not. */
async function handRoles(topo: Topology, holder: NodeName, other: NodeName): Promise<void> {
  await topo.nodes[holder].server.exec('SET GLOBAL read_only=OFF');
  if (topo.nodes[other].server.running) await topo.nodes[other].server.exec('SET GLOBAL read_only=ON').catch(() => undefined);
}

interface SwitchoverSample {
  setup: string;
  /** The longest gap between acknowledged writes, ms. */
  gap: number;
  /** ms after the maintenance file was written: the VIP gone from the old writer, the peer writable. */
  vipLeft: number;
  peerWritable: number;
  /** The command's wall time (start-up, preflight, steps, confirmation), ms. */
  command: number;
  lost: number;
}

/** N switchovers back and forth, each returned from maintenance before the next. */
async function runSwitchovers(topo: Topology, name: string, runs: number, out: SwitchoverSample[]): Promise<void> {
  await prepareSwitchover(topo);
  for (let i = 0; i < runs; i++) {
    const r = await measuredSwitchover(topo);
    const sample: SwitchoverSample = { setup: name, gap: r.gapMs, vipLeft: r.steps['VIP left'] ?? Number.NaN, peerWritable: r.steps['peer writable'] ?? Number.NaN, command: r.run.wallMs, lost: r.lost.length };
    out.push(sample);
    console.error(`  ${name} switchover #${i + 1} (${r.from} -> ${r.to}): write gap ${Math.round(sample.gap)} ms, VIP left ${sample.vipLeft} ms and peer writable ${sample.peerWritable} ms after maintenance, command ${Math.round(sample.command)} ms, lost ${sample.lost}`);
    await returnFromMaintenance(topo, r.from);
  }
}

async function runSetup(name: string, setup: Setup, runs: number, failures: FailureKind[], out: Sample[], switchovers?: SwitchoverSample[]): Promise<void> {
  const topo = await Topology.start(setup.options);
  try {
    const first = await topo.waitForSingleHolder(20_000);
    if (setup.promotes) await waitWritable(topo, first.node);
    else await handRoles(topo, first.node, first.node === 'a' ? 'b' : 'a');
    for (const failure of setup.failures.filter((f) => failures.includes(f))) {
      for (let i = 0; i < runs; i++) {
        let run: FailoverRun;
        try {
          run = await failOver(topo, failure, { vipWithinMs: 20_000, promotes: setup.promotes });
        } catch (err) {
          await releaseAll(topo, failure);
          throw err;
        }
        let writable = run.writableAt;
        if (!setup.promotes) {
          // The seed's setup never promotes: check that the new holder is still read-only.
          await sleep(1_000);
          if (!(await topo.nodes[run.next].server.readOnly())) writable = Date.now();
        }
        const sample: Sample = {
          setup: name, failure, fault: (run.faultAt ?? Number.NaN) - run.t0, vip: run.vipAt - run.t0,
          writable: (writable ?? Number.NaN) - run.t0, firstWrite: (run.firstAck?.at ?? Number.NaN) - run.t0, lost: run.lost.length,
        };
        out.push(sample);
        console.error(`  ${name} ${failure} #${i + 1} (${run.old} -> ${run.next}): FAULT ${Math.round(sample.fault)} ms, VIP ${Math.round(sample.vip)} ms, writable ${Number.isFinite(sample.writable) ? `${Math.round(sample.writable)} ms` : 'never'}, first write ${Number.isFinite(sample.firstWrite) ? `${Math.round(sample.firstWrite)} ms` : 'never'}, lost ${sample.lost}`);
        const repair = setup.promotes ? undefined : () => handRoles(topo, run.next, run.old);
        await rejoin(topo, run, 1_000, repair);
      }
    }
    if (switchovers && setup.options.variant === 'daemon') await runSwitchovers(topo, name, runs, switchovers);
  } finally {
    await topo.cleanup();
  }
}

async function main(): Promise<void> {
  const missing = keepalivedMissing();
  if (missing) throw new Error(`cannot run: ${missing}`);
  const { runs, setups, failures, switchover } = args(process.argv.slice(2));
  const samples: Sample[] = [];
  const switchovers: SwitchoverSample[] = [];
  for (const name of setups) {
    const setup = SETUPS[name] as Setup;
    if (failures.length === 0 && (!switchover || setup.options.variant !== 'daemon')) continue;
    console.error(`${name}: ${setup.label}`);
    await runSetup(name, setup, runs, failures, samples, switchover ? switchovers : undefined);
  }

  if (samples.length > 0) printFailovers(runs, setups, failures, samples);
  if (switchovers.length > 0) printSwitchovers(runs, setups, switchovers);
}

function printFailovers(runs: number, setups: string[], failures: FailureKind[], samples: Sample[]): void {
  console.log(`\nFailover, ${runs} run(s) each; seconds from the failure, min / median / max (shared, noisy 2-core machine)\n`);
  console.log('| setup | failure | holder FAULT | VIP on the other node | writable | first acked write | acked writes lost | VIP median vs seed |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const name of setups) {
    for (const failure of failures) {
      const mine = samples.filter((s) => s.setup === name && s.failure === failure);
      if (mine.length === 0) continue;
      const seed = median(samples.filter((s) => s.setup === 'seed' && s.failure === failure).map((s) => s.vip));
      const ratio = Number.isFinite(seed) ? `${(median(mine.map((s) => s.vip)) / seed).toFixed(2)}×` : '–';
      console.log(`| ${(SETUPS[name] as Setup).label} | ${FAILURES[failure].label} | ${stat(mine.map((s) => s.fault))} | ${stat(mine.map((s) => s.vip))} | ${stat(mine.map((s) => s.writable))} | ${stat(mine.map((s) => s.firstWrite))} | ${mine.reduce((n, s) => n + s.lost, 0)} | ${ratio} |`);
    }
  }
}

function printSwitchovers(runs: number, setups: string[], switchovers: SwitchoverSample[]): void {
  console.log(`\nSwitchover (check-mysql switchover while the client writes through the VIP), ${runs} run(s) each; seconds, min / median / max\n`);
  console.log('| setup | longest gap between acked writes | VIP left (after maintenance) | peer writable (after maintenance) | command wall time | acked writes lost |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const name of setups) {
    const mine = switchovers.filter((s) => s.setup === name);
    if (mine.length === 0) continue;
    console.log(`| ${(SETUPS[name] as Setup).label} | ${stat(mine.map((s) => s.gap))} | ${stat(mine.map((s) => s.vipLeft))} | ${stat(mine.map((s) => s.peerWritable))} | ${stat(mine.map((s) => s.command))} | ${mine.reduce((n, s) => n + s.lost, 0)} |`);
  }
}

main().catch((err) => {
  console.error(`bench:failover: ${(err as Error).message}`);
  process.exitCode = 1;
});
