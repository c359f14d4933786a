// REAL keepalived must see a check-mysql daemon that is killed, stopped (SIGSTOP), never
// started or shut down as FAULT within 3 intervals. A track_file alone fails open (keepalived
// keeps the last value its dead writer left); the freshness guard (bin/check-mysql-fresh as a
// vrrp_script) and init_file/init_fail close those holes. Each case gets its own network
// namespace and keepalived; the daemon runs in the root namespace against a real mariadbd, and
// keepalived only reads its files (the namespace shares the filesystem).
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { assertCliRuns } from '../helpers/clients/cli.js';
import { DaemonProcess } from '../helpers/clients/daemon.js';
import { readOrUndefined, readStatus, waitForTrack } from '../helpers/clients/daemon-outputs.js';
import { startKeepalived as spawnKeepalived } from '../helpers/keepalived/daemon-conf.js';
import type { KeepalivedProcess as Keepalived } from '../helpers/keepalived/process.js';
import { describeWithKeepalived } from '../helpers/suite.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { startServer, type Server } from '../helpers/servers/server.js';
import { createNetns, type Netns } from '../helpers/netns/single-host.js';
import { freePort } from '../helpers/ports.js';

/** keepalived's vrrp_script interval and the daemon's: the bound is 3 of them. */
const INTERVAL_MS = 1000;
const FAULT_BOUND_MS = 3 * INTERVAL_MS;
/** With no peer, BACKUP becomes MASTER after 3 x advert_int + skew ((256 - 100) / 256 s). */
const MASTER_WITHIN_MS = 3 * INTERVAL_MS + 600;
/** The guard's MAX_AGE_SECONDS: 3 daemon intervals. */
const MAX_AGE_S = 3;

const figures: string[] = [];
function report(line: string): void {
  figures.push(line);
  console.log(`[daemon-keepalived] ${line}`);
}

