// Maintenance against a real mariadbd: the daemon sees its maintenance file appear and go (track
// file, /health/NAME, status file, gauge, log line), a file present at start is maintenance from
// the first write, the one-shot check exits 1 without connecting, and `check-mysql maintenance`
// turns it on, off and shows it. Latencies are measured from the file's rename as this process
// sees it, and printed as `measured:` lines.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { assertCliRuns, describeRun, runCheck } from '../helpers/clients/cli.js';
import { DaemonProcess, msSince, now } from '../helpers/clients/daemon.js';
import { httpGet, readStatus, recordFile, waitForContent, waitForTrack } from '../helpers/clients/daemon-outputs.js';
import { nodeMaintenanceFs } from '../../src/edge/node-maintenance-fs.js';
import { enterMaintenance } from '../../src/maintenance/maintenance-file.js';
import { freePort } from '../helpers/ports.js';
import { startServer, type Server } from '../helpers/servers/server.js';
import { describeWithMariadb } from '../helpers/suite.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/** The bound from the file appearing to the track file reading fault. */
const ENTER_BOUND_MS = 100;
const INTERVAL_MS = 1000;
const RISE = 2;

const figures: string[] = [];
function measured(line: string): void {
  figures.push(line);
  console.log(`measured: ${line}`);
}

