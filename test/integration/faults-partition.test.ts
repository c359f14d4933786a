/**
 * A silent partition between the writer and the standby (issue 10, "Real components"): the
 * end-to-end pair in network namespaces, nftables rules in both namespaces dropping every packet
 * from the other node (TEST-NET-1 only; no RST, so TCP stays up). Characterizes the lie a
 * checker must see through: with slave_net_timeout above the partition's length, the standby
 * shows Slave_IO_Running Yes and Seconds_Behind_Master 0 while the writer's rows pile up, and
 * only pt-heartbeat's age shows the true lag; with a low slave_net_timeout the IO thread
 * notices. Both catch up once the link heals. Figures printed as "measured: ...".
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { ptHeartbeatCheck, ptHeartbeatMissing, PtHeartbeatUpdater } from '../helpers/clients/pt-heartbeat.js';
import { measured } from '../helpers/measured.js';
import { findIp, inNetns } from '../helpers/netns/namespace.js';
import { nftMissing, partition, type Partition } from '../helpers/netns/partition.js';
import { findBinaries } from '../helpers/servers/binaries.js';
import { startBridgedPair, type BridgedPair } from '../helpers/servers/bridged-pair.js';
import { WRITES_TABLE } from '../helpers/servers/ns-pair.js';
import type { NsServer } from '../helpers/servers/ns-server.js';
import { waitForThreads } from '../helpers/servers/replication.js';
import { describeNeeding } from '../helpers/suite.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const HB_DB = 'hb';
const WRITES = 10;
const WRITE_PAUSE_MS = 500;

function missing(): string | undefined {
  const mariadb = findBinaries();
  if (typeof mariadb === 'string') return mariadb;
  if (!findIp()) return 'ip not found (apt-get install iproute2)';
  return nftMissing() ?? ptHeartbeatMissing();
}

interface ReplicaView {
  io: string;
  sql: string;
  secondsBehind: unknown;
}

async function replicaView(standby: NsServer): Promise<ReplicaView> {
  const [r] = await standby.slaveStatus();
  return { io: String(r?.Slave_IO_Running), sql: String(r?.Slave_SQL_Running), secondsBehind: r?.Seconds_Behind_Master };
}

/** The standby's established TCP connections to the writer's mysqld (its IO thread's). */
async function replicaConnections(pair: BridgedPair): Promise<string[]> {
  const [cmd, args] = inNetns(pair.names.b, 'ss', ['-tnH', 'state', 'established', 'dst', `${pair.a.host}:${pair.a.port}`]);
  const { stdout } = await run(cmd, args);
  return stdout.trim().split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/).slice(-2).join(' '));
}

