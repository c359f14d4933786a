/**
 * Fencing never fails open, and the notify lock cannot be faked, against a real master-master
 * pair and real users (issue 9, "Fencing and the notify lock"):
 *  - BACKUP/FAULT/STOP demote whatever the lock path is, and never wait behind a MASTER run;
 *  - a lock planted by another user (a live pid, "MASTER", even really flock-ed) makes no
 *    read-only VIP holder 'promoting' and holds up no notify run;
 *  - MASTER without --vip is refused before the server is touched.
 * The VIP that moves is a TEST-NET-1 address in a network namespace of our own; notify runs in
 * it and reaches mariadbd over its Unix socket (namespaces share the file system).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, runCheck, type CheckRun } from '../helpers/clients/cli.js';
import { findIp, ipIn } from '../helpers/netns/namespace.js';
import { createNetns, NETNS_INTERFACE, type Netns } from '../helpers/netns/single-host.js';
import { trackGroup, untrackGroup } from '../helpers/reaper.js';
import { findBinaries } from '../helpers/servers/binaries.js';
import { startPair, type Pair } from '../helpers/servers/pair.js';
import type { Server } from '../helpers/servers/server.js';
import { describeNeeding } from '../helpers/suite.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const NOTIFY = { user: 'notify', password: 'notify-pw' };
/** In our namespace only (TEST-NET-1): added and removed as keepalived would. */
const VIP = '192.0.2.100';
const NOT_HELD = ['--vip', '192.0.2.250'];
const NOBODY = ['--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups'];

function missing(): string | undefined {
  const mariadb = findBinaries();
  if (typeof mariadb === 'string') return mariadb;
  if (!findIp()) return 'ip not found (apt-get install iproute2)';
  if (process.getuid?.() !== 0) return 'network namespaces and another user (setpriv) need root';
  return undefined;
}

