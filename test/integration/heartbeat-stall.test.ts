// The heartbeat write against a real writer whose commits hang: a root connection held open with
// FLUSH TABLES WITH READ LOCK, as a stuck backup leaves it. read_only stays OFF and SELECTs
// answer, so only the write can tell. The one-shot (as keepalived runs it, once a second) and the
// daemon must report write-stalled naming the wait, in bounded time, and must not pile threads
// up inside mysqld: after 10 s of the lock, at most 2 of the check user's threads exist.
// Figures are printed, measured from the moment the lock was granted.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { assertCliRuns, codeOf, describeRun, runCheck, type CheckRun } from '../helpers/clients/cli.js';
import { DaemonProcess, msSince, now } from '../helpers/clients/daemon.js';
import { readStatus, waitForContent, waitForTrack } from '../helpers/clients/daemon-outputs.js';
import { figureLog } from '../helpers/figures.js';
import { freePort } from '../helpers/ports.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { createHeartbeatTable, HEARTBEAT_TABLE, holdGlobalReadLock, threadsOf } from '../helpers/servers/heartbeat.js';
import { startPair, waitForReplication, type Pair } from '../helpers/servers/pair.js';
import { describeWithMariadb } from '../helpers/suite.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/** The figure: no more of our threads than this after 10 s of a held lock. */
const MAX_THREADS = 2;
const LOCK_HELD_MS = 10_000;
/** Timers firing late and our 1 ms file poll on a shared 2-core machine, on top of a bound made of timers. */
const TIMER_SLACK_MS = 250;
/** Node's start-up and the bundle's load, which come on top of --timeout for a one-shot. */
const START_UP_SLACK_MS = 400;
/** MariaDB 10.4+ shows FTWRL as the backup lock, MySQL as the global read lock. */
const READ_LOCK_WAIT = /the server says: Waiting for (backup|global read) lock/;

const { report, printAll } = figureLog('heartbeat-stall');

