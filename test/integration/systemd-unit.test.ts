/**
 * systemd/check-mysql.service: the daemon's contract (commands, restart, runtime directory)
 * and its sandbox, checked by systemd's own tools: `systemd-analyze verify` must be silent
 * and `systemd-analyze security --offline=true` must stay at or below our exposure target.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/defaults.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { trackDir, untrackDir } from '../helpers/reaper.js';
import { describeNeeding } from '../helpers/suite.js';

const UNIT = resolve(REPO_ROOT, 'systemd', 'check-mysql.service');
const TEXT = readFileSync(UNIT, 'utf8');
const hasAnalyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;

/** Exposure in tenths, as `--threshold` takes it: 11 means 1.1. */
const EXPOSURE_TARGET = 11;

/**
 * What the score still counts against us, each for a reason the daemon cannot avoid (or,
 * for IPAddressDeny, should not impose by default). A new line here is a regression.
 */
const ACCEPTED_EXPOSURE: Record<string, string> = {
  'PrivateNetwork=': 'it talks to mysqld over TCP and serves /metrics, /health and /live',
  'RestrictAddressFamilies=~AF_(INET|INET6)': 'TCP to mysqld and the HTTP listener',
  'RestrictAddressFamilies=~AF_UNIX': 'the mysqld socket, and the journal',
  'RestrictAddressFamilies=~AF_NETLINK': 'os.networkInterfaces() (getifaddrs) for the --vip check',
  'IPAddressDeny=': 'opt-in: a target on a non-loopback address (even our own) would fail closed on both nodes',
  'MemoryDenyWriteExecute=': "V8's JIT maps writable and executable pages",
  'RootDirectory=/RootImage=': 'node and its modules run from the host file system',
  'DeviceAllow=': 'ProtectClock=yes itself adds char-rtc:r (PrivateDevices hides it anyway)',
  'UMask=': "keepalived's script_user must read the status file",
  'ProcSubset=': "/proc/locks: whether the notify handler really holds its lock (a 'promoting' VIP holder)",
};

/** Key=value pairs of the [Service] and [Unit] sections; repeated keys keep every value. */
function directives(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    map.set(key, [...(map.get(key) ?? []), line.slice(eq + 1)]);
  }
  return map;
}

const unit = directives(TEXT);
const one = (key: string): string => {
  const values = unit.get(key) ?? [];
  expect(values, key).toHaveLength(1);
  return values[0] ?? '';
};

