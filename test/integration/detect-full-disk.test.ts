/**
 * A full binlog disk, wired to the real checker (issue 10, "Done when": write stall -> fault
 * within interval + timeout (+ fall)). A mariadbd run as mysql with its binlogs on a small ext4
 * (DiskServer), the writer's check with --heartbeat-table, the disk filled:
 *  - the one-shot as keepalived's vrrp_script runs it, and the daemon's track file, report
 *    `write-stalled` naming "Waiting for someone to free space" in bounded time; each stuck write
 *    is killed (KILL QUERY), so after 10 s of full disk at most 2 check-mysql threads exist, and
 *    once space is freed nothing of ours waits for mysys's next 60 s retry: the next check is
 *    healthy;
 *  - with an application's commit stuck on the full disk too, our write queues behind it (the
 *    server says "Commit", then "Update"), and the writer stays write-stalled after space is
 *    freed until that commit ends (mysys retries every 60 s; here a KILL QUERY wakes it, and it
 *    commits).
 * Every figure is printed on one line ("measured: ...").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { assertCliRuns, codeOf, describeRun, runCheck, type CheckRun } from '../helpers/clients/cli.js';
import { msSince, now, type DaemonProcess } from '../helpers/clients/daemon.js';
import { recordFile, waitForTrack } from '../helpers/clients/daemon-outputs.js';
import { PendingWrite } from '../helpers/clients/pending-write.js';
import { VrrpScript, type ScriptRun } from '../helpers/clients/vrrp-script.js';
import { CHECK, isWriteStalled, MAX_THREADS, reasonsSeen, seconds as s, START_UP_SLACK_MS, startTargetDaemon, TIMER_SLACK_MS } from '../helpers/detection.js';
import { smallFsMissing } from '../helpers/disk/small-fs.js';
import { measured } from '../helpers/measured.js';
import { findBinaries } from '../helpers/servers/binaries.js';
import { newCredentials, type Credentials } from '../helpers/servers/credentials.js';
import { DiskServer } from '../helpers/servers/disk-server.js';
import { grantHeartbeatTo, HEARTBEAT_DB, HEARTBEAT_DDL, HEARTBEAT_TABLE, sampleThreads, threadsOf } from '../helpers/servers/heartbeat.js';
import { describeNeeding } from '../helpers/suite.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const DISK_FULL_STATE = 'Waiting for someone to free space';
const { intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS, fall: FALL } = CHECK;
const FULL_FOR_MS = 10_000;
const SCHEMA = 'f';
/** 64 KiB of row: more than the binlog's last, partly used block can take. */
const BIG_ROW = `INSERT INTO ${SCHEMA}.t (v) VALUES (REPEAT('x', 65536))`;

function missing(): string | undefined {
  const mariadb = findBinaries();
  return typeof mariadb === 'string' ? mariadb : smallFsMissing();
}

const stalled = (r: ScriptRun): boolean => isWriteStalled(r.run);

