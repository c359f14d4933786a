/**
 * A silent partition between the writer and the standby, wired to the real checker (issue 10,
 * "Done when": standby ineligible within max-lag + interval). The bridged pair in network
 * namespaces, nftables dropping every packet between the nodes (TEST-NET-1 only, TCP stays up),
 * the writer's own check writing the heartbeat every second, and on the standby:
 *  - the one-shot as keepalived's vrrp_script runs it, and the daemon's track file, each turning
 *    the standby ineligible (`lag`, by the heartbeat) while Seconds_Behind_Master says 0 and the
 *    IO thread says Yes, then eligible again once the link heals and it has caught up;
 *  - a writer that dies silently (the same partition, its checks gone): the heartbeat keeps the
 *    standby ineligible until the IO thread gives up at slave_net_timeout, so a low
 *    slave_net_timeout (with MASTER_HEARTBEAT_PERIOD below it) shortens the wait.
 * Every figure is printed on one line ("measured: ..."), from just before the rules went in.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { assertCliRuns, codeOf, describeRun, runCheck } from '../helpers/clients/cli.js';
import { msSince, now, type DaemonProcess } from '../helpers/clients/daemon.js';
import { readStatus, waitForTrack } from '../helpers/clients/daemon-outputs.js';
import { VrrpScript, type ScriptRun } from '../helpers/clients/vrrp-script.js';
import { CHECK, reasonCodes, seconds as s, startTargetDaemon, TIMER_SLACK_MS } from '../helpers/detection.js';
import { measured } from '../helpers/measured.js';
import { partition, type Partition } from '../helpers/netns/partition.js';
import { bridgedPairMissing, startBridgedPair, type BridgedPair } from '../helpers/servers/bridged-pair.js';
import { createHeartbeatTableOn, HEARTBEAT_TABLE } from '../helpers/servers/heartbeat.js';
import type { NsServer } from '../helpers/servers/ns-server.js';
import { waitForCatchUp, waitForThreads } from '../helpers/servers/replication.js';
import { describeNeeding } from '../helpers/suite.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const MAX_LAG_S = 3;
const INTERVAL_MS = CHECK.intervalMs;
/** Not an address of the test process's namespace: the check there judges a standby. */
const VIP_NOT_HELD = '192.0.2.250';
/** MariaDB's and MySQL's default: what the standby has in production unless lowered. */
const DEFAULT_SLAVE_NET_TIMEOUT_S = 60;
/** The "long" slave_net_timeout of the writer-dies case: long enough to see, short enough for CI. */
const LONG_SLAVE_NET_TIMEOUT_S = 10;
const SHORT_SLAVE_NET_TIMEOUT_S = 3;
/** The IO thread's own timer and its first reconnect attempt, on top of our timers' slack. */
const IO_THREAD_SLACK_MS = 600;

const isLag = (r: ScriptRun): boolean => r.run.code === 1 && reasonCodes(r.run).join() === 'lag';
const isEligible = (r: ScriptRun): boolean => r.run.code === 0;

