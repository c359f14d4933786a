/**
 * --promotion-grace: a read-only VIP holder that got the VIP moments ago is waiting for
 * keepalived's notify handler, not broken. The one-shot keeps its last sighting of the VIP away
 * in a file beside the notify lock, trusted only under the lock's rules; the daemon keeps it in
 * memory. Both may only ever grant the grace from a real sighting of "not held", within bounds.
 */
import { describe, expect, it } from 'vitest';
import { inspect, type CheckDeps } from '../../src/check.js';
import { deadlineAfter } from '../../src/deadline.js';
import type { CheckSpec } from '../../src/types/config.js';
import type { Session } from '../../src/types/session.js';
import { healthyChannel } from './channel-builder.js';
import { parseArgv } from '../../src/cli/parse-argv.js';
import { buildCheckConfig } from '../../src/config/config.js';
import { fakeFiles, noFiles } from '../helpers/option-files.js';
import { vipSeenInFile, vipSeenPath, type BootClock, type VipSeenFs } from '../../src/notify/vip-seen-file.js';
import { vipSeenInMemory } from '../../src/vip-seen.js';
import { DIR, LOCK, NOBODY, ROOT, US, dirAt, fileAt, lockHost, type HostSetup } from './lock-host.js';

const VIP = '192.0.2.10';
const SEEN = vipSeenPath(LOCK, VIP);
const BOOT = '0b4e2a58-7f9b-4c8e-9d1e-2f3a4b5c6d7e';

function host(setup: HostSetup = {}, clock: { value: BootClock | null } = { value: { boot: BOOT, ms: 100_000 } }) {
  const h = lockHost(setup);
  const replaced: string[] = [];
  const fs: VipSeenFs = {
    ...h.fs,
    replace(path, content) {
      replaced.push(path);
      h.remove(path);
      h.create(path, { ...fileAt(h.fs.euid(), 0o600), content });
    },
    clock: () => clock.value,
  };
  const at = (ms: number, boot = BOOT) => (clock.value = { boot, ms });
  return { ...h, seen: vipSeenInFile(fs), replaced, at, clock };
}

describe('the one-shot remembers when the VIP was last away (a file beside the lock)', () => {
  it('a holder that was seen without the VIP 1.5 s ago is told so', () => {
    const h = host();
    h.at(100_000);
    expect(h.seen(VIP, false, LOCK)).toBe(0);
    expect(h.disk.get(SEEN)!.content).toBe(`not-held ${BOOT} 100000\n`);
    h.at(101_500);
    expect(h.seen(VIP, true, LOCK)).toBe(1500);
  });

  it('only sightings of "not held" are recorded, so the grace runs from the last one and is never renewed while held', () => {
    const h = host();
    h.at(100_000);
    h.seen(VIP, false, LOCK);
    h.at(101_000);
    expect(h.seen(VIP, true, LOCK)).toBe(1000);
    h.at(109_000);
    expect(h.seen(VIP, true, LOCK)).toBe(9000);
    expect(h.replaced).toHaveLength(1);
  });

  it('a holder never seen without the VIP (first run, after a reboot) knows nothing', () => {
    expect(host().seen(VIP, true, LOCK)).toBeUndefined();
  });

  it('each VIP has its own file', () => {
    const h = host();
    h.seen('192.0.2.11', false, LOCK);
    expect(h.seen(VIP, true, LOCK)).toBeUndefined();
  });

  it.each<[string, HostSetup['paths']]>([
    ['owned by another user', { [SEEN]: { ...fileAt(NOBODY, 0o600), content: `not-held ${BOOT} 99000\n` } }],
    ['readable by the group', { [SEEN]: { ...fileAt(US, 0o640), content: `not-held ${BOOT} 99000\n` } }],
    ['a symbolic link', { [SEEN]: { ...fileAt(US, 0o777, 'symlink'), content: `not-held ${BOOT} 99000\n` } }],
    ['in a directory others can write', { [DIR]: dirAt(US, 0o1777), [SEEN]: { ...fileAt(US, 0o600), content: `not-held ${BOOT} 99000\n` } }],
    ['in a directory another user owns', { [DIR]: dirAt(NOBODY, 0o755), [SEEN]: { ...fileAt(US, 0o600), content: `not-held ${BOOT} 99000\n` } }],
    ['from another boot', { [SEEN]: { ...fileAt(US, 0o600), content: 'not-held 11111111-2222-3333-4444-555555555555 99000\n' } }],
    ['from the future', { [SEEN]: { ...fileAt(US, 0o600), content: `not-held ${BOOT} 100001\n` } }],
    ['with anything else in it', { [SEEN]: { ...fileAt(US, 0o600), content: `not-held ${BOOT} 99000\nmore\n` } }],
  ])('a file %s is not believed', (_name, paths) => {
    expect(host({ paths }).seen(VIP, true, LOCK)).toBeUndefined();
  });

  it("root's file is believed, as root's lock is", () => {
    const h = host({ paths: { [SEEN]: { ...fileAt(ROOT, 0o600), content: `not-held ${BOOT} 99000\n` } } });
    expect(h.seen(VIP, true, LOCK)).toBe(1000);
  });

  it('nothing is written into a directory others could have swapped files in', () => {
    const h = host({ paths: { [DIR]: dirAt(US, 0o777) } });
    expect(h.seen(VIP, false, LOCK)).toBe(0);
    expect(h.replaced).toEqual([]);
  });

  it('creates the lock directory 0755 when missing, as the notify handler does', () => {
    const h = host();
    h.remove(DIR);
    h.seen(VIP, false, LOCK);
    expect(h.disk.get(DIR)!.facts).toMatchObject({ kind: 'directory', uid: US, mode: 0o755 });
    expect(h.replaced).toEqual([SEEN]);
  });

  it('without a boot clock nothing is recorded nor believed', () => {
    const h = host({ paths: { [SEEN]: { ...fileAt(US, 0o600), content: `not-held ${BOOT} 99000\n` } } }, { value: null });
    expect(h.seen(VIP, true, LOCK)).toBeUndefined();
    expect(h.seen(VIP, false, LOCK)).toBeUndefined();
    expect(h.replaced).toEqual([]);
  });

  it('a failing write is swallowed: the check goes on, with no grace to come', () => {
    const h = host();
    const seen = vipSeenInFile({ ...h.fs, replace: () => { throw new Error('EACCES'); }, clock: () => ({ boot: BOOT, ms: 1 }) });
    expect(() => seen(VIP, false, LOCK)).not.toThrow();
  });
});