describeNeeding(missing(), 'a full binlog disk, detected by the heartbeat write', () => {
  let server: DiskServer;
  let check: Credentials;
  let dir: string;
  let scripts: VrrpScript[] = [];
  let daemons: DaemonProcess[] = [];
  const writes: PendingWrite[] = [];

  const args = (): string[] => ['--no-defaults', '-S', server.socket, '-u', check.user, '--heartbeat-table', HEARTBEAT_TABLE, '--vip', '127.0.0.1'];
  const oneShot = (): Promise<CheckRun> => runCheck([...args(), '--timeout', String(TIMEOUT_MS / 1000), '--no-syslog', '--json'], { password: check.password });
  const appWrite = async (): Promise<PendingWrite> => {
    const w = await PendingWrite.start({ socketPath: server.socket, user: 'root', password: '' }, BIG_ROW);
    writes.push(w);
    return w;
  };

  /**
   * Fills the file system, then makes sure the binlog's last block is used up too: a 64 KiB
   * commit takes what is left of it and waits for space, and is killed (nothing committed). Our
   * small heartbeat write could otherwise still fit there a few times. Resolves when the disk is
   * full for every binlog write.
   */
  async function fillDisk(): Promise<void> {
    await server.fs.fill();
    const plug = await appWrite();
    expect(await plug.within(500)).toBeUndefined();
    expect(await plug.state(server)).toBe(DISK_FULL_STATE);
    await server.sql(`KILL QUERY ${plug.threadId}`);
    expect(await plug.within(5_000)).toMatchObject({ ok: false, errno: 3 });
  }

  beforeAll(async () => {
    await assertCliRuns();
    dir = await makeTempDir();
    // Row events: the row itself is in the binlog (faults-full-disk.test.ts).
    server = await DiskServer.startOnSmallFs({ serverId: 1, on: 'binlog', extraArgs: ['--binlog-format=ROW', '--max-allowed-packet=16M'] });
    check = newCredentials('check');
    await server.exec(
      'SET SESSION sql_log_bin=0',
      `CREATE USER '${check.user}'@'localhost' IDENTIFIED BY '${check.password}'`,
      `GRANT SLAVE MONITOR ON *.* TO '${check.user}'@'localhost'`,
      'SET SESSION sql_log_bin=1',
      `CREATE DATABASE ${HEARTBEAT_DB}`, HEARTBEAT_DDL,
      `CREATE DATABASE ${SCHEMA}`, `CREATE TABLE ${SCHEMA}.t (id INT AUTO_INCREMENT PRIMARY KEY, v LONGBLOB) ENGINE=InnoDB`,
    );
    await grantHeartbeatTo(server, [`'${check.user}'@'localhost'`]);
  });

  afterEach(async () => {
    await Promise.all([...scripts.map((x) => x.stop()), ...daemons.map((d) => d.kill())]);
    scripts = [];
    daemons = [];
    for (const w of writes.splice(0)) {
      if (!w.outcome) await server.sql(`KILL CONNECTION ${w.threadId}`).catch(() => undefined);
      w.close();
    }
    await server.fs.free();
  });

  afterAll(async () => {
    await server?.cleanup();
    if (dir) await removeTempDir(dir);
  });

  it('one-shot every second: write-stalled naming the full disk within interval + timeout, at most 2 of our threads after 10 s, healthy at the next check once space is freed', async () => {
    const script = VrrpScript.start(oneShot, INTERVAL_MS);
    scripts.push(script);
    await script.waitFor('a healthy writer', (r) => r.run.code === 0);

    const gate = await script.hold();
    await fillDisk();
    const t0 = now();
    gate.release();
    const threads = sampleThreads(server, check.user);
    const detected = await script.waitFor('write-stalled', stalled, { since: t0, timeoutMs: 5_000 });
    await sleep(Math.max(0, FULL_FOR_MS - msSince(t0)));
    const peak = await threads.stop();
    const runs = script.between(t0, now());
    const reason = detected.run.json?.reasons[0] ?? '';
    measured(`full binlog disk, one-shot every ${INTERVAL_MS / 1000} s (--timeout ${TIMEOUT_MS / 1000}): the first run after the disk filled started ${s(detected.startedAt - t0)} s later and exited 1 at ${s(detected.endedAt - t0)} s (bound interval + timeout = ${s(INTERVAL_MS + TIMEOUT_MS)} s, plus Node's start-up): "${reason}"`);
    measured(`full binlog disk, one-shot: ${runs.length} runs in ${FULL_FOR_MS / 1000} s, all write-stalled: ${runs.every(stalled)}; peak ${peak} check-mysql threads on the server (at most ${MAX_THREADS})`);
    expect(reason, describeRun(detected.run)).toMatch(new RegExp(`did not commit within \\d+ ms; the server says: ${DISK_FULL_STATE}; killed \\(KILL QUERY\\)$`));
    expect(detected.endedAt - t0).toBeLessThan(INTERVAL_MS + TIMEOUT_MS + START_UP_SLACK_MS + TIMER_SLACK_MS);
    for (const r of runs) expect(r.run.json?.reasons.map(codeOf), describeRun(r.run)).toEqual(['write-stalled']);
    expect(peak).toBeLessThanOrEqual(MAX_THREADS);

    // Space comes back: nothing of ours waits for mysys's retry (60 s), so the next write commits.
    await script.hold().then((g) => server.fs.free().then(() => g.release()));
    const freed = now();
    const back = await script.waitFor('a healthy writer after freeing space', (r) => r.run.code === 0, { since: freed, timeoutMs: 5_000 });
    measured(`full binlog disk freed: the next run (started ${s(back.startedAt - freed)} s later) was healthy, exit 0 at ${s(back.endedAt - freed)} s: our stuck writes were killed, none waited for mysys's 60 s retry`);
    expect(back.startedAt - freed).toBeLessThan(INTERVAL_MS + TIMER_SLACK_MS);
  }, 60_000);

  it("one-shot, an application's commit stuck on the full disk too: ours queues behind it (Commit, then Update), one of our threads left between runs, and stays stalled after space is freed until that commit ends", async () => {
    const script = VrrpScript.start(oneShot, INTERVAL_MS);
    scripts.push(script);
    await script.waitFor('a healthy writer', (r) => r.run.code === 0);

    const gate = await script.hold();
    await server.fs.fill();
    const app = await appWrite();
    expect(await app.within(500)).toBeUndefined();
    expect(await app.state(server)).toBe(DISK_FULL_STATE);
    const t0 = now();
    gate.release();
    const threads = sampleThreads(server, check.user);
    await script.waitFor('three runs', () => script.between(t0).length >= 3, { timeoutMs: 10_000 });
    const full = script.between(t0);
    const states = [...new Set(full.map((r) => /the server says: ([^;]*);/.exec(r.run.json?.reasons[0] ?? '')?.[1] ?? r.run.json?.reasons[0] ?? ''))];
    measured(`full binlog disk with an application commit stuck on it: our runs were write-stalled ${full.every(stalled)}, the server saying ${states.map((x) => `"${x}"`).join(', ')}; first exit 1 at ${s((full[0] as ScriptRun).endedAt - t0)} s`);
    for (const r of full) expect(stalled(r), describeRun(r.run)).toBe(true);

    const gate2 = await script.hold();
    await server.fs.free();
    const freed = now();
    gate2.release();
    await sleep(3 * INTERVAL_MS);
    const afterFree = script.between(freed);
    const peak = await threads.stop();
    const between = await script.hold().then(async (g) => {
      const seen = await threadsOf(server, check.user);
      g.release();
      return seen;
    });
    measured(`space freed under the stuck application commit: ${afterFree.filter(stalled).length} of ${afterFree.length} runs in the next 3 s still write-stalled (the commit waits for mysys's next 60 s retry, ours behind it); check-mysql threads: ${between.count} between runs (${between.states.join(', ')}), ${peak} at the peak, during a run`);
    expect(afterFree.length).toBeGreaterThanOrEqual(2);
    for (const r of afterFree) expect(stalled(r), describeRun(r.run)).toBe(true);
    expect(app.outcome).toBeUndefined();
    // Left between runs: only our write killed while queued behind the stuck commit (KILL cannot
    // end a commit in progress). During a run, that run's connection and its side connection too.
    expect(between.count).toBeLessThanOrEqual(MAX_THREADS);
    expect(peak).toBeLessThanOrEqual(between.count + 2);

    // The application's commit ends: KILL QUERY wakes it from mysys's sleep, and with the space
    // back its write goes through: it commits, it is not refused. Then ours commits too.
    await server.sql(`KILL QUERY ${app.threadId}`);
    const killed = now();
    const outcome = await app.within(5_000);
    const back = await script.waitFor('a healthy writer after the stuck commit ended', (r) => r.run.code === 0, { since: killed, timeoutMs: 5_000 });
    measured(`the stuck application commit, KILL QUERY after space was freed: ${outcome?.ok ? `committed (OK ${outcome.ms} ms after it was sent)` : `refused: ${JSON.stringify(outcome)}`}; the writer healthy again at ${s(back.endedAt - killed)} s`);
    expect(outcome).toMatchObject({ ok: true });
    expect(Number((await server.sql(`SELECT COUNT(*) AS n FROM ${SCHEMA}.t`))[0]?.n)).toBe(1);
  }, 60_000);

  it(`daemon (interval 1 s, timeout 0.8 s, fall ${FALL}): the track file says fault within fall x (interval + timeout), the reason names the full disk, at most 2 of our threads after 10 s; healthy again once space is freed`, async () => {
    const { daemon, track, status } = await startTargetDaemon({ dir, name: 'writer', args: args(), password: check.password, rise: 1 });
    daemons.push(daemon);
    await waitForTrack(track, 0, 10_000);
    await sleep(1_500);

    const statuses = recordFile(status);
    const t0 = now();
    await fillDisk();
    const threads = sampleThreads(server, check.user);
    const fault = await waitForTrack(track, 1, 10_000);
    await sleep(Math.max(0, FULL_FOR_MS - msSince(t0)));
    const peak = await threads.stop();
    const reasons = reasonsSeen(statuses.stop());
    const ms = msSince(t0, fault.at);
    const bound = FALL * (INTERVAL_MS + TIMEOUT_MS);
    const named = reasons.find((r) => r.includes(DISK_FULL_STATE));
    measured(`full binlog disk, daemon (interval 1 s, timeout 0.8 s, fall ${FALL}): track file 1 after ${s(ms)} s from the start of the fill (bound fall x (interval + timeout) = ${s(bound)} s); peak ${peak} check-mysql threads over ${FULL_FOR_MS / 1000} s; a reason seen: "${named ?? reasons[0] ?? '(none)'}"`);
    expect(ms, daemon.describe()).toBeLessThan(bound + TIMER_SLACK_MS);
    expect(named, reasons.join('\n')).toBeDefined();
    expect(new Set(reasons.map(codeOf))).toEqual(new Set(['write-stalled']));
    expect(peak, daemon.describe()).toBeLessThanOrEqual(MAX_THREADS);

    await server.fs.free();
    const freed = now();
    const healthy = await waitForTrack(track, 0, 10_000);
    measured(`full binlog disk freed (daemon, rise 1): track file 0 after ${s(msSince(freed, healthy.at))} s`);
    expect(msSince(freed, healthy.at)).toBeLessThan(2 * INTERVAL_MS + TIMEOUT_MS + TIMER_SLACK_MS);
  }, 60_000);
});
