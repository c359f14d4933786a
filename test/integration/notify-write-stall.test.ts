/**
 * Fencing after a write stall (issue 10): `check-mysql notify ... FAULT` on a writer whose
 * commits are stuck, against real mariadbd, and what becomes of the commit that was waiting:
 *  - full binlog disk: read_only=ON would wait behind the stuck commit until space returns (and
 *    the commit would then land); the handler's bounded SET gives up, it ends the stuck writes
 *    (KILL QUERY), sets read_only, and nothing of theirs ever commits;
 *  - held FLUSH TABLES WITH READ LOCK: read_only=ON returns at once, nothing is killed, and the
 *    waiting INSERT fails with 1290 when the lock goes;
 *  - semi-sync without an ACK: read_only=ON waits behind the commit too; the handler ends its
 *    connection, the commit stays on this node (it was in the binlog already) and reaches the
 *    peer when its replication resumes.
 * Each figure is printed on one line ("measured: ...").
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRun, runCheck, type CheckRun } from '../helpers/clients/cli.js';
import { PendingWrite } from '../helpers/clients/pending-write.js';
import { smallFsMissing } from '../helpers/disk/small-fs.js';
import { measured } from '../helpers/measured.js';
import { findIp } from '../helpers/netns/namespace.js';
import { createAppUser } from '../helpers/servers/app-user.js';
import { binlogReaderMissing, binlogText } from '../helpers/servers/binlog-text.js';
import { findBinaries } from '../helpers/servers/binaries.js';
import { startBridgedPair, type BridgedPair } from '../helpers/servers/bridged-pair.js';
import type { Credentials } from '../helpers/servers/credentials.js';
import { DiskServer } from '../helpers/servers/disk-server.js';
import { SCHEMA as PAIR_SCHEMA, WRITES_TABLE } from '../helpers/servers/ns-pair.js';
import { createNotifyUser } from '../helpers/servers/notify-user.js';
import { holdGlobalReadLock, type HeldReadLock } from '../helpers/servers/read-lock.js';
import type { RootSql } from '../helpers/servers/root-sql.js';
import { SEMI_SYNC_WAIT_STATE, semiSyncMasterStatus, withholdAcks, type WithheldAcks } from '../helpers/servers/semi-sync.js';
import { startServer, type Server } from '../helpers/servers/server.js';
import { describeNeeding, describeWithMariadb } from '../helpers/suite.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const SCHEMA = 'f';
const DISK_FULL_STATE = 'Waiting for someone to free space';
/** 64 KiB of row event: more than the binlog's last block can have left (faults-full-disk). */
const BIG_ROW = `INSERT INTO ${SCHEMA}.t (v) VALUES (REPEAT('x', 65536))`;
/** The handler's default --timeout is 5 s; a try of the bounded SET gets a fifth of it. */
const SLICE_MS = 1000;

interface Fault {
  run: CheckRun;
  /** What the handler reports it took, from its own output: "(N ms)". */
  ms: number;
  log: Record<string, unknown>;
}

