// The resident daemon (bin/check-mysql daemon) against a real writer/standby pair: how fast a
// killed or hung mysqld reaches the track file keepalived reads, how rise holds back recovery,
// whether scrapes stay fast while mysqld hangs, and what reload and shutdown do to the files.
// Every figure the issue bounds is measured from the event (kill, SIGSTOP, signal) as seen by
// this process and printed, so a slow machine shows up as a number rather than a mystery.
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertCliRuns, describeRun, runCheck } from '../helpers/clients/cli.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { DaemonProcess, msSince, now } from '../helpers/clients/daemon.js';
import { httpGet, readOrUndefined, readStatus, recordFile, summarize, waitForContent, waitForTrack, type HttpAnswer, type Seen } from '../helpers/clients/daemon-outputs.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import type { Server } from '../helpers/servers/server.js';
import { startPair, type Pair } from '../helpers/servers/pair.js';
import { waitForThreads } from '../helpers/servers/replication.js';
import { freePort } from '../helpers/ports.js';
import { describeWithMariadb } from '../helpers/suite.js';

/** The bound for a killed mysqld and for a scrape, not to be widened. */
const KILL_BOUND_MS = 50;
const SCRAPE_BOUND_MS = 50;
/** src/daemon/monitor.ts CONFIRM_FAILURE_MS: an unreachable server is re-checked this soon. */
const CONFIRM_MS = 10;
/**
 * Room, on top of interval + fall × (timeout + confirmation), for timers firing late, the
 * atomic rename and our 1 ms poll on a shared 2-core machine. Only the SIGSTOP bound gets it:
 * that bound is a sum of timers, so lateness adds up; the 50 ms bounds have none.
 */
const TIMER_SLACK_MS = 150;
/** SIGTERM to exit, as systemd sees it. */
const STOP_BOUND_MS = 1000;

const figures: string[] = [];
function report(line: string): void {
  figures.push(line);
  console.log(`[daemon-detection] ${line}`);
}

/** The status file's reasons once it shows the fault (it is renamed into place just after the track file). */
async function faultReasons(status: string): Promise<string> {
  await waitForContent(status, (c) => c?.includes('"healthy":false') === true, 'the status file to show the fault', 1_000);
  return ((readStatus(status)?.reasons as string[] | undefined) ?? []).join('\n');
}

