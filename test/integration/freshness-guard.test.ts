/**
 * bin/check-mysql-fresh, the vrrp_script that keeps keepalived from trusting a track file
 * whose writer is gone: real files in a temp dir, real processes (sleeps) that we start,
 * stop, kill or leave as zombies ourselves, and runs as an unprivileged user against
 * root-owned files and processes, as keepalived's script_user would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/repo.js';
import { trackDir, trackPid, untrackDir, untrackPid } from '../helpers/reaper.js';
import { waitFor } from '../helpers/wait.js';
import { describeNeeding } from '../helpers/suite.js';

const GUARD = resolve(REPO_ROOT, 'bin', 'check-mysql-fresh');
const isRoot = process.getuid?.() === 0;

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** Runs `body` when `ready` is true; else skips locally and fails under CI (a lost tool must not turn the suite green). */
function describeIf(ready: boolean, why: string, name: string, body: () => void): void {
  describeNeeding(ready ? undefined : why, name, body);
}

interface GuardRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Commands put in front, e.g. setpriv ... (the guard and its args follow). */
  wrapper?: string[];
  guard?: string;
}

function runGuard(args: string[], { env = { PATH: '/usr/bin:/bin' }, wrapper = [], guard = GUARD }: RunOptions = {}): Promise<GuardRun> {
  const argv = [...wrapper, guard, ...args];
  return new Promise((done, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // keepalived would kill a hung script; a hang here is a bug, so fail loudly instead of waiting.
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('error', (err) => {
      clearTimeout(killer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      done({ code, signal, stdout, stderr });
    });
  });
}

/** One failure as keepalived must see it: exit status exactly 1, one line on stderr. */
function expectFailure(run: GuardRun, reason: RegExp): void {
  expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 1, signal: null });
  expect(run.stdout).toBe('');
  const lines = run.stderr.split('\n').filter(Boolean);
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^check-mysql-fresh: /);
  expect(lines[0]).toMatch(reason);
}

function expectPass(run: GuardRun): void {
  expect({ code: run.code, signal: run.signal, stderr: run.stderr, stdout: run.stdout }).toEqual({
    code: 0,
    signal: null,
    stderr: '',
    stdout: '',
  });
}

// --- processes we own ------------------------------------------------------------------------

const children = new Set<ChildProcess>();
let sleepers = 0;

interface Sleeper {
  pid: number;
  child: ChildProcess;
  exited: Promise<void>;
}

/** A `sleep` with a unique argument, which the reaper uses as its marker (a recycled pid is never hit). */
function startSleeper(command: string[] = []): Sleeper {
  const marker = `${900 + sleepers++}.${process.pid}`;
  const argv = command.length > 0 ? [...command, marker] : ['sleep', marker];
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
  if (child.pid === undefined) throw new Error(`could not start ${argv.join(' ')}`);
  children.add(child);
  trackPid(child.pid, marker);
  const pid = child.pid;
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      untrackPid(pid);
      children.delete(child);
      done();
    }),
  );
  return { pid, child, exited };
}

async function kill(sleeper: Sleeper): Promise<void> {
  sleeper.child.kill('SIGKILL');
  await sleeper.exited;
}

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

// --- status files ----------------------------------------------------------------------------

let dir: string;
let files = 0;

function statusLine(pid: number | string, extra = '"healthy":true'): string {
  return `{"pid":${pid},"target":"db1",${extra},"interval":1,"lastCheck":"${new Date().toISOString()}","reasons":[]}\n`;
}

/** Writes a status file (mode 0644, like the daemon's) and returns its path. */
function statusFile(content: string, { ageSeconds = 0, mode = 0o644 } = {}): string {
  const path = join(dir, `status-${files++}.json`);
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  if (ageSeconds !== 0) {
    const t = Date.now() / 1000 - ageSeconds;
    utimesSync(path, t, t);
  }
  return path;
}

let live: Sleeper;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'check-mysql-fresh-'));
  trackDir(dir);
  // Readable by keepalived's script_user, as RuntimeDirectoryMode=0755 makes /run/check-mysql.
  chmodSync(dir, 0o755);
  live = startSleeper();
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await waitFor('our sleeps to exit', () => children.size === 0, { timeoutMs: 5_000 });
  rmSync(dir, { recursive: true, force: true });
  untrackDir(dir);
});

// --- the cases -------------------------------------------------------------------------------