describeWithKeepalived('keepalived sees a killed, stopped or missing check-mysql daemon as FAULT', () => {
  let server: Server;
  let dir: string;
  const check = { user: 'check', password: randomBytes(12).toString('hex') };
  let cases = 0;
  let daemon: DaemonProcess | undefined;
  let keepalived: Keepalived | undefined;
  let netns: Netns | undefined;

  beforeAll(async () => {
    await assertCliRuns();
    [server, dir] = await Promise.all([startServer({ serverId: 1 }), makeTempDir()]);
    await server.exec(
      `CREATE USER '${check.user}'@'127.0.0.1' IDENTIFIED BY '${check.password}'`,
      `GRANT SLAVE MONITOR ON *.* TO '${check.user}'@'127.0.0.1'`,
    );
  });

  async function teardown(): Promise<void> {
    // SIGKILL ends a SIGSTOPped daemon too; then keepalived, then its namespace.
    await daemon?.kill();
    await keepalived?.stop();
    await netns?.remove();
    daemon = keepalived = netns = undefined;
  }

  afterEach(teardown);

  afterAll(async () => {
    await teardown();
    await server?.cleanup();
    if (dir) await removeTempDir(dir);
    if (figures.length > 0) console.log(`[daemon-keepalived] figures:\n  ${figures.join('\n  ')}`);
  });

  interface Case {
    trackFile: string;
    statusFile: string;
    /** Epoch ms just before keepalived was spawned. */
    startedAt: number;
  }

  /** A fresh namespace and keepalived, with the daemon's files still absent (boot order). */
  async function startKeepalived(): Promise<Case> {
    const caseDir = join(dir, `case-${++cases}`);
    mkdirSync(caseDir, { mode: 0o700 });
    const trackFile = join(caseDir, 'mysql.track');
    const statusFile = join(caseDir, 'mysql.status.json');
    netns = await createNetns();
    const startedAt = Date.now();
    keepalived = await spawnKeepalived({ netns: netns.name, iface: netns.iface, dir: caseDir, trackFile, statusFile, maxAgeS: MAX_AGE_S });
    return { trackFile, statusFile, startedAt };
  }

  async function startDaemon(c: Case): Promise<DaemonProcess> {
    daemon = await DaemonProcess.start({
      marker: c.trackFile,
      password: check.password,
      args: [
        '--no-defaults', '-h', '127.0.0.1', '-P', String(server.port), '-u', check.user,
        '--track-file', c.trackFile, '--status-file', c.statusFile, '--listen', `127.0.0.1:${await freePort()}`,
        '--interval', String(INTERVAL_MS / 1000), '--rise', '1', '--fall', '2',
      ],
    });
    return daemon;
  }

  /** keepalived FAULT at boot, then a healthy daemon takes it to MASTER: the state every case starts from. */
  async function healthyMaster(): Promise<{ c: Case; daemon: DaemonProcess; masterAt: number; daemonAt: number }> {
    const c = await startKeepalived();
    const ka = keepalived as Keepalived;
    await ka.waitForState('FAULT', c.startedAt, 5_000);
    const daemonAt = Date.now();
    const d = await startDaemon(c);
    await waitForTrack(c.trackFile, 0, 5_000);
    const master = await ka.waitForState('MASTER', daemonAt, INTERVAL_MS + MASTER_WITHIN_MS + 2_000);
    return { c, daemon: d, masterAt: master.at, daemonAt };
  }

  /** Time from `t0` (epoch ms) to the first FAULT keepalived notifies after it. */
  async function timeToFault(t0: number): Promise<number> {
    const fault = await (keepalived as Keepalived).waitForState('FAULT', t0, FAULT_BOUND_MS + 5_000);
    return fault.at - t0;
  }

  it('a healthy daemon takes keepalived from FAULT at boot to MASTER', async () => {
    const { daemonAt, masterAt } = await healthyMaster();
    const ka = keepalived as Keepalived;

    report(`(a) healthy daemon started -> keepalived MASTER: ${masterAt - daemonAt} ms`);
    expect(ka.states().map((s) => s.state), ka.describe()).toEqual(['FAULT', 'BACKUP', 'MASTER']);
  });

  it('a daemon killed with kill -9 puts keepalived in FAULT within 3 intervals, though its track file still says 0', async () => {
    const { c, daemon: d } = await healthyMaster();

    const t0 = Date.now();
    d.signal('SIGKILL');
    const ms = await timeToFault(t0);

    report(`(b) kill -9 daemon -> keepalived FAULT: ${ms} ms`);
    // Fail-open trap 3: the dead writer's last word is still "healthy"...
    expect(readOrUndefined(c.trackFile)).toBe('0\n');
    // ...so only the freshness guard can have caught it.
    expect(ms, (keepalived as Keepalived).describe()).toBeLessThanOrEqual(FAULT_BOUND_MS);
  });

  it('a daemon frozen with SIGSTOP puts keepalived in FAULT within 3 intervals', async () => {
    const { c, daemon: d } = await healthyMaster();

    const t0 = Date.now();
    d.signal('SIGSTOP');
    let ms: number;
    try {
      ms = await timeToFault(t0);
    } finally {
      d.signal('SIGCONT');
    }

    report(`(c) SIGSTOP daemon -> keepalived FAULT: ${ms} ms`);
    expect(readOrUndefined(c.trackFile)).toBe('0\n');
    expect(ms, (keepalived as Keepalived).describe()).toBeLessThanOrEqual(FAULT_BOUND_MS);
  });

  it('with no daemon ever started keepalived is in FAULT from the start and never becomes MASTER', async () => {
    const c = await startKeepalived();
    const ka = keepalived as Keepalived;
    const fault = await ka.waitForState('FAULT', c.startedAt, FAULT_BOUND_MS + 5_000);
    // Long enough for a healthy start to have reached MASTER (see case a).
    await sleep(MASTER_WITHIN_MS + 1_500);

    report(`(d) no daemon: keepalived spawned -> FAULT: ${fault.at - c.startedAt} ms, then FAULT for ${Date.now() - fault.at} ms`);
    expect(ka.states().map((s) => s.state), ka.describe()).toEqual(['FAULT']);
    expect(fault.at - c.startedAt, ka.describe()).toBeLessThanOrEqual(FAULT_BOUND_MS);
    // init_file 1 overwrite: the file exists and says fault before any daemon writes it.
    expect(Number.parseInt(readOrUndefined(c.trackFile) ?? '', 10)).toBe(1);
    expect(readOrUndefined(c.statusFile)).toBeUndefined();
  });

  it('a daemon stopped cleanly with SIGTERM puts keepalived in FAULT within 3 intervals', async () => {
    const { c, daemon: d } = await healthyMaster();

    const t0 = Date.now();
    const stopping = d.stop();
    const ms = await timeToFault(t0);
    const { exit } = await stopping;

    report(`(e) SIGTERM daemon -> keepalived FAULT: ${ms} ms`);
    expect(exit.code, d.describe()).toBe(0);
    expect(readOrUndefined(c.trackFile)).toBe('1\n');
    expect(readStatus(c.statusFile)).toMatchObject({ healthy: false, state: 'stopped' });
    expect(ms, (keepalived as Keepalived).describe()).toBeLessThanOrEqual(FAULT_BOUND_MS);
  });
});
