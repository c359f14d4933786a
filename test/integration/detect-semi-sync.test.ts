/**
 * A semi-synchronous writer whose standby stops acknowledging, wired to the real checker (issue
 * 10, "Done when": write stall -> fault within interval + timeout (+ fall)). The bridged pair
 * with MariaDB's semi-sync, the standby's IO thread stopped (withholdAcks), the writer's check
 * with --heartbeat-table:
 *  - with rpl_semi_sync_master_timeout above the check's budget, the one-shot and the daemon
 *    report `write-stalled` naming "Waiting for semi-sync ACK from slave" in bounded time, and
 *    healthy again once the server's semi-sync timeout has passed and it commits asynchronously;
 *    that fallback needs a commit to wait the whole timeout, so the check leaves its first
 *    waiting write to the server (it has committed: killing it only ends the wait, and then the
 *    server never falls back: the writer would stay write-stalled for as long as no application
 *    commit happened to wait the timeout out);
 *  - with rpl_semi_sync_master_timeout below the write's bound, the check never sees a stall.
 * Every figure is printed on one line ("measured: ...").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { assertCliRuns, codeOf, describeRun, runCheck, type CheckRun } from '../helpers/clients/cli.js';
import { msSince, now, type DaemonProcess } from '../helpers/clients/daemon.js';
import { readStatus, recordFile, waitForTrack } from '../helpers/clients/daemon-outputs.js';
import { VrrpScript, type ScriptRun } from '../helpers/clients/vrrp-script.js';
import { CHECK, isWriteStalled, MAX_THREADS, reasonsSeen, seconds as s, START_UP_SLACK_MS, startTargetDaemon, TIMER_SLACK_MS } from '../helpers/detection.js';
import { measured } from '../helpers/measured.js';
import { bridgedPairMissing, startBridgedPair, type BridgedPair } from '../helpers/servers/bridged-pair.js';
import { createHeartbeatTableOn, HEARTBEAT_TABLE, sampleThreads } from '../helpers/servers/heartbeat.js';
import { SEMI_SYNC_WAIT_STATE, semiSyncMasterStatus, withholdAcks, type WithheldAcks } from '../helpers/servers/semi-sync.js';
import { describeNeeding } from '../helpers/suite.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

/** rpl_semi_sync_master_timeout of the pair: above the check's budget, as MariaDB's default 10 s is. */
const SEMI_SYNC_TIMEOUT_MS = 4_000;
/** Below the write's bound (--timeout less its reserve: 600 ms of 0.8 s): what docs/check.md recommends. */
const SHORT_SEMI_SYNC_TIMEOUT_MS = 300;
/** Above the write's bound, below (fall - 1) x interval: seen once, never a fault. */
const MIDDLE_SEMI_SYNC_TIMEOUT_MS = 800;
const { intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS, fall: FALL } = CHECK;