describe('check-mysql-fresh: passes only a fresh heartbeat from a live daemon', () => {
  it('passes a fresh status file whose pid is alive and that says healthy', async () => {
    expectPass(await runGuard([statusFile(statusLine(live.pid)), '3']));
  });

  it('passes a file without a trailing newline, and one where "healthy" is the last key', async () => {
    expectPass(await runGuard([statusFile(statusLine(live.pid).trimEnd()), '3']));
    expectPass(await runGuard([statusFile(`{"pid":${live.pid},"healthy":true}`), '3']));
  });

  it('reads the top-level "healthy", not a nested one', async () => {
    const nested = '"healthy":true,"channels":[{"name":"a","healthy":false}]';
    expectPass(await runGuard([statusFile(statusLine(live.pid, nested)), '3']));
  });

  it('passes a file just inside MAX_AGE_SECONDS', async () => {
    expectPass(await runGuard([statusFile(statusLine(live.pid), { ageSeconds: 2 }), '3']));
  });

  it('works with an empty environment (it sets its own PATH and locale)', async () => {
    expectPass(await runGuard([statusFile(statusLine(live.pid)), '3'], { env: {} }));
    const stale = statusFile(statusLine(live.pid), { ageSeconds: 30 });
    expectFailure(await runGuard([stale, '3'], { env: {} }), /stale/);
  });
});