/** `check-mysql notify ... INSTANCE VI_1 FAULT 100` over the socket, as keepalived runs it. */
async function notifyFault(server: RootSql, notify: Credentials, dir: string): Promise<Fault> {
  const logFile = join(dir, 'notify.log');
  const run = await runCheck(['notify', '--no-defaults', '--no-syslog', '--socket', server.socket, '-u', notify.user, '--log-file', logFile, 'INSTANCE', 'VI_1', 'FAULT', '100'], {
    password: notify.password, killAfterMs: 30_000,
  });
  const ms = Number(/\((\d+) ms\)\s*$/.exec(run.stdout)?.[1] ?? NaN);
  const log = JSON.parse(readFileSync(logFile, 'utf8').trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  return { run, ms, log };
}

const readOnly = async (s: RootSql): Promise<boolean> => ['1', 'ON'].includes(await s.variable('read_only'));
const count = async (s: RootSql, table: string, where = '1'): Promise<number> => Number((await s.sql(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`))[0]?.n);
const outcomeText = (w: PendingWrite): string => {
  const o = w.outcome;
  return !o ? 'still waiting' : o.ok ? `OK after ${o.ms} ms` : `${o.errno ?? o.code} "${o.message}" after ${o.ms} ms`;
};

function diskMissing(): string | undefined {
  const mariadb = findBinaries();
  return typeof mariadb === 'string' ? mariadb : smallFsMissing() ?? binlogReaderMissing();
}

describeNeeding(diskMissing(), 'notify FAULT on a writer whose binlog disk is full', () => {
  let server: DiskServer;
  let app: Credentials;
  let notify: Credentials;
  let dir: string;
  const writes: PendingWrite[] = [];

  beforeAll(async () => {
    dir = await makeTempDir();
    server = await DiskServer.startOnSmallFs({ serverId: 1, on: 'binlog', extraArgs: ['--binlog-format=ROW', '--max-allowed-packet=16M'] });
    await server.exec(`CREATE DATABASE ${SCHEMA}`, `CREATE TABLE ${SCHEMA}.t (id INT AUTO_INCREMENT PRIMARY KEY, v LONGBLOB) ENGINE=InnoDB`, `INSERT INTO ${SCHEMA}.t (v) VALUES ('before')`);
    app = await createAppUser(server, SCHEMA);
    notify = await createNotifyUser(server);
  });

  afterAll(async () => {
    for (const w of writes) w.close();
    await server?.cleanup();
    if (dir) await removeTempDir(dir);
  });

  it('demotes within the bounded SET plus a kill: the stuck commits are ended, the clients get an error, and they never land', async () => {
    const appOptions = { host: server.host, port: server.port, user: app.user, password: app.password };
    const before = await count(server, `${SCHEMA}.t`);
    await server.fs.fill();
    const stuck = await PendingWrite.start(appOptions, BIG_ROW);
    writes.push(stuck);
    expect(await stuck.within(1_500)).toBeUndefined();
    expect(await stuck.state(server)).toBe(DISK_FULL_STATE);
    // A second commit queues behind the first (it waits for the binlog, not for the disk).
    const queued = await PendingWrite.start(appOptions, BIG_ROW);
    writes.push(queued);
    expect(await queued.within(500)).toBeUndefined();
    const queuedState = await queued.state(server);

    const fault = await notifyFault(server, notify, dir);

    expect(fault.run.code, describeRun(fault.run)).toBe(0);
    expect(fault.run.stdout).toMatch(/-> FAULT: demoted: read_only=OFF -> read_only=ON; ended \d stalled write\(s\) holding it up: KILL QUERY thread/);
    expect(await readOnly(server)).toBe(true);
    expect(fault.ms).toBeLessThan(2 * SLICE_MS);
    const ended = fault.log.ended as { id: number; kill: string }[];
    expect(ended.map((e) => e.id)).toEqual(expect.arrayContaining([stuck.threadId, queued.threadId]));
    expect(await stuck.within(2_000)).toMatchObject({ ok: false, errno: 3 });
    expect(await queued.within(2_000)).toMatchObject({ ok: false });
    expect(await count(server, `${SCHEMA}.t`)).toBe(before);

    // Space back: mysys's 60 s retry has nothing left to retry, and the node stays fenced.
    await server.fs.free();
    await sleep(3_000);
    expect(await count(server, `${SCHEMA}.t`)).toBe(before);
    const late = await PendingWrite.start(appOptions, `INSERT INTO ${SCHEMA}.t (v) VALUES ('late')`);
    writes.push(late);
    expect(await late.within(2_000)).toMatchObject({ ok: false, errno: 1290 });
    measured(`full binlog disk: notify FAULT took ${fault.ms} ms in the handler (${Math.round(fault.run.wallMs)} ms wall, exit 0): the bounded SET gave up after ${SLICE_MS} ms, then ${ended.map((e) => `KILL ${e.kill} ${e.id}`).join(', ')}, then read_only=ON; the stuck INSERT got ${outcomeText(stuck)}, the queued one (State "${queuedState}") got ${outcomeText(queued)}; rows unchanged (${before}) right after and 3 s after space was freed; a new app INSERT then got 1290`);
  }, 60_000);

  it('yet MariaDB writes what the ended commits had for the binlog once space is back: a replica gets writes this server rolled back, or a torn event', async () => {
    // Runs after the test above, on its server. A write past read_only (root, as replication
    // applies one) and the binlog's rotation flush whatever the binlog still holds.
    await server.exec(`INSERT INTO ${SCHEMA}.t (v) VALUES ('after')`, 'FLUSH BINARY LOGS');
    const { text, error } = await binlogText(join(server.fs.mountPoint, 'mysql-bin.000001'));
    const logged = (text.match(/^### INSERT INTO `f`\.`t`$/gm) ?? []).length;
    const rows = await count(server, `${SCHEMA}.t`);
    measured(`full binlog disk, after the demotion's KILL QUERY, space freed and one more write: ${rows} rows in ${SCHEMA}.t, ${logged} whole INSERT row events for it in the binlog${error ? `, then a torn event (mariadb-binlog: ${error})` : ''}`);
    expect(rows).toBe(2);
    expect(logged > rows || error !== undefined, 'the binlog holds events of the rolled-back commits (MariaDB 10.11.19)').toBe(true);
  }, 30_000);
});

