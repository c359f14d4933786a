/**
 * The 'promoting' tolerance cannot be tricked: a read-only VIP holder passes only while a MASTER
 * run of ours really holds the notify lock. A lock planted by another user, or one left behind,
 * leaves it failing (writer-read-only), so keepalived moves the VIP instead of keeping a node
 * that takes no writes. The whole chain of a check: --lock-file -> the lock's rules on a host
 * (lock-host.ts) -> Facts.promoting -> the verdict.
 */
import { describe, expect, it } from 'vitest';
import { inspect, type CheckDeps } from '../../src/check.js';
import { deadlineAfter } from '../../src/deadline.js';
import { promotionInProgress } from '../../src/notify/lock-file.js';
import type { CheckSpec } from '../../src/types/config.js';
import type { Session } from '../../src/types/session.js';
import { healthyChannel } from './channel-builder.js';
import { DIR, LOCK, NOBODY, ROOT, US, dirAt, fileAt, lockHost, type PathSetup } from './lock-host.js';

const VIP = '192.0.2.10';
const RUN = 5150;

const SPEC: CheckSpec = {
  connection: { label: 'db1:3306', host: 'db1', port: 3306, user: 'check' },
  timeoutMs: 800,
  policy: { maxLagSeconds: 30, role: 'auto', onSaturated: 'unhealthy', channels: [], vip: VIP },
  lockFile: LOCK,
};

/** A VIP holder that is read-only and otherwise fine, judged with the lock as `host` has it. */
async function verdictWith(host: ReturnType<typeof lockHost>) {
  const deps: CheckDeps = {
    connect: () => Promise.reject(new Error('not used')),
    now: () => 0,
    networkInterfaces: () => ({ eth0: [{ address: VIP, netmask: '255.255.255.255', family: 'IPv4', mac: '52:54:00:12:34:56', internal: false, cidr: `${VIP}/32` }] }),
    promotionInProgress: (path) => promotionInProgress(path, host.fs),
  };
  const server = { version: '10.11.6-MariaDB-log', versionComment: 'test', innodbVersion: '10.11.6', flavor: 'mariadb' as const, serverId: 2, readOnly: true, superReadOnly: null };
  const probe = async () => ({ server: { ok: true as const, value: server, elapsedMs: 1 }, replication: { ok: true as const, value: [healthyChannel()], elapsedMs: 1 } });
  const report = await inspect({} as Session, SPEC, deps, deadlineAfter(800, () => 0), 0, 1, probe);
  return { healthy: report.verdict.healthy, reasons: report.verdict.reasons.map((f) => f.code), warnings: report.verdict.warnings.map((f) => f.code) };
}

const PROMOTING = { healthy: true, reasons: [], warnings: ['promoting'] };
const FAILING = { healthy: false, reasons: ['writer-read-only'], warnings: [] };

describe('a read-only VIP holder is "promoting" only while our own MASTER run holds the lock', () => {
  it('our MASTER run, catching up: promoting (a warning); once it ends: failing again', async () => {
    const host = lockHost({ alive: [RUN] });
    const fd = host.fs.openForLock(LOCK);
    await host.fs.flock(fd, 0);
    host.fs.rewrite(fd, `${RUN} MASTER\n`);
    expect(await verdictWith(host)).toEqual(PROMOTING);
    host.fs.close(fd);
    expect(await verdictWith(host), 'its content stays behind: stale').toEqual(FAILING);
  });

  it.each<{ name: string; paths: Record<string, PathSetup> }>([
    { name: 'planted by nobody in a world-writable directory like /run/lock', paths: { [DIR]: dirAt(ROOT, 0o1777), [LOCK]: fileAt(NOBODY, 0o644) } },
    { name: "in a directory nobody owns (nobody's flock on nobody's file)", paths: { [DIR]: dirAt(NOBODY, 0o755), [LOCK]: fileAt(NOBODY, 0o600) } },
    { name: 'in our directory, but a file of nobody\'s (root put it there)', paths: { [LOCK]: fileAt(NOBODY, 0o600) } },
    { name: 'in our directory, our file, but others may open (and flock) it', paths: { [LOCK]: fileAt(US, 0o644) } },
  ])('a live "MASTER" lock $name: failing, not promoting', async ({ paths }) => {
    const host = lockHost({ paths: { ...paths, [LOCK]: { ...paths[LOCK]!, content: `${RUN} MASTER\n` } }, alive: [RUN] });
    host.holdElsewhere(LOCK);
    expect(await verdictWith(host)).toEqual(FAILING);
  });

  it.each([
    { name: 'content left by a run that ended (no one holds it)', content: `${RUN} MASTER\n`, held: false, alive: [RUN] },
    { name: 'held, but the pid it names is gone', content: `${RUN} MASTER\n`, held: true, alive: [] },
    { name: 'held, but not for MASTER', content: `${RUN} BACKUP\n`, held: true, alive: [RUN] },
  ])('a stale lock of ours: $name: failing', async ({ content, held, alive }) => {
    const host = lockHost({ paths: { [LOCK]: { ...fileAt(US, 0o600), content } }, alive });
    if (held) host.holdElsewhere(LOCK);
    expect(await verdictWith(host)).toEqual(FAILING);
  });
});