describe('check-mysql.service keeps the daemon contract', () => {
  it('runs the daemon in the foreground and reloads with SIGHUP', () => {
    expect(one('Type')).toMatch(/^(simple|exec)$/);
    expect(one('ExecStart')).toBe('/usr/bin/node /opt/check-mysql/bin/check-mysql daemon --config /etc/check-mysql/daemon.cnf');
    expect(one('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
  });

  it('marks every track file FAULT after any exit, and restarts for ever', () => {
    expect(one('ExecStopPost')).toBe(
      '/usr/bin/node /opt/check-mysql/bin/check-mysql daemon --config /etc/check-mysql/daemon.cnf --mark-fault',
    );
    expect(one('Restart')).toBe('always');
    expect(one('RestartSec')).toBe('1');
    expect(one('StartLimitIntervalSec')).toBe('0');
    expect(one('TimeoutStopSec')).toBe('5');
  });

  it('keeps /run/check-mysql readable by keepalived and in place after a stop', () => {
    expect(one('RuntimeDirectory')).toBe('check-mysql');
    expect(one('RuntimeDirectoryMode')).toBe('0755');
    expect(one('RuntimeDirectoryPreserve')).toBe('yes');
    expect(one('UMask')).toBe('0022');
    // The maintenance file's directory: persistent, writable by check-mysql (and root) only.
    expect(one('StateDirectory')).toBe('check-mysql');
    expect(one('StateDirectoryMode')).toBe('0755');
  });

  it('runs as a static unprivileged user with no capability', () => {
    expect(one('User')).toBe('check-mysql');
    expect(unit.has('DynamicUser')).toBe(false);
    expect(one('CapabilityBoundingSet')).toBe('');
    expect(one('NoNewPrivileges')).toBe('yes');
  });

  it('allows the socket families the daemon uses, netlink included for the VIP check', () => {
    expect(one('RestrictAddressFamilies').split(/\s+/).sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX']);
  });
});

function describeWithAnalyze(name: string, body: () => void): void {
  describeNeeding(hasAnalyze ? undefined : 'systemd-analyze missing; Debian: apt-get install systemd', name, body);
}

describeWithAnalyze('check-mysql.service under systemd-analyze', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'check-mysql-unit-'));
    trackDir(dir);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    untrackDir(dir);
  });

  /**
   * verify checks that each command's executable exists. /opt/check-mysql is not installed
   * here (it is only an argument), but node may live elsewhere than /usr/bin/node: point the
   * copy at this node. The contract tests above pin the real lines.
   */
  function verifiableCopy(text = TEXT): string {
    const path = join(dir, 'check-mysql.service');
    const node = existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;
    writeFileSync(path, text.replaceAll('/usr/bin/node ', `${node} `));
    return path;
  }

  function analyze(...args: string[]) {
    return spawnSync('systemd-analyze', args, { encoding: 'utf8', cwd: dir, env: { PATH: process.env.PATH, LANG: 'C' } });
  }

  it('passes systemd-analyze verify without a single warning', () => {
    const run = analyze('verify', '--man=no', verifiableCopy());
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('verify would report a misspelt directive (so silence above means something)', () => {
    const run = analyze('verify', '--man=no', verifiableCopy(TEXT.replace('LockPersonality=yes', 'LockPersonalty=yes')));
    expect(run.stderr).toMatch(/Unknown key 'LockPersonalty'/);
  });

  it(`has an offline security exposure of at most ${EXPOSURE_TARGET / 10}`, () => {
    const run = analyze('security', '--offline=true', `--threshold=${EXPOSURE_TARGET}`, UNIT);
    const overall = /Overall exposure level for check-mysql\.service: (\d+\.\d)/.exec(run.stdout);
    expect(overall, run.stdout + run.stderr).not.toBeNull();
    expect(Number(overall?.[1])).toBeLessThanOrEqual(EXPOSURE_TARGET / 10);
    expect(run.status, run.stderr).toBe(0);
  });

  it('is exposed only where the daemon must be', () => {
    const run = analyze('security', '--offline=true', '--json=short', UNIT);
    expect(run.status, run.stderr).toBe(0);
    const items = JSON.parse(run.stdout) as { name: string; exposure: string | null }[];
    const exposed = items.filter((item) => item.exposure !== null && Number(item.exposure) > 0).map((item) => item.name);
    expect(exposed.sort()).toEqual(Object.keys(ACCEPTED_EXPOSURE).sort());
  });
});

const TMPFILES = readFileSync(resolve(REPO_ROOT, 'systemd', 'check-mysql.tmpfiles'), 'utf8');
const hasTmpfiles = spawnSync('systemd-tmpfiles', ['--version'], { stdio: 'ignore' }).status === 0;

describe('systemd/check-mysql.tmpfiles: the notify lock\'s directory, writable only by its owner', () => {
  const lines = TMPFILES.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));

  it('creates the directory of the default --lock-file, 0755, as root until told the script user', () => {
    expect(lines).toEqual([`d ${dirname(DEFAULTS.lockFile)} 0755 root root -`]);
  });

  it.skipIf(!hasTmpfiles || process.getuid?.() !== 0)('systemd-tmpfiles --create makes it so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'check-mysql-tmpfiles-'));
    trackDir(dir);
    try {
      const conf = join(dir, 'check-mysql.conf');
      writeFileSync(conf, TMPFILES.replaceAll(dirname(DEFAULTS.lockFile), join(dir, 'run')));
      const run = spawnSync('systemd-tmpfiles', ['--create', conf], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const made = statSync(join(dir, 'run'));
      expect({ dir: made.isDirectory(), mode: made.mode & 0o7777, uid: made.uid }).toEqual({ dir: true, mode: 0o755, uid: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      untrackDir(dir);
    }
  });
});