describeWithMariadb('notify FAULT on a writer under a held global read lock, or with a write waiting for a row lock', () => {
  let server: Server;
  let app: Credentials;
  let notify: Credentials;
  let dir: string;
  let lock: HeldReadLock | undefined;
  const writes: PendingWrite[] = [];

  beforeAll(async () => {
    dir = await makeTempDir();
    server = await startServer({ serverId: 1 });
    await server.exec(`CREATE DATABASE ${SCHEMA}`, `CREATE TABLE ${SCHEMA}.t (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB`);
    app = await createAppUser(server, SCHEMA);
    notify = await createNotifyUser(server);
  });

  afterAll(async () => {
    for (const w of writes) w.close();
    await lock?.release();
    await server?.cleanup();
    if (dir) await removeTempDir(dir);
  });

  it('demotes in under a second without killing anything; the waiting INSERT fails with 1290 when the lock goes', async () => {
    lock = await holdGlobalReadLock(server);
    const waiting = await PendingWrite.start({ host: server.host, port: server.port, user: app.user, password: app.password }, `INSERT INTO ${SCHEMA}.t (v) VALUES (1)`);
    writes.push(waiting);
    expect(await waiting.within(1_000)).toBeUndefined();
    const state = await waiting.state(server);

    const fault = await notifyFault(server, notify, dir);

    expect(fault.run.code, describeRun(fault.run)).toBe(0);
    expect(fault.run.stdout).toMatch(/-> FAULT: demoted: read_only=OFF -> read_only=ON \(\d+ ms\)/);
    expect(fault.log.ended).toBeUndefined();
    expect(fault.ms).toBeLessThan(1_000);
    expect(await readOnly(server)).toBe(true);
    expect(waiting.outcome).toBeUndefined();

    await lock.release();
    expect(await waiting.within(5_000)).toMatchObject({ ok: false, errno: 1290 });
    expect(await count(server, `${SCHEMA}.t`)).toBe(0);
    measured(`held read lock: notify FAULT took ${fault.ms} ms in the handler (${Math.round(fault.run.wallMs)} ms wall, exit 0), nothing killed; the INSERT waiting in "${state}" got ${outcomeText(waiting)} once the lock was released; nothing committed`);
  });

  it('a write waiting for a row lock is ended (KILL QUERY); the idle transaction holding the lock is left, and its COMMIT is refused', async () => {
    await server.exec('SET GLOBAL read_only = OFF');
    const appOptions = { host: server.host, port: server.port, user: app.user, password: app.password };
    const holder = await server.connect(app);
    const before = await count(server, `${SCHEMA}.t`);
    await holder.query('BEGIN');
    await holder.query(`INSERT INTO ${SCHEMA}.t (id, v) VALUES (100, 1)`);
    const waiting = await PendingWrite.start(appOptions, `INSERT INTO ${SCHEMA}.t (id, v) VALUES (100, 2)`);
    writes.push(waiting);
    expect(await waiting.within(1_000)).toBeUndefined();
    const state = await waiting.state(server);

    const fault = await notifyFault(server, notify, dir);

    expect(fault.run.code, describeRun(fault.run)).toBe(0);
    expect(fault.run.stdout).toContain(`KILL QUERY thread ${waiting.threadId} (${app.user}, "${state}")`);
    expect(await readOnly(server)).toBe(true);
    expect(fault.ms).toBeLessThan(2 * SLICE_MS);
    expect(await waiting.within(2_000)).toMatchObject({ ok: false, errno: 1317 });
    const commit = await holder.query('COMMIT').then(() => 'OK', (err: { errno?: number }) => String(err.errno));
    holder.destroy();
    expect(commit).toBe('1290');
    expect(await count(server, `${SCHEMA}.t`)).toBe(before);
    measured(`row lock: notify FAULT took ${fault.ms} ms in the handler (${Math.round(fault.run.wallMs)} ms wall, exit 0), KILL QUERY of the INSERT waiting in "${state}", which got ${outcomeText(waiting)}; the idle holder's COMMIT then got ${commit}; nothing committed`);
  });
});