describeNeeding(missing(), 'a silent partition between the writer and the standby', () => {
  let pair: BridgedPair;
  let hb: PtHeartbeatUpdater | undefined;
  let cut: Partition | undefined;
  let seq = 1_000;

  const setSlaveNetTimeout = async (s: number) => {
    await pair.b.exec('STOP SLAVE', `SET GLOBAL slave_net_timeout=${s}`, 'START SLAVE');
    await waitForThreads(pair.b);
  };
  const rowsOn = async (server: NsServer): Promise<number> => Number((await server.sql(`SELECT COUNT(*) AS n FROM ${WRITES_TABLE}`))[0]?.n);
  const heartbeatLag = () => ptHeartbeatCheck(pair.b, HB_DB, pair.a.serverId);
  const cutLink = () => partition({ netns: pair.names.a, address: pair.a.host }, { netns: pair.names.b, address: pair.b.host });
  const healAndCatchUp = async (): Promise<number> => {
    const t0 = Date.now();
    await cut?.heal();
    const want = await rowsOn(pair.a);
    await waitFor('the standby to catch up after the link healed', async () => (await rowsOn(pair.b)) === want, { timeoutMs: 60_000, intervalMs: 100 });
    return Date.now() - t0;
  };

  beforeAll(async () => {
    pair = await startBridgedPair();
    await pair.a.exec(`CREATE DATABASE ${HB_DB}`);
    hb = await PtHeartbeatUpdater.start(pair.a, { db: HB_DB });
    await waitFor('pt-heartbeat rows on the standby, fresh', async () => (await heartbeatLag()) < 1.5, { timeoutMs: 20_000, intervalMs: 250 });
  });

  afterEach(async () => {
    await cut?.heal();
  });

  afterAll(async () => {
    await cut?.heal().catch(() => undefined);
    await hb?.stop();
    await pair?.cleanup();
  });

  it('with slave_net_timeout 60 the standby shows IO Yes and Seconds_Behind_Master 0 while rows pile up; pt-heartbeat shows the lag; TCP stays up', async () => {
    await setSlaveNetTimeout(60);
    const connsBefore = await replicaConnections(pair);
    expect(connsBefore).toHaveLength(1);
    const rowsBefore = await rowsOn(pair.b);

    cut = await cutLink();
    for (let i = 0; i < WRITES; i++) {
      await pair.a.exec(`INSERT INTO ${WRITES_TABLE} (seq, server_id) VALUES (${++seq}, @@server_id)`);
      await new Promise((r) => setTimeout(r, WRITE_PAUSE_MS));
    }
    const firstLag = await heartbeatLag();
    const view = await replicaView(pair.b);
    const missingRows = (await rowsOn(pair.a)) - (await rowsOn(pair.b));
    const secondLag = await heartbeatLag();
    const since = (Date.now() - cut.since) / 1000;
    const dropped = await cut.dropped();

    expect(view).toEqual({ io: 'Yes', sql: 'Yes', secondsBehind: 0 });
    expect(missingRows).toBe(WRITES);
    expect(await rowsOn(pair.b)).toBe(rowsBefore);
    expect(firstLag).toBeGreaterThanOrEqual((WRITES * WRITE_PAUSE_MS) / 1000 - 1);
    expect(secondLag).toBeGreaterThan(firstLag);
    expect(await replicaConnections(pair)).toEqual(connsBefore);
    expect(dropped.every((n) => n > 0)).toBe(true);
    measured(`silent partition, slave_net_timeout 60: after ${since.toFixed(1)} s the standby shows IO=${view.io} SQL=${view.sql} Seconds_Behind_Master=${String(view.secondsBehind)} with ${missingRows} of the writer's rows missing; pt-heartbeat --check lag ${firstLag} s then ${secondLag} s; its TCP connection still ESTABLISHED (${connsBefore[0]}); packets dropped a/b ${dropped.join('/')}`);

    const catchUpMs = await healAndCatchUp();
    const lagAfter = await waitFor('a fresh heartbeat after healing', async () => {
      const l = await heartbeatLag();
      return l < 1.5 ? l : false;
    }, { timeoutMs: 20_000, intervalMs: 250 });
    measured(`silent partition healed: the standby had all rows ${catchUpMs} ms later (over the same TCP connection: ${JSON.stringify(await replicaConnections(pair)) === JSON.stringify(connsBefore)}), pt-heartbeat lag ${lagAfter} s`);
  }, 90_000);

  it('with slave_net_timeout 3 the IO thread notices the partition (Connecting, Seconds_Behind_Master NULL) and catches up once healed', async () => {
    await setSlaveNetTimeout(3);
    cut = await cutLink();
    let writes = 0;
    const noticed = await waitFor('the IO thread to leave "Yes"', async () => {
      if (writes < 20) {
        await pair.a.exec(`INSERT INTO ${WRITES_TABLE} (seq, server_id) VALUES (${++seq}, @@server_id)`);
        writes++;
      }
      const v = await replicaView(pair.b);
      return v.io !== 'Yes' ? v : false;
    }, { timeoutMs: 20_000, intervalMs: 100 });
    const noticeMs = Date.now() - (cut as Partition).since;
    expect(noticed.io).toBe('Connecting');
    expect(noticed.secondsBehind).toBeNull();
    expect(noticeMs).toBeLessThan(10_000);
    measured(`silent partition, slave_net_timeout 3 (MASTER_HEARTBEAT_PERIOD 1): IO=${noticed.io}, Seconds_Behind_Master=${String(noticed.secondsBehind)} ${noticeMs} ms after the rules went in`);

    const catchUpMs = await healAndCatchUp();
    await waitForThreads(pair.b, 30_000);
    measured(`silent partition healed (slave_net_timeout 3): the standby had all rows ${catchUpMs} ms later`);
  }, 90_000);
});