describeNeeding(bridgedPairMissing(), 'a silent partition, detected by the heartbeat: the standby ineligible within max-lag + interval, eligible again once healed', () => {
  let pair: BridgedPair;
  let dir: string;
  let cut: Partition | undefined;
  let scripts: VrrpScript[] = [];
  let daemons: DaemonProcess[] = [];

  const user = () => pair.users.check;
  const connection = (server: NsServer): string[] => ['--no-defaults', '-S', server.socket, '-u', user().user, '--heartbeat-table', HEARTBEAT_TABLE];
  /** The writer holds the VIP: 127.0.0.1 is always local. */
  const writerArgs = (): string[] => [...connection(pair.a), '--vip', '127.0.0.1'];
  const standbyArgs = (): string[] => [...connection(pair.b), '--vip', VIP_NOT_HELD, '--max-lag', String(MAX_LAG_S)];
  const oneShot = (args: string[]) => () => runCheck([...args, '--no-syslog', '--json'], { password: user().password });
  const script = (args: string[]): VrrpScript => {
    const started = VrrpScript.start(oneShot(args), INTERVAL_MS);
    scripts.push(started);
    return started;
  };
  const cutLink = async (): Promise<{ cut: Partition; t0: number }> => {
    const t0 = now();
    cut = await partition({ netns: pair.names.a, address: pair.a.host }, { netns: pair.names.b, address: pair.b.host });
    return { cut, t0 };
  };
  const setSlaveNetTimeout = async (seconds: number): Promise<void> => {
    await pair.b.exec('STOP SLAVE', `SET GLOBAL slave_net_timeout=${seconds}`, 'START SLAVE');
    await waitForThreads(pair.b);
  };
  const ioThread = async (): Promise<{ io: string; secondsBehind: unknown }> => {
    const [row] = await pair.b.slaveStatus();
    return { io: String(row?.Slave_IO_Running), secondsBehind: row?.Seconds_Behind_Master };
  };
  /** Heals, then resolves when the standby has everything the writer had at the heal. */
  const healAndCatchUp = async (): Promise<{ t: number; caughtUp: Promise<number> }> => {
    const t = now();
    await cut?.heal();
    return { t, caughtUp: waitForCatchUp(pair.b, pair.a, 40_000).then(() => now()) };
  };

  beforeAll(async () => {
    await assertCliRuns();
    [pair, dir] = await Promise.all([startBridgedPair(), makeTempDir()]);
    await createHeartbeatTableOn(pair.a, pair.b, [`'${user().user}'@'localhost'`]);
    // The lie the heartbeat must see through needs the IO thread to go on saying Yes.
    await setSlaveNetTimeout(DEFAULT_SLAVE_NET_TIMEOUT_S);
  });

  afterEach(async () => {
    await cut?.heal();
    cut = undefined;
    await Promise.all([...scripts.map((x) => x.stop()), ...daemons.map((d) => d.kill())]);
    scripts = [];
    daemons = [];
  });

  afterAll(async () => {
    await cut?.heal().catch(() => undefined);
    await Promise.all([...scripts.map((x) => x.stop()), ...daemons.map((d) => d.kill())]);
    await pair?.cleanup();
    if (dir) await removeTempDir(dir);
  });

  it('one-shot (vrrp_script every second on both nodes): the standby is lag by the heartbeat within max-lag + interval while Seconds_Behind_Master says 0, and eligible again after healing', async () => {
    const writer = script(writerArgs());
    const standby = script(standbyArgs());
    await standby.waitFor('a healthy standby with a fresh heartbeat', (r) => isEligible(r) && r.run.json?.warnings.length === 0, { timeoutMs: 20_000 });

    const { t0 } = await cutLink();
    const detected = await standby.waitFor('the standby to report lag', isLag, { since: t0, timeoutMs: 15_000 });
    const seen = await ioThread();
    const reason = detected.run.json?.reasons[0] ?? '';
    const ms = msSince(t0, detected.endedAt);
    const bound = MAX_LAG_S * 1000 + INTERVAL_MS;
    measured(`silent partition, one-shot every ${INTERVAL_MS / 1000} s, --max-lag ${MAX_LAG_S}: the standby's run started ${s(detected.startedAt - t0)} s after the cut said "${reason}", exit 1 at ${s(ms)} s (bound max-lag + interval = ${s(bound)} s, plus that run's ${detected.run.wallMs.toFixed(0)} ms); IO thread ${seen.io}, Seconds_Behind_Master ${String(seen.secondsBehind)}`);
    expect(reason, describeRun(detected.run)).toMatch(new RegExp(`^lag: default channel: \\d+\\.\\d s behind source ${pair.a.host.replace(/\./g, '\\.')}:\\d+, by its source's heartbeat \\(Seconds_Behind says 0 s\\) \\(max ${MAX_LAG_S} s\\)$`));
    expect(seen).toEqual({ io: 'Yes', secondsBehind: 0 });
    expect(detected.startedAt - t0).toBeLessThan(bound + TIMER_SLACK_MS);
    // Before that run, the standby was eligible: the figure is the first lag, not a flap.
    expect(standby.between(t0, detected.startedAt).every(isEligible)).toBe(true);

    // One more interval of partition, then heal: the standby must become eligible again.
    await sleep(INTERVAL_MS);
    const heal = await healAndCatchUp();
    const back = await standby.waitFor('the standby to be eligible again', isEligible, { since: heal.t, timeoutMs: 40_000 });
    const caughtUp = await heal.caughtUp;
    measured(`silent partition healed after ${s(heal.t - t0)} s: the standby had caught up ${s(caughtUp - heal.t)} s after healing and was eligible again at ${s(back.endedAt - heal.t)} s (first eligible run started ${s(back.startedAt - heal.t)} s after healing)`);
    // The writer stayed healthy throughout: its heartbeat writes commit, its own replication is only a warning.
    expect(writer.between(t0).filter((r) => r.run.code !== 0).map((r) => describeRun(r.run))).toEqual([]);
  }, 90_000);

  async function startDaemon(name: string, args: string[]) {
    const started = await startTargetDaemon({ dir, name, args, password: user().password, rise: 2 });
    daemons.push(started.daemon);
    return started;
  }

  it('daemon (interval 1 s, fall 2, rise 2) on both nodes: the standby\'s track file says fault within max-lag + fall x interval, and healthy again after healing', async () => {
    await startDaemon('writer', writerArgs());
    const standby = await startDaemon('standby', standbyArgs());
    await waitForTrack(standby.track, 0, 20_000);
    await sleep(1_500);

    const { t0 } = await cutLink();
    const fault = await waitForTrack(standby.track, 1, 15_000);
    const seen = await ioThread();
    const reasons = (readStatus(standby.status)?.reasons as string[] | undefined) ?? [];
    const ms = msSince(t0, fault.at);
    const bound = MAX_LAG_S * 1000 + 2 * INTERVAL_MS;
    measured(`silent partition, daemon (interval 1 s, fall 2), --max-lag ${MAX_LAG_S}: the standby's track file read 1 after ${s(ms)} s (bound max-lag + fall x interval = ${s(bound)} s); IO thread ${seen.io}, Seconds_Behind_Master ${String(seen.secondsBehind)}; reason "${reasons[0] ?? '(none)'}"`);
    expect(ms, standby.daemon.describe()).toBeLessThan(bound + TIMER_SLACK_MS);
    expect(reasons.map(codeOf), standby.daemon.describe()).toEqual(['lag']);
    expect(reasons[0]).toMatch(/by its source's heartbeat \(Seconds_Behind says 0 s\)/);
    expect(seen).toEqual({ io: 'Yes', secondsBehind: 0 });

    await sleep(INTERVAL_MS);
    const heal = await healAndCatchUp();
    const healthy = await waitForTrack(standby.track, 0, 40_000);
    const caughtUp = await heal.caughtUp;
    measured(`silent partition healed after ${s(heal.t - t0)} s (daemon): the standby had caught up ${s(caughtUp - heal.t)} s after healing and its track file read 0 at ${s(healthy.at - heal.t)} s (rise 2)`);
  }, 90_000);

  /**
   * A writer gone without a word (power cut, cable pulled): from the standby it is the same
   * partition. The standby's heartbeat ages past --max-lag while its IO thread says Yes, so it is
   * ineligible until the IO thread gives up (slave_net_timeout after the last packet) and the
   * writer counts as unreachable (`source-unreachable`: eligible, the moment to take over).
   */
  it.each([LONG_SLAVE_NET_TIMEOUT_S, SHORT_SLAVE_NET_TIMEOUT_S])('a writer that dies silently: with slave_net_timeout %i the standby stays ineligible until the IO thread gives up, then is eligible (source-unreachable)', async (netTimeoutS) => {
    await setSlaveNetTimeout(netTimeoutS);
    const writer = script(writerArgs());
    const standby = script(standbyArgs());
    await standby.waitFor('a healthy standby with a fresh heartbeat', (r) => isEligible(r) && r.run.json?.warnings.length === 0, { timeoutMs: 20_000 });
    // The writer is gone: nothing of it reaches the standby from now on, and it writes no more.
    const { t0 } = await cutLink();
    await writer.stop();
    const eligible = await standby.waitFor('the standby to count its source unreachable', (r) => isEligible(r) && r.run.json?.warnings.map(codeOf).includes('source-unreachable') === true, { since: t0, timeoutMs: (netTimeoutS + 10) * 1000 });
    const runs = standby.between(t0, eligible.startedAt);
    const lagRuns = runs.filter(isLag);
    const firstLag = lagRuns[0];
    const ineligibleMs = firstLag ? eligible.endedAt - firstLag.endedAt : 0;
    measured(`writer gone silently, slave_net_timeout ${netTimeoutS} (MASTER_HEARTBEAT_PERIOD 1), --max-lag ${MAX_LAG_S}, one-shot every ${INTERVAL_MS / 1000} s: ${firstLag ? `lag from ${s(firstLag.endedAt - t0)} s` : 'never lag'}, eligible again (source-unreachable) at ${s(eligible.endedAt - t0)} s after the cut: ineligible for ${s(ineligibleMs)} s (${lagRuns.length} of ${runs.length} runs)`);
    // Nothing in between but lag: eligible, then lag, then eligible with the writer unreachable.
    expect(runs.filter((r) => !isLag(r) && !isEligible(r)).map((r) => describeRun(r.run))).toEqual([]);
    // The IO thread gives up slave_net_timeout after the last packet (at most an interval before the cut).
    expect(eligible.startedAt - t0).toBeGreaterThan((netTimeoutS - 1) * 1000 - TIMER_SLACK_MS);
    expect(eligible.startedAt - t0).toBeLessThan(netTimeoutS * 1000 + INTERVAL_MS + IO_THREAD_SLACK_MS);
    if (netTimeoutS > MAX_LAG_S + 2) {
      expect(firstLag, 'the standby must turn lag before the IO thread gives up').toBeDefined();
      expect((firstLag as ScriptRun).startedAt - t0).toBeLessThan(MAX_LAG_S * 1000 + INTERVAL_MS + TIMER_SLACK_MS);
      expect(ineligibleMs).toBeGreaterThan((netTimeoutS - MAX_LAG_S - 2) * 1000);
    } else {
      expect(ineligibleMs).toBeLessThanOrEqual(2 * INTERVAL_MS + TIMER_SLACK_MS);
    }

    // The writer comes back: replication resumes and the standby is a plain eligible standby.
    const heal = await healAndCatchUp();
    await heal.caughtUp;
    await waitForThreads(pair.b, 30_000);
  }, 60_000);
});
