/**
 * The files keepalived reads, with the real daemon (bin/check-mysql daemon) and real
 * directories: --mark-fault with a broken config, a track or status file that cannot be written
 * (missing directory, read-only file system) at start and at run time, and a symlink planted by
 * `nobody` in a world-writable directory. No MariaDB is needed: each target is a loopback port
 * nothing listens on, so every check fails at once and the daemon writes FAULT every interval.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { describeRun, runCheck } from '../helpers/clients/cli.js';
import type { DaemonProcess } from '../helpers/clients/daemon.js';
import { deadTargetSandbox } from '../helpers/clients/dead-target.js';
import { httpGet, readOrUndefined, readStatus, waitForContent } from '../helpers/clients/daemon-outputs.js';
import { freePort } from '../helpers/ports.js';
import { describeNeeding } from '../helpers/suite.js';
import { waitFor } from '../helpers/wait.js';

const isRoot = process.getuid?.() === 0;
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

interface Target {
  name: string;
  track: string;
  status?: string;
}

describe('check-mysql daemon and the files keepalived reads', () => {
  const box = deadTargetSandbox();
  let configs = 0;

  /** A config whose targets all check a port nothing listens on; `extra` goes into the first target. */
  function writeConfig(targets: Target[], extra: string[] = []): string {
    const { dir, deadPort } = box;
    const path = join(dir, `daemon-${++configs}.cnf`);
    const sections = targets.map((t, i) => [
      `[target ${t.name}]`,
      'host = 127.0.0.1',
      `port = ${deadPort}`,
      `track-file = ${t.track}`,
      ...(t.status ? [`status-file = ${t.status}`] : []),
      ...(i === 0 ? extra : []),
    ]);
    writeFileSync(path, ['[daemon]', 'listen = 127.0.0.1:1', 'interval = 0.2', 'rise = 1', 'fall = 1', ...sections.flat()].join('\n') + '\n', { mode: 0o600 });
    return path;
  }

  const startDaemon = (config: string, listen: number): Promise<DaemonProcess> => box.start(['--config', config, '--listen', `127.0.0.1:${listen}`]);

  it('--mark-fault with a typo in one target still sets every track file to 1, then exits 2 with one line', async () => {
    const targets = [{ name: 'db1', track: join(box.dir, 'mf-db1.track') }, { name: 'db2', track: join(box.dir, 'mf-db2.track') }];
    const config = writeConfig(targets, ['prot = 3307']);
    for (const t of targets) writeFileSync(t.track, '0\n');

    const run = await runCheck(['daemon', '--config', config, '--mark-fault']);

    expect(run.code, describeRun(run)).toBe(2);
    expect(run.stderr).toBe(`check-mysql daemon: ${config}:10: unknown key in [target db1] (not shown: it may hold a secret)\n`);
    expect(targets.map((t) => readOrUndefined(t.track))).toEqual(['1\n', '1\n']);
  });

  it('refuses to start when a track file cannot be written (its directory is missing): exit 2, one line; the other track file is set to 1', async () => {
    const good = { name: 'db2', track: join(box.dir, 'ms-db2.track') };
    writeFileSync(good.track, '0\n');
    const config = writeConfig([{ name: 'db1', track: join(box.dir, 'missing', 'db1.track') }, good]);

    const run = await runCheck(['daemon', '--config', config, '--listen', `127.0.0.1:${await freePort()}`], { killAfterMs: 5_000 });

    expect(run.code, describeRun(run)).toBe(2);
    expect(run.stderr).toBe(`check-mysql daemon: cannot write track file ${join(box.dir, 'missing', 'db1.track')} of target db1: ENOENT: no such file or directory\n`);
    expect(readOrUndefined(good.track)).toBe('1\n');
  });

  it('a track file whose directory goes away: /live and /health/NAME say 503 and why, the metric says 0, SIGTERM says what it could not do', async () => {
    const sub = join(box.dir, 'goes-away');
    mkdirSync(sub);
    const lost = { name: 'lost', track: join(sub, 'lost.track'), status: join(box.dir, 'lost.json') };
    const kept = { name: 'kept', track: join(box.dir, 'kept.track'), status: join(box.dir, 'kept.json') };
    const port = await freePort();
    const daemon = await startDaemon(writeConfig([lost, kept]), port);
    await waitForContent(lost.status, (c) => c?.includes('"state":"fault"') === true, 'a first check');
    expect((await httpGet(port, '/live')).status).toBe(200);

    rmSync(sub, { recursive: true });
    const why = `cannot write track file ${lost.track}: ENOENT: no such file or directory`;
    const live = await waitFor('/live to report the lost track file', async () => {
      const a = await httpGet(port, '/live');
      return a.status === 503 ? a : undefined;
    }, { timeoutMs: 3_000 });
    expect(live.body, daemon.describe()).toBe(`files: lost: ${why}\n`);
    expect((await httpGet(port, '/health/lost')).body).toContain(`; ${why}`);
    const metrics = (await httpGet(port, '/metrics')).body;
    expect(metrics).toContain('check_mysql_file_write_ok{target="lost",kind="track"} 0\n');
    expect(metrics).toContain('check_mysql_file_write_ok{target="kept",kind="track"} 1\n');
    if (has('promtool')) {
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
      expect({ code: lint.status, output: lint.stdout + lint.stderr }).toEqual({ code: 0, output: '' });
    }
    expect(daemon.lines.filter((l) => l.msg.includes('cannot write')).map((l) => l.msg)).toEqual([`lost: ${why}`]);

    const { exit } = await daemon.stop();
    expect(exit.code, daemon.describe()).toBe(1);
    const stopped = daemon.lines.find((l) => l.msg.startsWith('check-mysql daemon stopped'));
    expect(stopped?.msg).toBe(`check-mysql daemon stopped (SIGTERM); track files set to fault: kept; track files NOT set to fault: lost (${lost.track}: ENOENT: no such file or directory)`);
    expect(readOrUndefined(kept.track)).toBe('1\n');
  });

  it('rewrites its files after every check and leaves only them behind when stopped', async () => {
    const sub = join(box.dir, 'kept');
    mkdirSync(sub, { mode: 0o700 });
    const t = { name: 'k', track: join(sub, 'k.track'), status: join(sub, 'k.json') };
    const daemon = await startDaemon(writeConfig([t]), await freePort());
    await waitForContent(t.status, (c) => c?.includes('"consecutiveFail":4') === true, 'four checks');
    // The inode a write replaced waits under a hidden name for the next one.
    expect(readdirSync(sub).filter((f) => !f.endsWith('.spare')).sort()).toEqual(['k.json', 'k.track']);
    const { exit } = await daemon.stop();
    expect(exit.code, daemon.describe()).toBe(0);
    expect(readdirSync(sub).sort()).toEqual(['k.json', 'k.track']);
    expect(readOrUndefined(t.track)).toBe('1\n');
    expect(readStatus(t.status)).toMatchObject({ state: 'stopped', healthy: false });
  });

  describeNeeding(isRoot ? undefined : 'mounting a read-only tmpfs needs root', 'on a read-only file system', () => {
    it('refuses to start when a status file cannot be written (EROFS): exit 2, one line', async () => {
      const ro = join(box.dir, 'ro');
      mkdirSync(ro);
      const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k,mode=0755', 'tmpfs', ro], { encoding: 'utf8' });
      expect(mount.status, mount.stderr).toBe(0);
      try {
        const track = join(box.dir, 'ro-db1.track');
        writeFileSync(track, '0\n');
        const config = writeConfig([{ name: 'db1', track, status: join(ro, 'db1.json') }]);
        const run = await runCheck(['daemon', '--config', config, '--listen', `127.0.0.1:${await freePort()}`], { killAfterMs: 5_000 });
        expect(run.code, describeRun(run)).toBe(2);
        expect(run.stderr).toBe(`check-mysql daemon: cannot write status file ${join(ro, 'db1.json')} of target db1: EROFS: read-only file system\n`);
        expect(readOrUndefined(track)).toBe('1\n');
      } finally {
        spawnSync('umount', [ro]);
      }
    });
  });

  const attackReady = isRoot && has('setpriv') && has('sysctl');
  describeNeeding(attackReady ? undefined : 'needs root, setpriv and sysctl', 'a symlink planted by nobody in a world-writable directory', () => {
    it('never makes the root daemon write through it: the root-owned file it points at is untouched', async () => {
      const original = readFileSync('/proc/sys/fs/protected_symlinks', 'utf8').trim();
      // The attack as reported needs protected_symlinks=0 (the kernel would refuse the link otherwise).
      if (original !== '0') expect(spawnSync('sysctl', ['-qw', 'fs.protected_symlinks=0']).status).toBe(0);
      try {
        chmodSync(box.dir, 0o755); // so that nobody can reach the public directory inside
        const secret = join(box.dir, 'secret');
        mkdirSync(secret, { mode: 0o700 });
        const victim = join(secret, 'victim');
        writeFileSync(victim, 'precious\n', { mode: 0o600 });
        const pub = join(box.dir, 'public');
        mkdirSync(pub);
        chmodSync(pub, 0o1777); // like /tmp or /run/lock
        const x = { name: 'x', track: join(pub, 'x.track'), status: join(pub, 'x.json') };
        const daemon = await startDaemon(writeConfig([x]), await freePort());
        await waitForContent(x.status, (c) => c?.includes('"state":"fault"') === true, 'a first check');

        // The names the daemon used to write through, planted as nobody while it runs.
        const planted = [join(pub, `.x.track.${daemon.pid}.tmp`), join(pub, `.x.json.${daemon.pid}.tmp`)];
        for (const link of planted) {
          const ln = spawnSync('setpriv', ['--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', 'ln', '-s', victim, link], { encoding: 'utf8' });
          expect(ln.status, ln.stderr).toBe(0);
        }
        const before = readStatus(x.status)?.lastCheck;
        await sleep(1_000); // five intervals: five rewrites of each file

        expect(readFileSync(victim, 'utf8'), daemon.describe()).toBe('precious\n');
        expect(lstatSync(x.track).isFile()).toBe(true);
        expect(readOrUndefined(x.track)).toBe('1\n');
        expect(readStatus(x.status)?.lastCheck).not.toBe(before);
        for (const link of planted) expect(readlinkSync(link)).toBe(victim);
        expect(daemon.lines.filter((l) => l.msg.includes('cannot write'))).toEqual([]);
        expect(daemon.lines.filter((l) => l.msg.includes('others can write')).map((l) => l.msg)).toEqual([
          `track/status files in a directory others can write: ${pub} (mode 1777); anyone who can write there can replace what keepalived reads: use one only this daemon's user can write, such as /run/check-mysql`,
        ]);
      } finally {
        chmodSync(box.dir, 0o700);
        if (original !== '0') spawnSync('sysctl', ['-qw', `fs.protected_symlinks=${original}`]);
      }
    });
  });
});