describeNeeding(missing(), 'notify fencing: demotion never fails open or waits, and the lock cannot be faked', () => {
  let pair: Pair;
  let dir: string;
  let netns: Netns;
  const planters: ChildProcess[] = [];

  beforeAll(async () => {
    [pair, dir, netns] = await Promise.all([startPair(), makeTempDir(), createNetns()]);
    chmodSync(dir, 0o755); // so that nobody can reach the directories planted below
    await pair.b.exec(
      'SET SESSION sql_log_bin=0',
      `CREATE USER '${NOTIFY.user}'@'localhost' IDENTIFIED BY '${NOTIFY.password}'`,
      `GRANT READ_ONLY ADMIN, CONNECTION ADMIN, PROCESS, SLAVE MONITOR, REPLICATION SLAVE ADMIN ON *.* TO '${NOTIFY.user}'@'localhost'`,
      'SET SESSION sql_log_bin=1',
    );
  });

  afterAll(async () => {
    for (const p of planters) {
      if (p.pid !== undefined && p.exitCode === null) process.kill(-p.pid, 'SIGKILL');
      if (p.pid !== undefined) untrackGroup(p.pid);
    }
    await pair?.cleanup();
    await netns?.remove();
    if (dir) await removeTempDir(dir);
  });

  const lockIn = (name: string) => join(dir, name, 'notify.lock');
  /** `check-mysql notify` on B, as keepalived would run it; `ms` is its wall time. */
  const notify = async (state: string, flags: string[], lockFile: string, netnsName?: string): Promise<CheckRun & { ms: number }> => {
    const run = await runCheck(['notify', '--no-defaults', '--no-syslog', '--socket', pair.b.socket, '-u', NOTIFY.user, '--log-file', join(dir, 'notify.log'),
      '--lock-file', lockFile, ...flags, 'INSTANCE', 'VI_1', state, '100'], { password: NOTIFY.password, killAfterMs: 60_000, ...(netnsName && { netns: netnsName }) });
    return { ...run, ms: Math.round(run.wallMs) };
  };
  const readOnly = async (s: Server) => ['1', 'ON'].includes(await s.variable('read_only'));
  const setReadOnly = (s: Server, on: boolean) => s.exec(`SET GLOBAL read_only = ${on ? 'ON' : 'OFF'}`);

  /** A directory `owner` owns with `mode`, and its lock path. */
  function plantedDir(name: string, mode: number, owner: 'root' | 'nobody'): string {
    const d = join(dir, name);
    mkdirSync(d);
    if (owner === 'nobody') chownSync(d, 65534, 65534);
    chmodSync(d, mode);
    return join(d, 'notify.lock');
  }

  /**
   * As nobody: "PID MASTER" in `lock`, PID alive (the flock(1) that then holds an exclusive
   * flock on the file, as a real MASTER run would), until the suite ends.
   */
  async function plantHeldLock(lock: string): Promise<void> {
    const p = spawn('setpriv', [...NOBODY, 'sh', '-c', 'echo "$$ MASTER" > "$1" && exec flock -x "$1" sleep 120', 'sh', lock], { detached: true, stdio: 'ignore' });
    planters.push(p);
    trackGroup(p.pid!, 'notify-fencing planted lock');
    await waitFor(`nobody holds ${lock}`, () => {
      try {
        return readFileSync('/proc/locks', 'utf8').includes(`:${statSync(lock).ino} `);
      } catch {
        return false;
      }
    });
    expect(statSync(lock).uid).toBe(65534);
  }

  it.each([
    { name: 'a missing directory', lock: () => lockIn('no-such-dir') },
    { name: 'a directory that refuses new files (sysfs)', lock: () => '/sys/check-mysql-notify.lock' },
    { name: 'a path below a regular file', lock: () => (writeFileSync(join(dir, 'plain'), ''), join(dir, 'plain', 'notify.lock')) },
    { name: "another user's directory", lock: () => plantedDir('nobodys', 0o755, 'nobody') },
    { name: 'a world-writable directory like /run/lock', lock: () => plantedDir('sticky', 0o1777, 'root') },
  ])('FAULT with $name for the lock still makes the writer read-only, and exits 0', async ({ lock }) => {
    await setReadOnly(pair.b, false);
    const run = await notify('FAULT', NOT_HELD, lock());
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/INSTANCE VI_1 -> FAULT: demoted: read_only=OFF -> read_only=ON/);
    expect(await readOnly(pair.b)).toBe(true);
  });

  it('a FAULT during a MASTER run\'s catch-up demotes within about a second, and the MASTER run then does not promote', async () => {
    const lock = plantedDir('catch-up', 0o755, 'root');
    await ipIn(netns.name, 'addr', 'add', `${VIP}/32`, 'dev', NETNS_INTERFACE);
    // B applies what it receives 4 s late (MASTER_DELAY): B has something to catch up, with
    // both threads running, as the promotion finds them. (Not a row lock that blocks the
    // applier: SET GLOBAL read_only = ON waits for a write transaction in flight, the applier's
    // too, and that is another matter than the notify lock. Not a stopped SQL thread either: the
    // promotion stops the IO thread, and a catch-up needs a running SQL thread.)
    await pair.b.exec('STOP SLAVE', 'CHANGE MASTER TO MASTER_DELAY = 4', 'START SLAVE');
    await pair.a.exec(`UPDATE ${pair.schema}.t SET v = v + 1 WHERE id = 1`);
    const [source] = await pair.a.sql('SHOW MASTER STATUS');
    await waitFor('B received the event', async () => {
      const [row] = await pair.b.slaveStatus();
      return row !== undefined && Number(row.Read_Master_Log_Pos) >= Number(source!.Position);
    });
    const master = notify('MASTER', ['--vip', VIP, '--catchup-timeout', '8'], lock, netns.name);
    try {
      await waitFor('the MASTER run is catching up', async () => (await pair.b.sql("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT MASTER_GTID_WAIT%'")).length > 0);
      // keepalived removes the VIP before it runs notify FAULT. The node is made writable here
      // only to see the FAULT run act: a catching-up node is read-only anyway.
      await ipIn(netns.name, 'addr', 'del', `${VIP}/32`, 'dev', NETNS_INTERFACE);
      await setReadOnly(pair.b, false);
      const fault = await notify('FAULT', ['--vip', VIP], lock, netns.name);
      console.log(`[notify-fencing] FAULT during a MASTER catch-up: ${fault.ms} ms, exit ${fault.code}`);
      expect(fault.code, fault.stdout + fault.stderr).toBe(0);
      expect(fault.stdout).toMatch(/-> FAULT: demoted: read_only=OFF -> read_only=ON/);
      expect(fault.ms).toBeLessThan(1500);
      expect(await readOnly(pair.b)).toBe(true);
      const promoted = await master;
      expect(promoted.code, promoted.stdout + promoted.stderr).toBe(0);
      expect(promoted.stdout).toMatch(/stale MASTER notification: VIP 192.0.2.100 is not on this node any more; not promoting \(after catching up\)/);
      expect(await readOnly(pair.b)).toBe(true);
      // The MASTER run stopped the IO thread first; the FAULT run, or the MASTER run itself once
      // it saw the VIP gone, started it again: a standby replicates.
      expect((await pair.b.slaveStatus())[0]?.Slave_IO_Running).toBe('Yes');
    } finally {
      await master;
      await pair.b.exec('STOP SLAVE', 'CHANGE MASTER TO MASTER_DELAY = 0', 'START SLAVE');
    }
  });

  it.each([
    { name: "in another user's directory", mode: 0o755, owner: 'nobody' as const },
    { name: 'in a world-writable directory like /run/lock', mode: 0o1777, owner: 'root' as const },
  ])('a lock planted by nobody $name (live pid, MASTER, flock-ed) does not make a read-only VIP holder "promoting"', async ({ name, mode, owner }) => {
    const lock = plantedDir(`planted-${name.length}-${mode}`, mode, owner);
    await plantHeldLock(lock);
    expect(await readOnly(pair.b)).toBe(true);
    const check = await runCheck(['--no-defaults', '--no-syslog', '-h', '127.0.0.1', '-P', String(pair.b.port), '-u', pair.check.user, '--json', '--vip', '127.0.0.1', '--lock-file', lock], { password: pair.check.password });
    expect(check.json?.warnings.map(codeOf), check.stdout).not.toContain('promoting');
    expect(check.json?.reasons.map(codeOf), check.stdout).toContain('writer-read-only');
    expect(check.code).toBe(1);

    // Nor does it hold up notify: BACKUP demotes at once, MASTER refuses at once in one line.
    await setReadOnly(pair.b, false);
    const backup = await notify('BACKUP', [...NOT_HELD, '--catchup-timeout', '1'], lock);
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    expect(backup.ms).toBeLessThan(3000);
    expect(await readOnly(pair.b)).toBe(true);
    const master = await notify('MASTER', ['--vip', '127.0.0.1', '--catchup-timeout', '1'], lock);
    console.log(`[notify-fencing] lock planted by nobody ${name}: BACKUP demoted in ${backup.ms} ms, MASTER refused in ${master.ms} ms`);
    expect(master.code, master.stdout + master.stderr).toBe(1);
    expect(master.ms).toBeLessThan(3000);
    expect(master.stderr).toMatch(new RegExp(`^check-mysql notify: INSTANCE VI_1 MASTER: not promoting: .*${lock.slice(0, -'/notify.lock'.length).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\n$`));
    expect(await readOnly(pair.b)).toBe(true);
  });

  it('MASTER without --vip is refused in one line (exit 2) before the server is touched', async () => {
    await setReadOnly(pair.b, true);
    const run = await notify('MASTER', [], lockIn('no-vip'));
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toMatch(/^check-mysql notify: MASTER without --vip: .*\n$/);
    expect(run.stdout).toBe('');
    expect(await readOnly(pair.b)).toBe(true);
    // Demotion without --vip still acts.
    await setReadOnly(pair.b, false);
    const backup = await notify('BACKUP', [], lockIn('no-vip'));
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    expect(await readOnly(pair.b)).toBe(true);
  });
});