describe('the daemon remembers it in memory', () => {
  it('counts from its last check that saw the VIP away, and knows nothing before the first one', () => {
    let t = 0;
    const seen = vipSeenInMemory(() => t);
    expect(seen(VIP, true, undefined)).toBeUndefined();
    t = 1000;
    expect(seen(VIP, false, undefined)).toBe(0);
    t = 2200;
    expect(seen(VIP, true, undefined)).toBe(1200);
    t = 9000;
    expect(seen(VIP, true, undefined)).toBe(8000);
  });
});

describe('the whole chain of a one-shot check: interfaces -> the file -> the verdict', () => {
  const server = { version: '10.11.6-MariaDB-log', versionComment: 'test', innodbVersion: '10.11.6', flavor: 'mariadb' as const, serverId: 2, readOnly: true, superReadOnly: null };
  const probe = async () => ({ server: { ok: true as const, value: server, elapsedMs: 1 }, replication: { ok: true as const, value: [healthyChannel()], elapsedMs: 1 } });
  const iface = { address: VIP, netmask: '255.255.255.255', family: 'IPv4' as const, mac: '52:54:00:12:34:56', internal: false, cidr: `${VIP}/32` };

  async function check(h: ReturnType<typeof host>, held: boolean, graceS?: number) {
    const spec: CheckSpec = {
      connection: { label: 'db2:3306', host: 'db2', port: 3306, user: 'check' },
      timeoutMs: 800,
      policy: { maxLagSeconds: 30, role: 'auto', onSaturated: 'unhealthy', channels: [], vip: VIP, ...(graceS !== undefined && { promotionGraceS: graceS }) },
      lockFile: LOCK,
    };
    const deps: CheckDeps = { connect: () => Promise.reject(new Error('not used')), now: () => 0, networkInterfaces: () => (held ? { eth0: [iface] } : {}), vipSeen: h.seen };
    const v = (await inspect({} as Session, spec, deps, deadlineAfter(800, () => 0), 0, 1, probe)).verdict;
    return [v.role, v.healthy, [...v.reasons, ...v.warnings].map((f) => f.code).join(',')];
  }

  it('the VIP arrives on a read-only standby: promoting within the grace, writer-read-only after it', async () => {
    const h = host();
    h.at(100_000);
    expect(await check(h, false, 5)).toEqual(['standby', true, '']);
    h.at(101_200);
    expect(await check(h, true, 5)).toEqual(['writer', true, 'promoting']);
    h.at(104_900);
    expect(await check(h, true, 5)).toEqual(['writer', true, 'promoting']);
    h.at(105_000);
    expect(await check(h, true, 5)).toEqual(['writer', false, 'writer-read-only']);
  });

  it('without --promotion-grace in the policy (0), a read-only holder fails at once, as before', async () => {
    const h = host();
    h.at(100_000);
    await check(h, false);
    h.at(100_500);
    expect(await check(h, true)).toEqual(['writer', false, 'writer-read-only']);
  });
});

describe('--promotion-grace as a setting', () => {
  const grace = (args: string[], fs = noFiles) => buildCheckConfig({ argv: parseArgv(['--vip', VIP, ...args]), env: {}, fs }).policy.promotionGraceS;

  it('defaults to 5 s, takes 0 (off) to 60', () => {
    expect(grace(['--no-defaults'])).toBe(5);
    expect(grace(['--no-defaults', '--promotion-grace', '0'])).toBe(0);
    expect(grace(['--no-defaults', '--promotion-grace', '2.5'])).toBe(2.5);
  });

  it.each(['61', '-1', 'soon'])('refuses %s with one line naming it', (value) => {
    expect(() => grace(['--no-defaults', '--promotion-grace', value])).toThrow(`invalid --promotion-grace '${value}': expected seconds from 0 to 60`);
  });

  it("is read from the option file's [check-mysql] group, as --lock-file is; the command line wins", () => {
    const fs = fakeFiles({ '/etc/check-mysql/my.cnf': '[check-mysql]\npromotion-grace = 0\n' });
    expect(grace(['--defaults-file=/etc/check-mysql/my.cnf'], fs)).toBe(0);
    expect(grace(['--defaults-file=/etc/check-mysql/my.cnf', '--promotion-grace', '3'], fs)).toBe(3);
  });
});