describeWithMariadb('check-mysql daemon against a real writer/standby pair', () => {
  let pair: Pair;
  let dir: string;
  let daemons: DaemonProcess[] = [];
  let files = 0;

  beforeAll(async () => {
    await assertCliRuns();
    const bundle = join(REPO_ROOT, 'dist', 'daemon.cjs');
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build`);
    [pair, dir] = await Promise.all([startPair(), makeTempDir()]);
  });

  /** A test may leave mysqld stopped or killed; the next one starts from a healthy pair. */
  async function restore(server: Server): Promise<void> {
    if (server.running) server.kill('SIGCONT');
    else await server.restart();
  }

  afterEach(async () => {
    await Promise.all(daemons.map((d) => d.kill()));
    daemons = [];
    if (!pair) return;
    const wasDown = !pair.a.running || !pair.b.running;
    await Promise.all([restore(pair.a), restore(pair.b)]);
    if (wasDown) await Promise.all([waitForThreads(pair.a), waitForThreads(pair.b)]);
  });

  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.kill()));
    await pair?.cleanup();
    if (dir) await removeTempDir(dir);
    if (figures.length > 0) console.log(`[daemon-detection] figures:\n  ${figures.join('\n  ')}`);
  });

  interface Files {
    track: string;
    status: string;
  }

  function newFiles(name: string): Files {
    const n = ++files;
    return { track: join(dir, `${name}-${n}.track`), status: join(dir, `${name}-${n}.status.json`) };
  }

  interface Running extends Files {
    daemon: DaemonProcess;
    port: number;
  }

  /** One target from flags, as in a systemd unit: password in MYSQL_PWD. */
  async function daemonFor(server: Server, flags: string[]): Promise<Running> {
    const f = newFiles(`s${server.serverId}`);
    const port = await freePort();
    const daemon = await DaemonProcess.start({
      marker: dir,
      password: pair.check.password,
      args: [
        '--no-defaults', '-h', '127.0.0.1', '-P', String(server.port), '-u', pair.check.user,
        '--track-file', f.track, '--status-file', f.status, '--listen', `127.0.0.1:${port}`, ...flags,
      ],
    });
    daemons.push(daemon);
    return { ...f, daemon, port };
  }

  interface TargetSpec extends Files {
    name: string;
    port: number;
    labels?: Record<string, string>;
    extra?: string[];
  }

  function target(name: string, port: number, labels?: Record<string, string>): TargetSpec {
    return { name, port, ...newFiles(name), ...(labels && { labels }) };
  }

  /** A [daemon]/[target NAME] config file, mode 0600 (it holds the password). */
  function writeConfig(path: string, listen: number, daemonKeys: Record<string, string>, targets: TargetSpec[]): void {
    const lines = ['[daemon]', `listen = 127.0.0.1:${listen}`, ...Object.entries(daemonKeys).map(([k, v]) => `${k} = ${v}`)];
    for (const t of targets) {
      lines.push(
        '',
        `[target ${t.name}]`,
        'host = 127.0.0.1',
        `port = ${t.port}`,
        `user = ${pair.check.user}`,
        `password = ${pair.check.password}`,
        `track-file = ${t.track}`,
        `status-file = ${t.status}`,
        ...Object.entries(t.labels ?? {}).map(([k, v]) => `label.${k} = ${v}`),
        ...(t.extra ?? []),
      );
    }
    writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
  }

  async function daemonWithConfig(config: string): Promise<DaemonProcess> {
    const daemon = await DaemonProcess.start({ marker: dir, args: ['--config', config] });
    daemons.push(daemon);
    return daemon;
  }

  /** A loopback port nothing listens on: connect is refused at once. */
  const deadPort = (): Promise<number> => freePort();

  describe('a killed mysqld (kill -9)', () => {
    it('flips the track file to 1 within 50 ms of the kill', async () => {
      const { daemon, track, status } = await daemonFor(pair.a, ['--interval', '1', '--rise', '1', '--fall', '2']);
      await waitForTrack(track, 0);
      // The held connection is open once the first check has passed.
      await waitForContent(status, (c) => c?.includes('"consecutiveOk":1') === true, 'a first good check');

      const flipped = waitForTrack(track, 1, 5_000);
      const t0 = now();
      pair.a.kill('SIGKILL');
      const ms = msSince(t0, (await flipped).at);

      report(`kill -9 mysqld -> track file 1 (fall 2): ${ms} ms`);
      expect(ms, daemon.describe()).toBeLessThan(KILL_BOUND_MS);
      expect(await faultReasons(status)).toMatch(/^refused: /m);
    });

    it('becomes healthy again only after rise good checks once mysqld is restarted', async () => {
      const interval = 1000;
      const rise = 3;
      const { daemon, track, status } = await daemonFor(pair.a, ['--interval', String(interval / 1000), '--rise', String(rise), '--fall', '2']);
      await waitForTrack(track, 0, (rise + 2) * interval);
      pair.a.kill('SIGKILL');
      await waitForTrack(track, 1, 1_000);
      await pair.a.exit();

      const firstGood = waitForContent(status, (c) => c?.includes('"lastCheckHealthy":true') === true, 'the first good check after the restart', 30_000);
      const healthy = waitForTrack(track, 0, 30_000);
      const t0 = now();
      await pair.a.restart();
      const ready = now();
      const [good, back] = await Promise.all([firstGood, healthy]);

      // The status file is renamed into place just after the track file.
      await waitForContent(status, (c) => c?.includes('"healthy":true') === true, 'the status file to say healthy', 1_000);
      const final = readStatus(status);
      expect(final).toMatchObject({ healthy: true, consecutiveOk: rise });
      // The daemon's own clock: end of the first good check -> the verdict changing.
      const firstGoodAt = Date.parse(String((JSON.parse(good.content ?? '{}') as { lastCheck?: string }).lastCheck));
      const daemonMs = Date.parse(String(final?.lastChange)) - firstGoodAt;
      const seenMs = msSince(good.at, back.at);
      report(`restart: mysqld accepting after ${msSince(t0, ready)} ms; track 0 ${msSince(ready, back.at)} ms later; first good check -> healthy: ${daemonMs} ms by the daemon's clock, ${seenMs} ms as seen here (rise ${rise}, interval ${interval} ms)`);
      // rise - 1 more checks, one per slot of the grid (src/daemon/check-grid.ts): the verdict waits
      // for them. Slots are an interval apart start to start; these times are the checks' ends, and
      // the first good check also connected, so it may end up to its connect time later in its slot...
      expect(daemonMs, daemon.describe()).toBeGreaterThanOrEqual((rise - 1) * interval - 50);
      // ...and no longer than those intervals plus the checks themselves.
      expect(seenMs, daemon.describe()).toBeLessThan((rise - 1) * interval + 250);
      expect(msSince(ready, back.at), daemon.describe()).toBeLessThan(rise * interval + 250);
    });
  });

  it('a hung mysqld (SIGSTOP) flips the track file within interval + fall x (timeout + confirmation)', async () => {
    const interval = 1000;
    const timeout = 500;
    const flags = ['--interval', String(interval / 1000), '--timeout', String(timeout / 1000), '--rise', '1'];
    // Two daemons on the same server, one SIGSTOP: fall 1 and fall 2 measured together.
    const [one, two] = await Promise.all([daemonFor(pair.a, [...flags, '--fall', '1']), daemonFor(pair.a, [...flags, '--fall', '2'])]);
    await Promise.all([waitForTrack(one.track, 0), waitForTrack(two.track, 0)]);

    const flips = [waitForTrack(one.track, 1, 5_000), waitForTrack(two.track, 1, 5_000)];
    const t0 = now();
    pair.a.kill('SIGSTOP');
    let seen: Seen[];
    try {
      seen = await Promise.all(flips);
    } finally {
      pair.a.kill('SIGCONT');
    }

    for (const [fall, run, s] of [[1, one, seen[0]], [2, two, seen[1]]] as const) {
      const ms = msSince(t0, (s as Seen).at);
      const bound = interval + fall * (timeout + CONFIRM_MS);
      report(`SIGSTOP mysqld -> track file 1 (interval 1 s, timeout 0.5 s, fall ${fall}): ${ms} ms (bound ${bound} ms + ${TIMER_SLACK_MS} ms timer slack)`);
      // Never before fall timeouts have run out: the hang is detected by the deadline, not by luck.
      expect(ms, run.daemon.describe()).toBeGreaterThanOrEqual(fall * timeout - 5);
      expect(ms, run.daemon.describe()).toBeLessThan(bound + TIMER_SLACK_MS);
      expect(await faultReasons(run.status)).toMatch(/^timeout: /m);
    }
  });

  it('/metrics and /health answer within 50 ms while mysqld hangs, and /health says 503 timeout once fall is reached', async () => {
    const { daemon, track, port } = await daemonFor(pair.a, ['--interval', '1', '--timeout', '0.5', '--rise', '1', '--fall', '1']);
    await waitForTrack(track, 0);
    // Warm up: the first request pays for lazy loading on both sides.
    expect((await httpGet(port, '/metrics')).status).toBe(200);
    expect((await httpGet(port, '/health')).status).toBe(200);

    const metrics: HttpAnswer[] = [];
    const health: HttpAnswer[] = [];
    let fault: HttpAnswer | undefined;
    pair.a.kill('SIGSTOP');
    try {
      // ~2.2 s: covers checks hanging in their query and reconnects hanging in the handshake.
      for (let i = 0; i < 20; i++) {
        metrics.push(await httpGet(port, '/metrics'));
        const h = await httpGet(port, '/health');
        health.push(h);
        if (h.status === 503) fault ??= h;
        await sleep(100);
      }
      for (let i = 0; !fault && i < 40; i++) {
        const h = await httpGet(port, '/health');
        if (h.status === 503) fault = h;
        else await sleep(50);
      }
    } finally {
      pair.a.kill('SIGCONT');
    }

    const m = summarize(metrics.map((a) => a.ms));
    const h = summarize(health.map((a) => a.ms));
    report(`scrapes while mysqld is SIGSTOPped: /metrics n=${m.n} p50 ${m.p50} ms max ${m.max} ms; /health n=${h.n} p50 ${h.p50} ms max ${h.max} ms`);
    expect(metrics.every((a) => a.status === 200)).toBe(true);
    expect(metrics[0]?.body).toMatch(/^check_mysql_/m);
    expect(m.max, daemon.describe()).toBeLessThan(SCRAPE_BOUND_MS);
    expect(h.max, daemon.describe()).toBeLessThan(SCRAPE_BOUND_MS);
    expect(fault, `no 503 from /health\n${daemon.describe()}`).toBeDefined();
    expect(fault?.body).toMatch(/^unhealthy: default .*timeout: /m);
  });

  describe('reload (SIGHUP)', () => {
    it('a good reload adds a target and relabels another without the first track file flapping', async () => {
      const config = join(dir, 'reload.cnf');
      const listen = await freePort();
      const keys = { interval: '0.5', rise: '2', fall: '2' };
      const writer = target('writer', pair.a.port, { site: 'east' });
      writeConfig(config, listen, keys, [writer]);
      const daemon = await daemonWithConfig(config);
      await waitForTrack(writer.track, 0);
      expect((await httpGet(listen, '/metrics')).body).toMatch(/\{[^}]*site="east"/);

      const writerSeen = recordFile(writer.track);
      const mark = daemon.lines.length;
      const standby = target('standby', pair.b.port);
      writeConfig(config, listen, keys, [{ ...writer, labels: { site: 'west' } }, standby]);
      daemon.signal('SIGHUP');
      await daemon.waitForLog('the reload', (l) => l.msg.startsWith('config reloaded'), 5_000, mark);
      await waitForTrack(standby.track, 0, 5_000);
      // A few more checks of the relabelled target under its new monitor.
      await sleep(1_200);
      const seen = writerSeen.stop();

      expect(seen.map((s) => s.content), daemon.describe()).toEqual(['0\n']);
      expect(daemon.transitions(mark).filter((l) => l.target === 'writer'), daemon.describe()).toEqual([]);
      const scrape = (await httpGet(listen, '/metrics')).body;
      expect(scrape).toMatch(/\{[^}]*target="writer"[^}]*site="west"|\{[^}]*site="west"[^}]*target="writer"/);
      expect(scrape).not.toMatch(/site="east"/);
      expect(scrape).toMatch(/target="standby"/);
      expect((await httpGet(listen, '/health/standby')).status).toBe(200);
    });

    it.each([
      ['a syntax error', ['[target writer]', 'password = "unterminated']],
      ['an unknown key', ['[target writer]', 'colour = blue']],
    ])('a reload with %s keeps the running config and logs "reload failed"', async (_what, bad) => {
      const config = join(dir, `bad-reload-${++files}.cnf`);
      const listen = await freePort();
      const keys = { interval: '0.5', rise: '1', fall: '2' };
      const writer = target('writer', pair.a.port);
      const standby = target('standby', pair.b.port);
      writeConfig(config, listen, keys, [writer, standby]);
      const daemon = await daemonWithConfig(config);
      await Promise.all([waitForTrack(writer.track, 0), waitForTrack(standby.track, 0)]);

      const seen = [recordFile(writer.track), recordFile(standby.track)];
      const mark = daemon.lines.length;
      writeFileSync(config, `[daemon]\nlisten = 127.0.0.1:${listen}\n${bad.join('\n')}\n`, { mode: 0o600 });
      daemon.signal('SIGHUP');
      const failed = await daemon.waitForLog('"reload failed"', (l) => l.msg.includes('reload failed'), 5_000, mark);
      await sleep(1_100);

      expect(failed.level).toBe('error');
      expect(failed.msg).toContain(config);
      expect(daemon.lines.slice(mark).some((l) => l.msg.startsWith('config reloaded'))).toBe(false);
      expect(daemon.running).toBe(true);
      expect(seen.map((r) => r.stop().map((s) => s.content))).toEqual([['0\n'], ['0\n']]);
      for (const name of ['writer', 'standby']) expect((await httpGet(listen, `/health/${name}`)).status, name).toBe(200);
      expect(readStatus(writer.status)?.pid).toBe(daemon.pid);
      // Still checking: the status file keeps being rewritten.
      const before = readStatus(writer.status)?.lastCheck;
      await waitForContent(writer.status, (c) => c !== undefined && !c.includes(`"lastCheck":"${String(before)}"`), 'the next check after the failed reload', 2_000);
    });
  });

  it('with several targets, killing one mysqld flips only its track file and logs only its transition', async () => {
    const config = join(dir, 'multi.cnf');
    const listen = await freePort();
    const writer = target('writer', pair.a.port);
    const standby = target('standby', pair.b.port);
    const gone = target('gone', await deadPort());
    writeConfig(config, listen, { interval: '0.5', rise: '1', fall: '2' }, [writer, standby, gone]);
    const daemon = await daemonWithConfig(config);
    await Promise.all([waitForTrack(writer.track, 0), waitForTrack(standby.track, 0)]);
    // The first verdict of each target is logged too: wait for all three before marking the log.
    for (const name of ['writer', 'standby', 'gone']) await daemon.waitForLog(`the first verdict on ${name}`, (l) => l.target === name && typeof l.healthy === 'boolean');
    expect(readOrUndefined(gone.track)).toBe('1\n');

    const others = [recordFile(standby.track), recordFile(gone.track)];
    const mark = daemon.lines.length;
    const flipped = waitForTrack(writer.track, 1, 5_000);
    const t0 = now();
    pair.a.kill('SIGKILL');
    const ms = msSince(t0, (await flipped).at);
    // The standby's IO thread loses its source now: give any knock-on effect time to show.
    await sleep(2_000);

    report(`kill -9 of one of three targets' mysqld -> its track file 1: ${ms} ms`);
    expect(ms, daemon.describe()).toBeLessThan(KILL_BOUND_MS);
    expect(others.map((r) => r.stop().map((s) => s.content)), daemon.describe()).toEqual([['0\n'], ['1\n']]);
    const transitions = daemon.transitions(mark);
    expect(transitions.map((l) => [l.target, l.healthy]), daemon.describe()).toEqual([['writer', false]]);
    expect(readStatus(standby.status)).toMatchObject({ healthy: true, role: 'standby' });
    expect((await httpGet(listen, '/health/standby')).status).toBe(200);
    expect((await httpGet(listen, '/health/writer')).status).toBe(503);
  });

  describe('shutdown', () => {
    async function threeTargets(writerTimeout?: string): Promise<{ daemon: DaemonProcess; config: string; targets: TargetSpec[] }> {
      const config = join(dir, `stop-${++files}.cnf`);
      const writer = { ...target('writer', pair.a.port), ...(writerTimeout && { extra: [`timeout = ${writerTimeout}`] }) };
      const targets = [writer, target('standby', pair.b.port), target('gone', await deadPort())];
      writeConfig(config, await freePort(), { interval: '1', rise: '1', fall: '2' }, targets);
      const daemon = await daemonWithConfig(config);
      const [w, s] = targets as [TargetSpec, TargetSpec, TargetSpec];
      await Promise.all([waitForTrack(w.track, 0), waitForTrack(s.track, 0)]);
      return { daemon, config, targets };
    }

    it('SIGTERM stops the daemon within 1 s and leaves every track file at 1', async () => {
      const { daemon, targets } = await threeTargets();

      const { ms, exit } = await daemon.stop();

      report(`SIGTERM -> exit (3 targets, all answering or refused): ${ms} ms`);
      expect(exit, daemon.describe()).toMatchObject({ code: 0, signal: null });
      expect(ms, daemon.describe()).toBeLessThan(STOP_BOUND_MS);
      expect(targets.map((t) => readOrUndefined(t.track))).toEqual(['1\n', '1\n', '1\n']);
      for (const t of targets) expect(readStatus(t.status), t.name).toMatchObject({ healthy: false, state: 'stopped' });
      expect(daemon.lines.some((l) => l.msg.includes('daemon stopped'))).toBe(true);
    });

    it('SIGTERM stops the daemon within 1 s even while a target mysqld hangs', async () => {
      const { daemon, targets } = await threeTargets();
      pair.a.kill('SIGSTOP');
      // Mid-check: the periodic check (1 s interval) is stuck on the stopped server by now.
      await sleep(1_300);

      const { ms, exit } = await daemon.stop();

      report(`SIGTERM -> exit while one target's mysqld is SIGSTOPped (timeout 0.8 s): ${ms} ms`);
      expect(exit, daemon.describe()).toMatchObject({ code: 0, signal: null });
      expect(ms, daemon.describe()).toBeLessThan(STOP_BOUND_MS);
      expect(targets.map((t) => readOrUndefined(t.track))).toEqual(['1\n', '1\n', '1\n']);
    });

    // A stop must not wait out a check stuck on a hung server: the track files go to 1 first,
    // and the stuck check gets a short grace before its connection is torn down.
    it('SIGTERM mid-check with a 3 s --timeout still stops and sets the track files to 1 within 1 s', async () => {
      const { daemon, targets } = await threeTargets('3');
      const writer = targets[0] as TargetSpec;
      pair.a.kill('SIGSTOP');
      // The next periodic check starts within 1 s and hangs: it has >= 1.95 s of deadline left.
      await sleep(1_050);
      expect(readOrUndefined(writer.track)).toBe('0\n');

      const faulted = waitForTrack(writer.track, 1, 10_000);
      const t0 = now();
      const { ms } = await daemon.stop(10_000);
      const trackMs = msSince(t0, (await faulted).at);

      report(`SIGTERM mid-check (timeout 3 s, mysqld SIGSTOPped): track file 1 after ${trackMs} ms, exit after ${ms} ms`);
      expect(trackMs, daemon.describe()).toBeLessThan(STOP_BOUND_MS);
      expect(ms, daemon.describe()).toBeLessThan(STOP_BOUND_MS);
    });

    it('--mark-fault sets every track file to 1 and exits', async () => {
      const config = join(dir, `mark-${++files}.cnf`);
      const targets = [target('writer', pair.a.port), target('standby', pair.b.port)];
      writeConfig(config, await freePort(), {}, targets);
      for (const t of targets) writeFileSync(t.track, '0\n');

      const run = await runCheck(['daemon', '--config', config, '--mark-fault']);

      expect(run.code, describeRun(run)).toBe(0);
      expect(targets.map((t) => readOrUndefined(t.track))).toEqual(['1\n', '1\n']);
    });
  });
});