describeWithMariadb('maintenance: the daemon, the one-shot check and the maintenance command against a real mariadbd', () => {
  let server: Server;
  let dir: string;
  const check = { user: 'check', password: randomBytes(12).toString('hex') };
  let cases = 0;
  let daemons: DaemonProcess[] = [];

  beforeAll(async () => {
    await assertCliRuns();
    [server, dir] = await Promise.all([startServer({ serverId: 1 }), makeTempDir()]);
    await server.exec(`CREATE USER '${check.user}'@'127.0.0.1' IDENTIFIED BY '${check.password}'`, `GRANT SLAVE MONITOR ON *.* TO '${check.user}'@'127.0.0.1'`);
  });

  afterEach(async () => {
    await Promise.all(daemons.map((d) => d.kill()));
    daemons = [];
  });

  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.kill()));
    await server?.cleanup();
    if (dir) await removeTempDir(dir);
    if (figures.length > 0) console.log(`[daemon-maintenance] figures:\n  ${figures.join('\n  ')}`);
  });

  interface Case {
    dir: string;
    track: string;
    status: string;
    maintenance: string;
    port: number;
  }

  async function newCase(): Promise<Case> {
    const d = join(dir, `case-${++cases}`);
    mkdirSync(d, { mode: 0o700 });
    return { dir: d, track: join(d, 'mysql.track'), status: join(d, 'mysql.status.json'), maintenance: join(d, 'maintenance'), port: await freePort() };
  }

  const connection = (port = server.port) => ['--no-defaults', '-h', '127.0.0.1', '-P', String(port), '-u', check.user];

  async function startDaemon(c: Case, extra: string[] = []): Promise<DaemonProcess> {
    const daemon = await DaemonProcess.start({
      marker: c.dir,
      password: check.password,
      args: [
        ...connection(), '--track-file', c.track, '--status-file', c.status, '--listen', `127.0.0.1:${c.port}`,
        '--interval', String(INTERVAL_MS / 1000), '--rise', String(RISE), '--fall', '2', '--maintenance-file', c.maintenance, ...extra,
      ],
    });
    daemons.push(daemon);
    return daemon;
  }

  const info = (reason: string) => ({ reason, since: new Date().toISOString(), by: 'dba@db1' });

  /** The file appears by rename, as `maintenance on` makes it; returns when it is there. */
  function putFile(path: string, reason: string): number {
    enterMaintenance(nodeMaintenanceFs, path, info(reason));
    return now();
  }

  const gauge = async (port: number): Promise<string | undefined> => /^check_mysql_maintenance\{target="default"\} (\d)$/m.exec((await httpGet(port, '/metrics')).body)?.[1];

  it('a healthy target goes to fault within 100 ms of the file appearing, says so everywhere, and comes back through rise when it goes', async () => {
    const c = await newCase();
    const daemon = await startDaemon(c);
    await waitForTrack(c.track, 0, (RISE + 2) * INTERVAL_MS);
    expect((await httpGet(c.port, '/health/default')).status).toBe(200);
    expect(await gauge(c.port)).toBe('0');
    expect(readStatus(c.status)?.maintenance).toEqual({ on: false });

    const faulted = waitForTrack(c.track, 1, 2_000);
    const linesBefore = daemon.lines.length;
    const t0 = putFile(c.maintenance, 'kernel patch');
    const enterMs = msSince(t0, (await faulted).at);
    measured(`daemon: maintenance file appears -> track file 1: ${enterMs} ms (bound ${ENTER_BOUND_MS} ms)`);
    expect(enterMs, daemon.describe()).toBeLessThan(ENTER_BOUND_MS);

    const health = await httpGet(c.port, '/health/default');
    expect(health.status).toBe(503);
    expect(health.body).toMatch(/^unhealthy: default writer - maintenance: kernel patch \(since \S+Z, by dba@db1\)$/m);
    expect((await httpGet(c.port, '/health')).status).toBe(503);
    expect(await gauge(c.port)).toBe('1');
    await waitForContent(c.status, (s) => s?.includes('"state":"maintenance"') === true, 'the status file to say maintenance', 1_000);
    expect(readStatus(c.status)).toMatchObject({ healthy: false, state: 'maintenance', maintenance: { on: true, reason: 'kernel patch', by: 'dba@db1' } });
    const on = await daemon.waitForLog('the maintenance line', (l) => l.msg.includes('maintenance on'));
    expect(on).toMatchObject({ level: 'warn', target: 'default', maintenance: true, reason: 'kernel patch', by: 'dba@db1' });
    expect(on.msg).toBe(`default: maintenance on: kernel patch (since ${String(on.since)}, by dba@db1); track file set to fault`);

    // Checks go on in maintenance: the raw result stays healthy and keeps being refreshed.
    const before = String(readStatus(c.status)?.lastCheck);
    await waitForContent(c.status, (s) => s !== undefined && !s.includes(before), 'a check during maintenance', 3 * INTERVAL_MS);
    expect(readStatus(c.status)).toMatchObject({ healthy: false, lastCheckHealthy: true });
    expect((await httpGet(c.port, '/metrics')).body).toMatch(/^check_mysql_last_check_healthy\{target="default"\} 1$/m);
    // One line for the change: no second "FAULT" transition line beside it.
    expect(daemon.transitions(linesBefore)).toEqual([]);

    const history = recordFile(c.track);
    const back = waitForTrack(c.track, 0, (RISE + 2) * INTERVAL_MS);
    const t1 = now();
    unlinkSync(c.maintenance);
    const leaveMs = msSince(t1, (await back).at);
    const seen = history.stop();
    measured(`daemon: maintenance file removed -> track file 0: ${leaveMs} ms (rise ${RISE}, interval ${INTERVAL_MS} ms)`);
    // The normal rise: the first good check starts at once, the next ones on the daemon's grid
    // (src/daemon/check-grid.ts): the first slot at least a quarter interval later, then a slot an interval.
    expect(leaveMs, daemon.describe()).toBeGreaterThanOrEqual(INTERVAL_MS / 4 + (RISE - 2) * INTERVAL_MS - 5);
    expect(leaveMs, daemon.describe()).toBeLessThan((RISE - 0.75) * INTERVAL_MS + 500);
    expect(seen.map((s) => s.content)).toEqual(['1\n', '0\n']);
    const off = await daemon.waitForLog('the maintenance off line', (l) => l.msg.includes('maintenance off'));
    expect(off).toMatchObject({ level: 'info', maintenance: false });
    expect(readStatus(c.status)?.maintenance).toEqual({ on: false });
    expect(await gauge(c.port)).toBe('0');
    expect((await httpGet(c.port, '/health/default')).status).toBe(200);
  });

  it('answers 404 on /health/NAME in maintenance with --maintenance-http-status 404, for HAProxy disable-on-404', async () => {
    const c = await newCase();
    await startDaemon(c, ['--maintenance-http-status', '404']);
    await waitForTrack(c.track, 0, (RISE + 2) * INTERVAL_MS);
    const faulted = waitForTrack(c.track, 1, 2_000);
    putFile(c.maintenance, 'drain for backup');
    await faulted;
    const health = await httpGet(c.port, '/health/default');
    expect(health.status).toBe(404);
    expect(health.body).toContain('maintenance: drain for backup');
    // The aggregate /health stays a plain "do not send traffic".
    expect((await httpGet(c.port, '/health')).status).toBe(503);
  });

  it('a daemon restarted with the file present is in maintenance from its first write, however healthy the server', async () => {
    const c = await newCase();
    const first = await startDaemon(c);
    await waitForTrack(c.track, 0, (RISE + 2) * INTERVAL_MS);
    putFile(c.maintenance, 'disk swap');
    await waitForTrack(c.track, 1, 1_000);
    await first.stop();

    const history = recordFile(c.track);
    const again = await startDaemon(c);
    await again.waitForLog('the maintenance line at start', (l) => l.msg.includes('maintenance on: disk swap'));
    // Several good checks later it is still in maintenance.
    await waitForContent(c.status, (s) => s?.includes(`"consecutiveOk":${RISE + 1}`) === true, `${RISE + 1} good checks`, (RISE + 3) * INTERVAL_MS);
    expect(history.stop().map((s) => s.content)).toEqual(['1\n']);
    expect(readStatus(c.status)).toMatchObject({ healthy: false, state: 'maintenance', lastCheckHealthy: true, maintenance: { on: true, reason: 'disk swap' } });
    expect((await httpGet(c.port, '/health/default')).status).toBe(503);
  });

  it('a file that cannot be read is still maintenance, with the problem in the status file', async () => {
    const c = await newCase();
    await startDaemon(c);
    await waitForTrack(c.track, 0, (RISE + 2) * INTERVAL_MS);
    const faulted = waitForTrack(c.track, 1, 2_000);
    writeFileSync(c.maintenance, 'maintenance please\n');
    await faulted;
    await waitForContent(c.status, (s) => s?.includes('"problem"') === true, 'the problem in the status file', 1_000);
    expect(readStatus(c.status)?.maintenance).toEqual({ on: true, problem: 'it is not JSON ({"reason","since","by"})' });
    expect((await httpGet(c.port, '/health/default')).body).toContain('maintenance: its file cannot be read');
  });

  it('the daemon refuses a maintenance file in a directory others can write (exit 2, one line)', async () => {
    const c = await newCase();
    const open = join(c.dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const run = await runCheck(['daemon', ...connection(), '--maintenance-file', join(open, 'maintenance'), '--listen', `127.0.0.1:${c.port}`]);
    expect(run.code, describeRun(run)).toBe(2);
    expect(run.stderr).toBe(`check-mysql daemon: refusing --maintenance-file ${open}/maintenance: its directory ${open} (mode 0777) is writable by every local user, who could force or end maintenance; use a directory only the service user can write, such as /var/lib/check-mysql\n`);
  });

  it('the one-shot check exits 1 with the reason maintenance, without connecting, and 0 once it is off', async () => {
    const c = await newCase();
    putFile(c.maintenance, 'kernel patch');
    // A port nothing listens on: a check that connected would say "refused".
    const dead = await freePort();
    const inMaintenance = await runCheck([...connection(dead), '--no-syslog', '--maintenance-file', c.maintenance], { password: check.password });
    expect(inMaintenance.code, describeRun(inMaintenance)).toBe(1);
    expect(inMaintenance.stdout).toMatch(/^UNHEALTHY: unknown 127\.0\.0\.1:\d+ - maintenance: \S+ exists: kernel patch \(since \S+Z, by dba@db1\)/);
    const json = await runCheck([...connection(dead), '--no-syslog', '--json', '--maintenance-file', c.maintenance], { password: check.password });
    expect(json.code).toBe(1);
    expect(json.json?.reasons?.[0]).toMatch(/^maintenance: /);

    const onReal = await runCheck([...connection(), '--no-syslog', '--maintenance-file', c.maintenance], { password: check.password });
    expect(onReal.code, describeRun(onReal)).toBe(1);
    unlinkSync(c.maintenance);
    const healthy = await runCheck([...connection(), '--no-syslog', '--maintenance-file', c.maintenance], { password: check.password });
    expect(healthy.code, describeRun(healthy)).toBe(0);
    measured(`one-shot: in maintenance exits 1 in ${inMaintenance.wallMs.toFixed(0)} ms wall, healthy check ${healthy.wallMs.toFixed(0)} ms`);
  });

  it('check-mysql maintenance: on, on again, status, off, off again, status', async () => {
    const c = await newCase();
    const cmd = (...args: string[]) => runCheck(['maintenance', ...args]);
    const on = await cmd('on', '--maintenance-file', c.maintenance, '--reason', 'MariaDB 10.11.20 upgrade');
    expect(on.code, describeRun(on)).toBe(0);
    expect(on.stdout).toMatch(new RegExp(`^maintenance on \\(${c.maintenance}\\): reason: MariaDB 10\\.11\\.20 upgrade; since (\\S+Z), by \\S+@\\S+\\n$`));
    const since = /since (\S+Z)/.exec(on.stdout)![1]!;
    await sleep(1100);
    const again = await cmd('on', '--maintenance-file', c.maintenance);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^maintenance already on .*, unchanged: reason: MariaDB 10\.11\.20 upgrade; since \S+ \(for [12]s\)/);
    expect(again.stdout).toContain(since);
    const status = await cmd('status', '--maintenance-file', c.maintenance);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^on \\(${c.maintenance}\\): reason: MariaDB 10\\.11\\.20 upgrade; since ${since} \\(for \\d+s\\), by \\S+@\\S+\\n$`));
    const off = await cmd('off', '--maintenance-file', c.maintenance);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/^maintenance off \(.* removed\); it was on: reason: MariaDB 10\.11\.20 upgrade/);
    const offAgain = await cmd('off', '--maintenance-file', c.maintenance);
    expect(offAgain.code).toBe(0);
    expect(offAgain.stdout).toBe(`maintenance was already off (${c.maintenance} does not exist)\n`);
    const statusOff = await cmd('status', '--maintenance-file', c.maintenance);
    expect(statusOff.code).toBe(1);
    expect(statusOff.stdout).toBe(`off (${c.maintenance} does not exist)\n`);
  });

  it('check-mysql maintenance takes the file from the daemon config, and the daemon obeys it', async () => {
    const c = await newCase();
    const config = join(c.dir, 'daemon.cnf');
    writeFileSync(
      config,
      ['[daemon]', `listen = 127.0.0.1:${c.port}`, 'interval = 1', 'rise = 1', '', '[target db]', 'host = 127.0.0.1', `port = ${server.port}`, `user = ${check.user}`, `password = ${check.password}`, `track-file = ${c.track}`, `status-file = ${c.status}`, `maintenance-file = ${c.maintenance}`, '', '[target other]', 'host = 127.0.0.1', `port = ${server.port}`, `user = ${check.user}`, `password = ${check.password}`, ''].join('\n'),
      { mode: 0o600 },
    );
    const daemon = await DaemonProcess.start({ marker: c.dir, args: ['--config', config] });
    daemons.push(daemon);
    await waitForTrack(c.track, 0, 4 * INTERVAL_MS);
    const faulted = waitForTrack(c.track, 1, 5_000);
    const t0 = now();
    const on = await runCheck(['maintenance', 'on', '--config', config, '--reason', 'patch']);
    expect(on.code, describeRun(on)).toBe(0);
    measured(`daemon: 'check-mysql maintenance on' started -> track file 1: ${msSince(t0, (await faulted).at)} ms (the command's own start-up included)`);
    const status = await runCheck(['maintenance', 'status', '--config', config, '--target', 'db']);
    expect(status.code, describeRun(status)).toBe(0);
    const none = await runCheck(['maintenance', 'status', '--config', config, '--target', 'other']);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(`check-mysql maintenance: ${config}: [target other] has no maintenance-file\n`);
    const back = waitForTrack(c.track, 0, 5_000);
    expect((await runCheck(['maintenance', 'off', '--config', config])).code).toBe(0);
    await back;
  });

  it('a reload keeps maintenance without a second line; a reload that drops maintenance-file ends it, through rise', async () => {
    const c = await newCase();
    const config = join(c.dir, 'daemon.cnf');
    const write = (withMaintenance: boolean, interval: string) =>
      writeFileSync(
        config,
        ['[daemon]', `listen = 127.0.0.1:${c.port}`, `interval = ${interval}`, 'rise = 2', '', '[target db]', 'host = 127.0.0.1', `port = ${server.port}`, `user = ${check.user}`, `password = ${check.password}`, `track-file = ${c.track}`, `status-file = ${c.status}`, ...(withMaintenance ? [`maintenance-file = ${c.maintenance}`] : []), ''].join('\n'),
        { mode: 0o600 },
      );
    write(true, '1');
    putFile(c.maintenance, 'upgrade');
    const daemon = await DaemonProcess.start({ marker: c.dir, args: ['--config', config] });
    daemons.push(daemon);
    await daemon.waitForLog('maintenance at start', (l) => l.msg.includes('maintenance on: upgrade'));
    // A first check done: the daemon's SIGHUP handler is in place only after its start-up (a
    // SIGHUP sent between its first log lines and then would end it: Node's default action).
    await waitForContent(c.status, (st) => st?.includes('"consecutiveOk":1') === true, 'a first check', 5_000);
    const history = recordFile(c.track);
    // The target changes (another interval), so it restarts with its state: still in maintenance, no new line.
    write(true, '0.5');
    const at = daemon.lines.length;
    daemon.signal('SIGHUP');
    await daemon.waitForLog('the reload', (l) => l.msg.startsWith('config reloaded'), 5_000, at);
    await sleep(1_500);
    expect(daemon.lines.slice(at).filter((l) => l.msg.includes('maintenance')), daemon.describe()).toEqual([]);
    expect(history.stop().map((s) => s.content)).toEqual(['1\n']);
    // Without the key, nothing says maintenance any more: it ends, and the target comes back through rise.
    write(false, '0.5');
    const back = waitForTrack(c.track, 0, 5_000);
    const at2 = daemon.lines.length;
    daemon.signal('SIGHUP');
    await daemon.waitForLog('maintenance off on reload', (l) => l.msg.includes('maintenance off'), 5_000, at2);
    await back;
  });

  it.each([
    ['an unknown action', ['start', '--maintenance-file', '/run/check-mysql/maintenance'], "check-mysql maintenance: unknown action 'start': expected on, off or status\n"],
    ['no file', ['on'], 'check-mysql maintenance: no maintenance file: give --maintenance-file PATH, or --config FILE [--target NAME]\n'],
    ['--reason with off', ['off', '--reason', 'x', '--maintenance-file', '/run/check-mysql/maintenance'], "check-mysql maintenance: --reason goes with 'on', not 'off'\n"],
    ['a missing directory', ['on', '--maintenance-file', '/nonexistent-dir/maintenance'], 'check-mysql maintenance: --maintenance-file /nonexistent-dir/maintenance: cannot use its directory /nonexistent-dir: ENOENT\n'],
    ['a reason of two lines', ['on', '--reason', 'a\nb', '--maintenance-file', 'DIR/maintenance'], 'check-mysql maintenance: maintenance file DIR/maintenance: the reason must be one line without control characters\n'],
    ['a missing config', ['status', '--config', '/nonexistent.cnf'], 'check-mysql maintenance: cannot read --config /nonexistent.cnf: ENOENT\n'],
    ['an option of another command', ['status', '--track-file', 'x', '--maintenance-file', 'DIR/maintenance'], "check-mysql maintenance: --track-file is only for 'check-mysql daemon'\n"],
  ])('check-mysql maintenance refuses %s: exit 2, one line, nothing written', async (_name, args, message) => {
    const c = await newCase();
    const fill = (s: string) => s.replaceAll('DIR', c.dir);
    const run = await runCheck(['maintenance', ...args.map(fill)]);
    expect(run.code, describeRun(run)).toBe(2);
    expect(run.stderr).toBe(fill(message));
    expect(run.stdout).toBe('');
  });

  it('check-mysql maintenance refuses a group-writable directory without the sticky bit, and accepts it with one', async () => {
    const c = await newCase();
    const shared = join(c.dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o770);
    const refused = await runCheck(['maintenance', 'on', '--maintenance-file', join(shared, 'm')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^check-mysql maintenance: refusing --maintenance-file .*: its directory .* \(mode 0770\) is writable by its group, who could force or end maintenance; /);
    chmodSync(shared, 0o1770);
    expect((await runCheck(['maintenance', 'on', '--maintenance-file', join(shared, 'm')])).code).toBe(0);
  });
});