describeWithMariadb('the heartbeat write on a writer under a held global read lock', () => {
  let pair: Pair;
  let dir: string;
  let lock: { release(): Promise<void> } | undefined;
  let daemons: DaemonProcess[] = [];

  beforeAll(async () => {
    await assertCliRuns();
    if (!existsSync(join(REPO_ROOT, 'dist', 'daemon.cjs'))) throw new Error('dist/daemon.cjs is missing: run npm run build');
    [pair, dir] = await Promise.all([startPair(), makeTempDir()]);
    await createHeartbeatTable(pair);
  });

  afterEach(async () => {
    await lock?.release();
    lock = undefined;
    await Promise.all(daemons.map((d) => d.kill()));
    daemons = [];
  });

  afterAll(async () => {
    await lock?.release();
    await Promise.all(daemons.map((d) => d.kill()));
    await pair?.cleanup();
    if (dir) await removeTempDir(dir);
    printAll();
  });

  const connection = (): string[] => ['--no-defaults', '-h', '127.0.0.1', '-P', String(pair.a.port), '-u', pair.check.user, '--heartbeat-table', HEARTBEAT_TABLE];
  /** The writer as keepalived checks it: it holds the VIP (127.0.0.1 is always local). */
  const checkWriter = (): Promise<CheckRun> => runCheck([...connection(), '--vip', '127.0.0.1', '--no-syslog', '--json'], { password: pair.check.password });

  /** The largest count of the check user's threads seen while `during` runs, sampled every 50 ms. */
  async function peakThreads<T>(during: Promise<T>): Promise<{ result: T; peak: number }> {
    let done = false;
    let peak = 0;
    const sampler = (async () => {
      while (!done) {
        peak = Math.max(peak, (await threadsOf(pair.a, pair.check.user)).count);
        await sleep(50);
      }
    })();
    try {
      return { result: await during, peak };
    } finally {
      done = true;
      await sampler;
    }
  }

  it('a writer that can commit writes its row, in pt-heartbeat\'s format, and it replicates', async () => {
    const run = await checkWriter();
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.json?.checks.find((c) => c.name === 'heartbeat_write')).toMatchObject({ ok: true });
    await waitForReplication(pair);
    const [row] = await pair.b.sql(`SELECT ts, TIMESTAMPDIFF(MICROSECOND, ts, UTC_TIMESTAMP(6)) / 1e6 AS age FROM ${HEARTBEAT_TABLE} WHERE server_id = 1`);
    expect(String(row?.ts)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(Number(row?.age)).toBeGreaterThanOrEqual(0);
    expect(Number(row?.age)).toBeLessThan(5);
  });

  it('one-shot, once a second for 10 s of the lock: every run is write-stalled naming the wait, within --timeout, and at most 2 of our threads are ever on the server', async () => {
    lock = await holdGlobalReadLock(pair.a);
    const t0 = now();
    const runs: { startMs: number; run: CheckRun }[] = [];
    // As keepalived's vrrp_script with interval 1: a run each second, none while one is running.
    const keepalived = (async () => {
      for (let next = 0; msSince(t0) < LOCK_HELD_MS; next += 1000) {
        await sleep(Math.max(0, next - msSince(t0)));
        const startMs = msSince(t0);
        runs.push({ startMs, run: await checkWriter() });
      }
    })();
    const { peak } = await peakThreads(keepalived);
    const after = await threadsOf(pair.a, pair.check.user);

    const first = runs[0]!;
    const walls = runs.map((r) => Math.round(r.run.wallMs));
    const reason = first.run.json?.reasons[0] ?? '';
    report(`one-shot under FTWRL: write-stalled reported ${Math.round(first.startMs + first.run.wallMs)} ms after the lock (run wall time ${walls.join(', ')} ms; --timeout 0.8 s)`);
    report(`one-shot under FTWRL: ${runs.length} runs in ${LOCK_HELD_MS / 1000} s; peak ${peak} check-mysql threads, ${after.count} after 10 s (${after.states.join(', ') || 'none'})`);
    report(`one-shot reason: ${reason}`);
    for (const { run } of runs) {
      expect(run.code, describeRun(run)).toBe(1);
      expect(run.json?.reasons.map(codeOf), describeRun(run)).toEqual(['write-stalled']);
      expect(run.json?.reasons[0], describeRun(run)).toMatch(READ_LOCK_WAIT);
      expect(run.json?.reasons[0], describeRun(run)).toMatch(/killed \(KILL QUERY\)$/);
      // The reads were not lost to the stalled write.
      expect(run.json?.checks.find((c) => c.name === 'read_only')).toMatchObject({ ok: true });
      expect(run.json!.elapsedMs, describeRun(run)).toBeLessThanOrEqual(800);
      expect(run.wallMs, describeRun(run)).toBeLessThan(800 + START_UP_SLACK_MS);
    }
    expect(runs.length).toBeGreaterThanOrEqual(9);
    expect(peak).toBeLessThanOrEqual(MAX_THREADS);
    expect(after.count).toBeLessThanOrEqual(MAX_THREADS);

    await lock.release();
    lock = undefined;
    const healthy = await checkWriter();
    expect(healthy.code, describeRun(healthy)).toBe(0);
  });

  it("a read lock on the standby holds our replicated write back but never breaks replication: the write's bounds are the writer's only", async () => {
    // Under MIXED logging the bounded write is binlogged as `SET STATEMENT lock_wait_timeout = 1, ... FOR INSERT`.
    const standbyLock = await holdGlobalReadLock(pair.b);
    try {
      for (let i = 0; i < 3; i++) {
        const run = await checkWriter();
        expect(run.code, describeRun(run)).toBe(0);
        await sleep(1_000);
      }
      const [held] = await pair.b.slaveStatus();
      report(`standby under FTWRL for 3 s of writes: SQL thread ${String(held?.Slave_SQL_Running)}, state '${String(held?.Slave_SQL_Running_State)}', Last_SQL_Errno ${String(held?.Last_SQL_Errno)}`);
      expect(held).toMatchObject({ Slave_SQL_Running: 'Yes', Last_SQL_Errno: 0 });
    } finally {
      await standbyLock.release();
    }
    await waitForReplication(pair);
    const [after] = await pair.b.slaveStatus();
    expect(after).toMatchObject({ Slave_SQL_Running: 'Yes', Last_SQL_Errno: 0 });
    expect(Number((await pair.b.sql("SHOW GLOBAL STATUS LIKE 'Slave_retried_transactions'"))[0]?.Value)).toBe(0);
  });

  async function writerDaemon(fall: number): Promise<{ daemon: DaemonProcess; track: string; status: string }> {
    const n = daemons.length + 1;
    const track = join(dir, `a-${n}.track`);
    const status = join(dir, `a-${n}.status.json`);
    const daemon = await DaemonProcess.start({
      marker: dir,
      password: pair.check.password,
      args: [...connection(), '--vip', '127.0.0.1', '--interval', '1', '--timeout', '0.8', '--rise', '1', '--fall', String(fall), '--track-file', track, '--status-file', status, '--listen', `127.0.0.1:${await freePort()}`],
    });
    daemons.push(daemon);
    await waitForTrack(track, 0);
    return { daemon, track, status };
  }

  it.each([1, 2])('daemon, fall %i: the track file says fault within fall x (interval + timeout) of the lock, the reason names the wait, and at most 2 of our threads after 10 s', async (fall) => {
    const { daemon, track, status } = await writerDaemon(fall);
    // A few good checks on the held connection first.
    await sleep(1_500);
    lock = await holdGlobalReadLock(pair.a);
    const t0 = now();
    const { result: flipped, peak } = await peakThreads(
      (async () => {
        const seen = await waitForTrack(track, 1, 10_000);
        await sleep(Math.max(0, LOCK_HELD_MS - msSince(t0)));
        return seen;
      })(),
    );
    const after = await threadsOf(pair.a, pair.check.user);
    const ms = msSince(t0, flipped.at);
    const bound = fall * (1000 + 800);
    await waitForContent(status, (c) => c?.includes('"healthy":false') === true, 'the status file to show the fault', 1_000);
    const reasons = (readStatus(status)?.reasons as string[] | undefined) ?? [];
    report(`daemon under FTWRL (interval 1 s, timeout 0.8 s, fall ${fall}): track file 1 after ${ms} ms (bound ${bound} ms + ${TIMER_SLACK_MS} ms slack); peak ${peak} threads, ${after.count} after 10 s`);
    report(`daemon reason: ${reasons[0] ?? '(none)'}`);
    expect(ms, daemon.describe()).toBeLessThan(bound + TIMER_SLACK_MS);
    expect(reasons.map(codeOf), daemon.describe()).toEqual(['write-stalled']);
    expect(reasons[0]).toMatch(/^write-stalled: the heartbeat write to `heartbeat`.`heartbeat` (did not commit within \d+ ms; the server says: Waiting for|was not sent: the previous one)/);
    expect(peak, daemon.describe()).toBeLessThanOrEqual(MAX_THREADS);
    expect(after.count, daemon.describe()).toBeLessThanOrEqual(MAX_THREADS);

    // The lock goes: the next good check makes it healthy again (rise 1).
    await lock.release();
    lock = undefined;
    const back = waitForTrack(track, 0, 5_000);
    const t1 = now();
    report(`daemon (fall ${fall}): healthy again ${msSince(t1, (await back).at)} ms after UNLOCK TABLES`);
  });
});