describeNeeding(bridgedPairMissing(), 'a semi-sync writer whose standby stops acknowledging, seen by the heartbeat write', () => {
  let pair: BridgedPair;
  let dir: string;
  let withheld: WithheldAcks | undefined;
  let scripts: VrrpScript[] = [];
  let daemons: DaemonProcess[] = [];

  const user = () => pair.users.check;
  const writerArgs = (): string[] => ['--no-defaults', '-S', pair.a.socket, '-u', user().user, '--heartbeat-table', HEARTBEAT_TABLE, '--vip', '127.0.0.1'];
  const oneShot = (): Promise<CheckRun> => runCheck([...writerArgs(), '--timeout', String(TIMEOUT_MS / 1000), '--no-syslog', '--json'], { password: user().password });
  const stalled = (r: ScriptRun): boolean => isWriteStalled(r.run);
  const withhold = async (): Promise<number> => {
    withheld = await withholdAcks(pair.a, pair.b, 'stop-io-thread');
    return now();
  };
  /** The writer's one-shot as keepalived runs it, once it has been healthy. */
  const healthyWriterScript = async (): Promise<VrrpScript> => {
    const script = VrrpScript.start(oneShot, INTERVAL_MS);
    scripts.push(script);
    await script.waitFor('a healthy writer', (r) => r.run.code === 0);
    return script;
  };
  /** Stops the ACKs between two runs: the next run is the first to meet it. */
  const withholdBetweenRuns = async (script: VrrpScript): Promise<number> => {
    const gate = await script.hold();
    try {
      return await withhold();
    } finally {
      gate.release();
    }
  };

  beforeAll(async () => {
    await assertCliRuns();
    [pair, dir] = await Promise.all([startBridgedPair({ semiSync: { timeoutMs: SEMI_SYNC_TIMEOUT_MS } }), makeTempDir()]);
    await createHeartbeatTableOn(pair.a, pair.b, [`'${user().user}'@'localhost'`]);
  });

  beforeEach(async () => {
    // Every case starts from an acknowledging standby.
    await waitFor('semi-sync on, with one replica connected', async () => {
      const st = await semiSyncMasterStatus(pair.a);
      return st.on && st.clients === 1;
    }, { timeoutMs: 30_000, intervalMs: 100 });
  });

  afterEach(async () => {
    await Promise.all([...scripts.map((x) => x.stop()), ...daemons.map((d) => d.kill())]);
    scripts = [];
    daemons = [];
    await withheld?.restore();
    withheld = undefined;
    await pair.a.exec(`SET GLOBAL rpl_semi_sync_master_timeout=${SEMI_SYNC_TIMEOUT_MS}`);
  });

  afterAll(async () => {
    await withheld?.restore().catch(() => undefined);
    await Promise.all([...scripts.map((x) => x.stop()), ...daemons.map((d) => d.kill())]);
    await pair?.cleanup();
    if (dir) await removeTempDir(dir);
  });

  it(`one-shot every second, rpl_semi_sync_master_timeout ${SEMI_SYNC_TIMEOUT_MS / 1000} s: write-stalled naming the ACK wait within interval + timeout, healthy again once the server has gone async, at most 3 of our threads (one left waiting)`, async () => {
    const script = await healthyWriterScript();
    const t0 = await withholdBetweenRuns(script);
    const threads = sampleThreads(pair.a, user().user);
    const detected = await script.waitFor('write-stalled', stalled, { since: t0, timeoutMs: 5_000 });
    const back = await script.waitFor('a healthy writer again', (r) => r.run.code === 0, { since: detected.endedAt, timeoutMs: SEMI_SYNC_TIMEOUT_MS + 5_000 });
    const peak = await threads.stop();
    const semi = await semiSyncMasterStatus(pair.a);
    const reason = detected.run.json?.reasons[0] ?? '';
    const stalledRuns = script.between(t0, back.startedAt);
    measured(`semi-sync without ACK (IO thread stopped), one-shot every ${INTERVAL_MS / 1000} s: the first run after the ACKs stopped started ${s(detected.startedAt - t0)} s later and exited 1 at ${s(detected.endedAt - t0)} s (bound interval + timeout = ${s(INTERVAL_MS + TIMEOUT_MS)} s, plus Node's start-up): "${reason}"`);
    measured(`semi-sync without ACK, one-shot: ${stalledRuns.length} runs write-stalled, then healthy at ${s(back.endedAt - t0)} s after the ACKs stopped (rpl_semi_sync_master_timeout ${s(SEMI_SYNC_TIMEOUT_MS)} s): Rpl_semi_sync_master_status ${semi.on ? 'ON' : 'OFF'}, no_tx ${semi.noTx}; peak ${peak} check-mysql threads`);
    expect(reason, describeRun(detected.run)).toMatch(new RegExp(`did not commit within \\d+ ms; the server says: ${SEMI_SYNC_WAIT_STATE}; `));
    expect(detected.endedAt - t0).toBeLessThan(INTERVAL_MS + TIMEOUT_MS + START_UP_SLACK_MS + TIMER_SLACK_MS);
    for (const r of stalledRuns) expect(stalled(r), describeRun(r.run)).toBe(true);
    // The first waiting write is released at the timeout; the next run commits asynchronously.
    expect(back.startedAt - detected.startedAt).toBeLessThan(SEMI_SYNC_TIMEOUT_MS + INTERVAL_MS + TIMER_SLACK_MS);
    expect(semi.on).toBe(false);
    // One write is left waiting for the server's semi-sync timeout (killing it would end only the
    // wait, and the server would never fall back to async). A run that starts meanwhile holds its
    // own connection, whose write waits too, and for a moment the side connection that finds the
    // earlier waiter and kills that write: three at that moment, never more, and never growing.
    expect(peak).toBeLessThanOrEqual(MAX_THREADS + 1);

    // The standby acknowledges again: semi-sync comes back on, and the writer stays healthy.
    const restoredAt = now();
    await withheld?.restore();
    await waitFor('semi-sync back on', async () => (await semiSyncMasterStatus(pair.a)).on, { timeoutMs: 10_000, intervalMs: 100 });
    const on = now();
    await sleep(2 * INTERVAL_MS);
    const afterRestore = script.between(restoredAt);
    measured(`ACKs back: semi-sync ON again ${s(on - restoredAt)} s after START SLAVE IO_THREAD; ${afterRestore.filter((r) => r.run.code === 0).length} of ${afterRestore.length} runs healthy since`);
    expect(afterRestore.every((r) => r.run.code === 0)).toBe(true);
  }, 60_000);

  it(`daemon (interval 1 s, timeout 0.8 s, fall ${FALL}, rise 1), rpl_semi_sync_master_timeout ${SEMI_SYNC_TIMEOUT_MS / 1000} s: fault within fall x (interval + timeout), healthy again once the server has gone async; one write in flight`, async () => {
    const { daemon, track, status } = await startTargetDaemon({ dir, name: 'writer', args: writerArgs(), password: user().password, rise: 1 });
    daemons.push(daemon);
    await waitForTrack(track, 0, 10_000);
    await sleep(1_500);

    const statuses = recordFile(status);
    const t0 = await withhold();
    const threads = sampleThreads(pair.a, user().user);
    const fault = await waitForTrack(track, 1, 10_000);
    const reasons = (readStatus(status)?.reasons as string[] | undefined) ?? [];
    const healthy = await waitForTrack(track, 0, SEMI_SYNC_TIMEOUT_MS + 5_000);
    const peak = await threads.stop();
    const seen = reasonsSeen(statuses.stop());
    const ms = msSince(t0, fault.at);
    const bound = FALL * (INTERVAL_MS + TIMEOUT_MS);
    measured(`semi-sync without ACK, daemon (interval 1 s, timeout 0.8 s, fall ${FALL}): track file 1 after ${s(ms)} s (bound fall x (interval + timeout) = ${s(bound)} s), 0 again after ${s(msSince(t0, healthy.at))} s (rpl_semi_sync_master_timeout ${s(SEMI_SYNC_TIMEOUT_MS)} s); peak ${peak} check-mysql threads; reasons seen: ${seen.map((r) => `"${r}"`).join(' | ')}`);
    expect(ms, daemon.describe()).toBeLessThan(bound + TIMER_SLACK_MS);
    expect(reasons.map(codeOf)).toEqual(['write-stalled']);
    expect(seen.some((r) => r.includes(`the server says: ${SEMI_SYNC_WAIT_STATE}`)), seen.join('\n')).toBe(true);
    expect(msSince(t0, healthy.at)).toBeLessThan(SEMI_SYNC_TIMEOUT_MS + 2 * INTERVAL_MS + TIMEOUT_MS + TIMER_SLACK_MS);
    expect(peak, daemon.describe()).toBeLessThanOrEqual(MAX_THREADS);
  }, 60_000);

  it(`rpl_semi_sync_master_timeout ${SHORT_SEMI_SYNC_TIMEOUT_MS} ms, below the write's bound: the one-shot never sees a stall, the first write after the ACKs stop just takes longer`, async () => {
    await pair.a.exec(`SET GLOBAL rpl_semi_sync_master_timeout=${SHORT_SEMI_SYNC_TIMEOUT_MS}`);
    const script = await healthyWriterScript();
    const t0 = await withholdBetweenRuns(script);
    await sleep(4 * INTERVAL_MS);
    const runs = script.between(t0);
    const writeMs = runs.map((r) => r.run.json?.probes?.find((p) => p.name === 'heartbeat_write')?.elapsedMs);
    const semi = await semiSyncMasterStatus(pair.a);
    measured(`semi-sync without ACK, rpl_semi_sync_master_timeout ${SHORT_SEMI_SYNC_TIMEOUT_MS} ms: ${runs.filter((r) => r.run.code === 0).length} of ${runs.length} one-shot runs healthy; heartbeat write ${writeMs.map((m) => `${m} ms`).join(', ')}; Rpl_semi_sync_master_status ${semi.on ? 'ON' : 'OFF'}`);
    for (const r of runs) expect(r.run.code, describeRun(r.run)).toBe(0);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(semi.on).toBe(false);
  }, 30_000);

  it(`rpl_semi_sync_master_timeout ${MIDDLE_SEMI_SYNC_TIMEOUT_MS} ms, above the write's bound but below (fall - 1) x interval: the daemon (fall ${FALL}) reports write-stalled once, and its track file never says fault`, async () => {
    await pair.a.exec(`SET GLOBAL rpl_semi_sync_master_timeout=${MIDDLE_SEMI_SYNC_TIMEOUT_MS}`);
    const { daemon, track, status } = await startTargetDaemon({ dir, name: 'middle', args: writerArgs(), password: user().password, rise: 1 });
    daemons.push(daemon);
    await waitForTrack(track, 0, 10_000);
    const tracks = recordFile(track);
    const statuses = recordFile(status);
    await withhold();
    await sleep(4 * INTERVAL_MS);
    const seenTracks = tracks.stop().map((x) => x.content);
    const stalls = statuses.stop().filter((x) => x.content?.includes('"write-stalled: ') === true).length;
    const semi = await semiSyncMasterStatus(pair.a);
    measured(`semi-sync without ACK, rpl_semi_sync_master_timeout ${MIDDLE_SEMI_SYNC_TIMEOUT_MS} ms, daemon fall ${FALL}: ${stalls} status file(s) with write-stalled, track file read ${JSON.stringify([...new Set(seenTracks)])} over 4 s; Rpl_semi_sync_master_status ${semi.on ? 'ON' : 'OFF'}`);
    expect(stalls, daemon.describe()).toBe(1);
    expect(new Set(seenTracks)).toEqual(new Set(['0\n']));
    expect(semi.on).toBe(false);
  }, 30_000);
});