describe('check-mysql-fresh: every error path exits 1 with one reason', () => {
  const _ = (name: string, args: () => string[], reason: RegExp) => ({ name, args, reason });
  it.each([
    _('no arguments', () => [], /usage: .*got 0 arguments/),
    _('one argument', () => [statusFile(statusLine(live.pid))], /usage: .*got 1 arguments/),
    _('three arguments', () => [statusFile(statusLine(live.pid)), '3', 'x'], /usage: .*got 3 arguments/),
    _('an empty file name', () => ['', '3'], /usage: STATUS_FILE is empty/),
    _('MAX_AGE_SECONDS not a number', () => [statusFile(statusLine(live.pid)), 'abc'], /MAX_AGE_SECONDS .*got 'abc'/),
    _('MAX_AGE_SECONDS zero', () => [statusFile(statusLine(live.pid)), '0'], /MAX_AGE_SECONDS/),
    _('MAX_AGE_SECONDS with a leading zero (octal)', () => [statusFile(statusLine(live.pid)), '010'], /MAX_AGE_SECONDS .*got '010'/),
    _('MAX_AGE_SECONDS fractional', () => [statusFile(statusLine(live.pid)), '1.5'], /MAX_AGE_SECONDS/),
    _('MAX_AGE_SECONDS negative', () => [statusFile(statusLine(live.pid)), '-3'], /MAX_AGE_SECONDS/),
    _('MAX_AGE_SECONDS empty', () => [statusFile(statusLine(live.pid)), ''], /MAX_AGE_SECONDS/),
    _('a missing file (daemon never started)', () => [join(dir, 'never-written.json'), '3'], /does not exist/),
    _('a file in a missing directory', () => [join(dir, 'gone', 'db1.json'), '3'], /does not exist/),
    _('an empty file', () => [statusFile(''), '3'], /is empty/),
    _('a directory', () => [dir, '3'], /is not a regular file \(directory\)/),
    _('a symlink to a good file', () => {
      const link = join(dir, `link-${files++}.json`);
      symlinkSync(statusFile(statusLine(live.pid)), link);
      return [link, '3'];
    }, /is not a regular file \(symbolic link\)/),
    _('garbage', () => [statusFile('not json at all\n'), '3'], /does not start with \{"pid":N/),
    _('JSON whose first key is not pid', () => [statusFile(`{"target":"db1","pid":${live.pid},"healthy":true}\n`), '3'], /does not start with/),
    _('a partial write', () => [statusFile('{"pid":'), '3'], /does not start with/),
    _('pid 0', () => [statusFile(statusLine(0)), '3'], /does not start with/),
    _('a quoted pid', () => [statusFile(statusLine(`"${live.pid}"`)), '3'], /does not start with/),
    _('a pid glued to junk', () => [statusFile(`{"pid":${live.pid}x,"healthy":true}\n`), '3'], /does not start with/),
    _('an absurd pid', () => [statusFile(statusLine('123456789012')), '3'], /out of range/),
    _('a stale file (daemon hung: blocked event loop)', () => [statusFile(statusLine(live.pid), { ageSeconds: 10 }), '3'], /stale, last written 1\d\.\d s ago \(max 3 s\)/),
    _('a file from the future (clock stepped back)', () => [statusFile(statusLine(live.pid), { ageSeconds: -100 }), '3'], /in the future/),
    _('a pid that does not exist', () => [statusFile(statusLine(4_194_304 + 1)), '3'], /pid 4194305 is not running/),
    _('"healthy":false', () => [statusFile(statusLine(live.pid, '"healthy":false')), '3'], /reported unhealthy/),
    _('no "healthy" key', () => [statusFile(statusLine(live.pid, '"ok":true')), '3'], /has no "healthy" key/),
    _('"healthy":false with a nested "healthy":true after it', () => [
      statusFile(statusLine(live.pid, '"healthy":false,"channels":[{"name":"a","healthy":true}]')),
      '3',
    ], /reported unhealthy/),
    _('"healthy":true only inside a string', () => [
      statusFile(statusLine(live.pid, '"msg":"was \\"healthy\\":true before","healthy":false')),
      '3',
    ], /reported unhealthy/),
    _('"healthy":true only as a prefix of another value', () => [statusFile(statusLine(live.pid, '"healthy":trueish')), '3'], /reported unhealthy/),
  ])('fails on $name', async ({ args, reason }) => {
    expectFailure(await runGuard(args()), reason);
  });

  it('fails on a FIFO without blocking on it', async () => {
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const started = Date.now();
    expectFailure(await runGuard([fifo, '3']), /is not a regular file \(fifo\)/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails when the daemon was killed, though its file is still fresh', async () => {
    const daemon = startSleeper();
    const file = statusFile(statusLine(daemon.pid));
    expectPass(await runGuard([file, '3']));
    await kill(daemon);
    expectFailure(await runGuard([file, '3']), new RegExp(`daemon pid ${daemon.pid} is not running`));
  });

  it('fails when the daemon is SIGSTOPped, though its file is still fresh, and passes again on SIGCONT', async () => {
    const daemon = startSleeper();
    const file = statusFile(statusLine(daemon.pid));
    daemon.child.kill('SIGSTOP');
    await waitFor('the sleep to stop', () => procState(daemon.pid) === 'T');
    expectFailure(await runGuard([file, '3']), new RegExp(`daemon pid ${daemon.pid} is stopped \\(state T`));
    daemon.child.kill('SIGCONT');
    await waitFor('the sleep to run again', () => procState(daemon.pid) === 'S');
    expectPass(await runGuard([file, '3']));
    await kill(daemon);
  });

  it('fails when the pid is a zombie', async () => {
    // sh forks a short sleep, then execs a long one that never reaps it: the child turns zombie.
    const parent = startSleeper(['sh', '-c', 'sleep 0.2 & echo $!; exec sleep "$0"']);
    const zombie = await new Promise<number>((done) =>
      parent.child.stdout?.setEncoding('utf8').once('data', (d: string) => done(Number(d.trim()))),
    );
    await waitFor('the short sleep to become a zombie', () => procState(zombie) === 'Z', { timeoutMs: 5_000 });
    expectFailure(await runGuard([statusFile(statusLine(zombie)), '3']), new RegExp(`daemon pid ${zombie} is dead \\(state Z\\)`));
    await kill(parent);
  });
});

describeIf(isRoot && onPath('setpriv'), 'needs root and setpriv (util-linux)', 'check-mysql-fresh as keepalived\'s unprivileged script_user', () => {
  // Installed as /opt/check-mysql/bin would be: root-owned, 0755, in a directory anyone can search.
  let installed: string;
  const asNobody = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];
  beforeAll(() => {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { mode: 0o755 });
    installed = join(bin, 'check-mysql-fresh');
    copyFileSync(GUARD, installed);
    chmodSync(installed, 0o755);
  });

  it('runs as nobody (the test itself is root)', async () => {
    const run = spawnSync('setpriv', [...asNobody, 'id', '-u'], { encoding: 'utf8' });
    expect(run.stdout.trim()).toBe('65534');
  });

  it('passes for a root-owned live daemon and its root-owned 0644 status file', async () => {
    expectPass(await runGuard([statusFile(statusLine(live.pid)), '3'], { wrapper: asNobody, guard: installed }));
  });

  it('catches a root-owned SIGSTOPped daemon (kill -0 would fail with EPERM here)', async () => {
    const daemon = startSleeper();
    const file = statusFile(statusLine(daemon.pid));
    daemon.child.kill('SIGSTOP');
    await waitFor('the sleep to stop', () => procState(daemon.pid) === 'T');
    expectFailure(await runGuard([file, '3'], { wrapper: asNobody, guard: installed }), /is stopped/);
    await kill(daemon);
    expectFailure(await runGuard([file, '3'], { wrapper: asNobody, guard: installed }), /is not running/);
  });

  it('fails, naming the uid, on a status file it may not read', async () => {
    const secret = statusFile(statusLine(live.pid), { mode: 0o600 });
    expectFailure(await runGuard([secret, '3'], { wrapper: asNobody, guard: installed }), /not readable by uid 65534/);
  });
});