function pairMissing(): string | undefined {
  const mariadb = findBinaries();
  if (typeof mariadb === 'string') return mariadb;
  if (!findIp()) return 'ip not found (apt-get install iproute2)';
  return process.getuid?.() === 0 ? undefined : 'network namespaces need root';
}

describeNeeding(pairMissing(), 'notify FAULT on a semi-sync writer whose replica sends no ACK', () => {
  /** Long, so that only the handler can end the wait within the test. */
  const ACK_TIMEOUT_MS = 30_000;
  let pair: BridgedPair;
  let app: Credentials;
  let dir: string;
  let withheld: WithheldAcks | undefined;
  const writes: PendingWrite[] = [];

  beforeAll(async () => {
    dir = await makeTempDir();
    pair = await startBridgedPair({ semiSync: { timeoutMs: ACK_TIMEOUT_MS } });
    app = await createAppUser(pair.a, PAIR_SCHEMA, 'localhost');
  }, 90_000);

  afterAll(async () => {
    await withheld?.restore().catch(() => undefined);
    for (const w of writes) w.close();
    await pair?.cleanup();
    if (dir) await removeTempDir(dir);
  });

  // AFTER_COMMIT (MariaDB's default) waits for the ACK after the InnoDB commit, AFTER_SYNC before it.
  it.each([
    { waitPoint: 'AFTER_COMMIT', seq: 1 },
    { waitPoint: 'AFTER_SYNC', seq: 2 },
  ])('$waitPoint: ends the waiting commit\'s connection and demotes; the commit stays on this node and reaches the peer when its replication resumes', async ({ waitPoint, seq }) => {
    await pair.a.exec(`SET GLOBAL rpl_semi_sync_master_wait_point = ${waitPoint}`, 'SET GLOBAL read_only = OFF');
    await waitFor('semi-sync on, with one replica connected', async () => {
      const s = await semiSyncMasterStatus(pair.a);
      return s.on && s.clients === 1;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    withheld = await withholdAcks(pair.a, pair.b, 'stop-io-thread');
    const row = `seq = ${seq}`;
    const waiting = await PendingWrite.start({ socketPath: pair.a.socket, user: app.user, password: app.password }, `INSERT INTO ${WRITES_TABLE} (seq, server_id) VALUES (${seq}, @@server_id)`);
    writes.push(waiting);
    expect(await waiting.within(1_000)).toBeUndefined();
    expect(await waiting.state(pair.a)).toBe(SEMI_SYNC_WAIT_STATE);
    const visibleBefore = await count(pair.a, WRITES_TABLE, row);

    const fault = await notifyFault(pair.a, pair.users.notify, dir);

    expect(fault.run.code, describeRun(fault.run)).toBe(0);
    expect(fault.run.stdout).toContain(`KILL CONNECTION thread ${waiting.threadId} (${app.user}, "${SEMI_SYNC_WAIT_STATE}")`);
    expect(await readOnly(pair.a)).toBe(true);
    expect(fault.ms).toBeLessThan(2 * SLICE_MS);
    // Not OK: the client never hears "committed" for a row its replica does not have.
    expect(await waiting.within(2_000)).toMatchObject({ ok: false, code: 'PROTOCOL_CONNECTION_LOST' });
    // Yet committed here: it was in the binlog before the ACK wait began.
    expect(await count(pair.a, WRITES_TABLE, row)).toBe(1);
    expect(await count(pair.b, WRITES_TABLE, row)).toBe(0);

    const resumedAt = Date.now();
    await withheld.restore();
    await waitFor('the row on the peer', async () => (await count(pair.b, WRITES_TABLE, row)) === 1, { timeoutMs: 10_000, intervalMs: 50 });
    measured(`semi-sync ${waitPoint} without ACK (timeout ${ACK_TIMEOUT_MS} ms): the waiting row ${visibleBefore ? 'visible' : 'not visible'} to others before; notify FAULT took ${fault.ms} ms in the handler (${Math.round(fault.run.wallMs)} ms wall, exit 0), KILL CONNECTION of the waiting commit; its client got ${outcomeText(waiting)}; the row is on this node at once and reached the peer ${Date.now() - resumedAt} ms after its IO thread restarted`);
  }, 60_000);
});