describeIf(isRoot && onPath('unshare') && onPath('mount'), 'needs root, unshare and mount (util-linux)', 'check-mysql-fresh in a private mount namespace', () => {
  // The guard's own PATH and /dev/log are fixed, so we change what sits there: inside
  // `unshare --mount`, bind mounts replace /dev (with our /dev/log) or one tool, for the guard only.
  function inNamespace(setup: string): string[] {
    return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `${setup} && exec "$@"`, 'sh'];
  }

  describe('syslog', () => {
    let server: Server;
    let devDir: string;
    const received: string[] = [];

    beforeAll(async () => {
      devDir = join(dir, 'dev');
      mkdirSync(devDir);
      // logger(1) falls back to a stream socket when /dev/log is not a datagram one.
      server = createServer((socket) => {
        let buf = '';
        socket.setEncoding('utf8').on('data', (d: string) => (buf += d));
        socket.on('end', () => received.push(...buf.split('\n').filter(Boolean)));
      });
      await new Promise<void>((done) => server.listen(join(devDir, 'log'), done));
      writeFileSync(join(devDir, 'null'), '');
    });

    afterAll(() => new Promise<void>((done) => server.close(() => done())));

    const withSyslog = () =>
      inNamespace(`mount --bind /dev/null "${devDir}/null" && mount --bind "${devDir}" /dev`);

    it('sends each failure to syslog, tag check-mysql-fresh, facility daemon, priority warning', async () => {
      const file = statusFile(statusLine(live.pid), { ageSeconds: 60 });
      const run = await runGuard([file, '3'], { wrapper: withSyslog() });
      expectFailure(run, /stale/);
      const line = await waitFor('the syslog line', () => received.find((l) => l.includes(file)));
      // <28> = daemon (3) * 8 + warning (4)
      expect(line).toMatch(/^<28>.* check-mysql-fresh: /);
      expect(line.slice(line.indexOf('check-mysql-fresh: '))).toBe(run.stderr.trim());
    });

    it('logs nothing when the heartbeat is fine', async () => {
      const file = statusFile(statusLine(live.pid));
      expectPass(await runGuard([file, '3'], { wrapper: withSyslog() }));
      await new Promise((r) => setTimeout(r, 200));
      expect(received.filter((l) => l.includes(file))).toEqual([]);
    });
  });

  describe('broken tools never read as success (keepalived may read 126/127 as 0)', () => {
    let notExecutable: string;
    beforeAll(() => {
      notExecutable = join(dir, 'not-executable');
      writeFileSync(notExecutable, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    });

    it.each([
      { tool: '/usr/bin/stat', with: 'a non-executable file', reason: /cannot stat it/ },
      { tool: '/usr/bin/stat', with: '/bin/false', reason: /cannot stat it/ },
      { tool: '/usr/bin/date', with: 'a non-executable file', reason: /cannot read the clock/ },
      { tool: '/usr/bin/date', with: '/bin/true', reason: /cannot read the clock/ },
    ])('fails with exit 1 when $tool is replaced by $with', async ({ tool, with: replacement, reason }) => {
      const source = replacement === 'a non-executable file' ? notExecutable : replacement;
      const run = await runGuard([statusFile(statusLine(live.pid)), '3'], {
        wrapper: inNamespace(`mount --bind "${source}" "${tool}"`),
      });
      expectFailure(run, reason);
    });

    it('still fails with exit 1 when logger itself is broken', async () => {
      const run = await runGuard([join(dir, 'never-written.json'), '3'], {
        wrapper: inNamespace(`mount --bind "${notExecutable}" /usr/bin/logger`),
      });
      expectFailure(run, /does not exist/);
    });
  });
});

describe('check-mysql-fresh as keepalived runs it', () => {
  it('is an executable POSIX sh script', () => {
    const mode = spawnSync('stat', ['-c', '%a', GUARD], { encoding: 'utf8' }).stdout.trim();
    expect(mode).toBe('755');
    expect(readFileSync(GUARD, 'utf8').split('\n')[0]).toBe('#!/bin/sh');
  });

  it('through /bin/sh (as docs/keepalived.md configures it) a missing guard exits non-zero, never 0', async () => {
    // keepalived execs "/bin/sh GUARD ..." directly and reads any non-zero status as failure;
    // a missing GUARD named on its own would be an exec error, which keepalived counts as success.
    const run = await runGuard([join(dir, 'no-such-guard'), statusFile(statusLine(live.pid)), '3'], { guard: '/bin/sh' });
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
  });

  describeIf(onPath('shellcheck'), 'needs shellcheck (Debian: shellcheck)', 'lint', () => {
    it('passes shellcheck as POSIX sh', () => {
      const run = spawnSync('shellcheck', ['--shell=sh', '--severity=style', GUARD], { encoding: 'utf8' });
      expect(run.stdout + run.stderr).toBe('');
      expect(run.status).toBe(0);
    });
  });
});
