/**
 * A full disk under a real mariadbd (issue 10, "Real components"): a small ext4 file system
 * (`mkfs.ext4 -m 0`, loop-mounted) for the binlog directory or the whole datadir, the server
 * run as `--user=mysql`. Characterizes what a checker must detect and what fencing meets:
 *  - binlog full: a commit hangs in "Waiting for someone to free space" while SELECT answers and
 *    read_only stays OFF; SET GLOBAL read_only=ON waits behind it (1205 under lock_wait_timeout);
 *    once space is freed the commit lands (at mysys's next 60 s retry), then read_only=ON;
 *    KILL ends it at once, rolled back;
 *  - datadir full: a small commit hangs the same way (the binlog is there too); a 2 MB one makes
 *    InnoDB abort the server;
 *  - the file system goes, loop device included, even when the test process is SIGKILLed.
 * Each figure is printed on one line ("measured: ...").
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PendingWrite } from '../helpers/clients/pending-write.js';
import { SmallFs, smallFsMissing } from '../helpers/disk/small-fs.js';
import { measured } from '../helpers/measured.js';
import { trackDir, trackMount, trackPid, untrackDir, untrackMount, untrackPid } from '../helpers/reaper.js';
import { createAppUser } from '../helpers/servers/app-user.js';
import { findBinaries } from '../helpers/servers/binaries.js';
import type { Credentials } from '../helpers/servers/credentials.js';
import { DiskServer, type FullDiskPlace } from '../helpers/servers/disk-server.js';
import { describeNeeding } from '../helpers/suite.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const DISK_FULL_STATE = 'Waiting for someone to free space';
/** mysys retries a write that hit ENOSPC every 60 s (MY_WAIT_FOR_USER_TO_FIX_PANIC). */
const RETRY_S = 60;
const SCHEMA = 'f';
/** 64 KiB of row: more than any block the binlog's last block may have left. */
const ROW = `INSERT INTO ${SCHEMA}.t (v) VALUES (REPEAT('x', 65536))`;

function missing(): string | undefined {
  const mariadb = findBinaries();
  if (typeof mariadb === 'string') return mariadb;
  return smallFsMissing();
}

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value?: T; error?: { errno?: number; message: string } }> {
  const t0 = Date.now();
  try {
    const value = await f();
    return { ms: Date.now() - t0, value };
  } catch (err) {
    return { ms: Date.now() - t0, error: err as { errno?: number; message: string } };
  }
}

async function startDiskServer(on: FullDiskPlace): Promise<{ server: DiskServer; app: Credentials }> {
  // Row events: the row itself is in the binlog, so a write needs new blocks (a statement event
  // of 200 bytes may still fit in the binlog's last, partly used block).
  const server = await DiskServer.startOnSmallFs({ serverId: 1, on, extraArgs: ['--binlog-format=ROW', '--max-allowed-packet=16M'] });
  try {
    await server.exec(`CREATE DATABASE ${SCHEMA}`, `CREATE TABLE ${SCHEMA}.t (id INT AUTO_INCREMENT PRIMARY KEY, v LONGBLOB) ENGINE=InnoDB`);
    return { server, app: await createAppUser(server, SCHEMA) };
  } catch (err) {
    await server.cleanup();
    throw err;
  }
}

const rowCount = async (server: DiskServer): Promise<number> => Number((await server.sql(`SELECT COUNT(*) AS n FROM ${SCHEMA}.t`))[0]?.n);

describeNeeding(missing(), 'a full disk under a mariadbd run as mysql', () => {
  describe('the binlog file system is full', () => {
    let server: DiskServer;
    let app: Credentials;
    let root: Connection;
    const writes: PendingWrite[] = [];
    const write = async (): Promise<PendingWrite> => {
      const w = await PendingWrite.start({ host: server.host, port: server.port, user: app.user, password: app.password }, ROW);
      writes.push(w);
      return w;
    };

    beforeAll(async () => {
      ({ server, app } = await startDiskServer('binlog'));
      root = await server.connect();
    });

    afterAll(async () => {
      for (const w of writes) w.close();
      await server?.cleanup();
    });

    it('a commit waits for space while SELECT answers and read_only stays OFF; read_only=ON waits behind it; it lands once space is freed', async () => {
      const filled = await server.fs.fill();
      measured(`binlog file system filled with ${filled} bytes, ${server.fs.availableBytes()} bytes left`);
      const w = await write();

      expect(await w.within(3_000)).toBeUndefined();
      expect(await w.state(server)).toBe(DISK_FULL_STATE);
      const select = await timed(() => server.sql('SELECT 1 AS one'));
      expect(select.value).toEqual([{ one: 1 }]);
      expect(await server.variable('read_only')).toBe('0');
      measured(`binlog full: INSERT not committed after 3 s, State "${DISK_FULL_STATE}", SELECT 1 answers in ${select.ms} ms, read_only=OFF`);

      // Demotion: SET GLOBAL read_only=ON must wait for the commit in progress.
      await root.query('SET SESSION lock_wait_timeout=2');
      const bounded = await timed(() => root.query('SET GLOBAL read_only=ON'));
      expect(bounded.error?.errno).toBe(1205);
      expect(await server.variable('read_only')).toBe('0');
      measured(`binlog full: SET GLOBAL read_only=ON under lock_wait_timeout=2 fails with ${bounded.error?.errno} after ${bounded.ms} ms; read_only stays OFF`);

      const demoter = await server.connect();
      await demoter.query(`SET SESSION lock_wait_timeout=${2 * RETRY_S}`);
      const demotion = timed(() => demoter.query('SET GLOBAL read_only=ON'));
      expect(await Promise.race([demotion.then(() => 'returned'), new Promise((r) => setTimeout(r, 1_000, 'waiting'))])).toBe('waiting');

      const freedAt = Date.now();
      await server.fs.free();
      const outcome = await w.within((RETRY_S + 15) * 1_000);
      const readOnly = await demotion;
      expect(outcome).toMatchObject({ ok: true });
      expect(outcome?.ms).toBeLessThanOrEqual((RETRY_S + 15) * 1_000);
      expect(readOnly.error).toBeUndefined();
      expect(await rowCount(server)).toBe(1);
      expect(await server.variable('read_only')).toBe('1');
      measured(`binlog full: the INSERT committed ${outcome?.ms} ms after it was sent, ${Date.now() - freedAt} ms after space was freed (mysys retries every ${RETRY_S} s); the waiting SET GLOBAL read_only=ON returned after ${readOnly.ms} ms, right after that commit; the commit was not refused (no 1290)`);
    }, (RETRY_S + 60) * 1_000);

    it.each([
      { kill: 'CONNECTION', client: 'loses its connection' },
      { kill: 'QUERY', client: 'gets error 3 (Error writing file, Errcode 28)' },
    ])('KILL $kill ends a commit stuck on the full binlog at once and rolls it back ($client); read_only=ON then returns at once', async ({ kill }) => {
      await server.exec('SET GLOBAL read_only=OFF');
      const before = await rowCount(server);
      await server.fs.fill();
      const w = await write();
      expect(await w.within(2_000)).toBeUndefined();
      expect(await w.state(server)).toBe(DISK_FULL_STATE);

      const killed = await timed(() => server.sql(`KILL ${kill} ${w.threadId}`));
      const outcome = await w.within(5_000);
      expect(outcome).toMatchObject({ ok: false });
      if (kill === 'QUERY') expect(outcome).toMatchObject({ errno: 3 });
      else expect(outcome).toMatchObject({ code: 'PROTOCOL_CONNECTION_LOST' });
      await root.query('SET SESSION lock_wait_timeout=5');
      const demotion = await timed(() => root.query('SET GLOBAL read_only=ON'));
      expect(demotion.error).toBeUndefined();
      expect(demotion.ms).toBeLessThan(1_000);
      expect(await rowCount(server)).toBe(before);
      measured(`binlog full: KILL ${kill} took ${killed.ms} ms, the client saw ${outcome?.ok ? 'OK' : `${outcome?.errno ?? outcome?.code} "${outcome?.message}"`} ${outcome?.ms} ms after sending, nothing committed, then SET GLOBAL read_only=ON returned in ${demotion.ms} ms`);

      await server.fs.free();
      await server.exec('SET GLOBAL read_only=OFF', `INSERT INTO ${SCHEMA}.t (v) VALUES ('after')`);
      expect(await rowCount(server)).toBe(before + 1);
    }, 60_000);
  });

  describe('the datadir file system is full', () => {
    let server: DiskServer;
    let app: Credentials;
    const writes: PendingWrite[] = [];

    beforeAll(async () => {
      ({ server, app } = await startDiskServer('datadir'));
    });

    afterAll(async () => {
      for (const w of writes) w.close();
      await server?.cleanup();
    });

    it('a small commit waits for space (the binlog is in the datadir); a 2 MB one makes InnoDB abort the server', async () => {
      await server.fs.fill();
      const options = { host: server.host, port: server.port, user: app.user, password: app.password };
      const small = await PendingWrite.start(options, `INSERT INTO ${SCHEMA}.t (v) VALUES (REPEAT('x', 4000))`);
      writes.push(small);
      expect(await small.within(3_000)).toBeUndefined();
      expect(await small.state(server)).toBe(DISK_FULL_STATE);
      measured(`datadir full: a 4000-byte INSERT not committed after 3 s, State "${DISK_FULL_STATE}"`);
      await server.sql(`KILL CONNECTION ${small.threadId}`);

      const big = await PendingWrite.start(options, `INSERT INTO ${SCHEMA}.t (v) VALUES (REPEAT('x', 2097152))`);
      writes.push(big);
      const states = new Set<string>();
      await waitFor('mariadbd to exit', async () => {
        if (!server.running) return true;
        states.add((await big.state(server).catch(() => undefined)) ?? '');
        return false;
      }, { timeoutMs: 30_000, intervalMs: 200 });
      const outcome = await big.within(5_000);
      const log = execFileSync('tail', ['-n', '200', server.errorLog], { encoding: 'utf8' });
      expect(log).toContain('[FATAL] InnoDB: Error (Out of disk space)');
      expect(outcome).toMatchObject({ ok: false, code: 'PROTOCOL_CONNECTION_LOST' });
      measured(`datadir full: a 2 MB INSERT (States seen: ${[...states].filter(Boolean).map((s) => `"${s}"`).join(', ')}) made InnoDB abort mariadbd ("[FATAL] InnoDB: Error (Out of disk space) in rollback", signal 6) ${outcome?.ms} ms after it was sent: a crash, not a hang`);
    }, 60_000);
  });

  describe('cleanup', () => {
    const loopDevicesOf = (dir: string) => execFileSync('losetup', ['-a'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(dir));
    const mounted = (path: string) => execFileSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' }).split('\n').includes(path);

    it('remove() unmounts, frees the loop device and deletes the image', async () => {
      const fs = await SmallFs.create({ sizeMb: 8 });
      expect(mounted(fs.mountPoint)).toBe(true);
      expect(loopDevicesOf(fs.dir)).toHaveLength(1);

      await fs.remove();

      expect(mounted(fs.mountPoint)).toBe(false);
      expect(loopDevicesOf(fs.dir)).toEqual([]);
      expect(existsSync(fs.dir)).toBe(false);
    });

    it('a SIGKILLed test process leaves no mount, loop device or image behind', async () => {
      const dir = await makeTempDir();
      let owner: ReturnType<typeof spawn> | undefined;
      try {
        const bundle = join(dir, 'small-fs.cjs');
        buildSync({ entryPoints: [resolve(__dirname, '../helpers/disk/small-fs.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'error' });
        owner = spawn(process.execPath, ['-e', `require(${JSON.stringify(bundle)}).SmallFs.create({ sizeMb: 8 }).then((fs) => console.log(JSON.stringify(fs))); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
        trackPid(owner.pid as number, bundle);
        const line = await new Promise<string>((ok) => owner?.stdout?.once('data', (d: Buffer) => ok(d.toString())));
        const fs = JSON.parse(line) as { dir: string; mountPoint: string };
        // Ours too, in case the watchdog under test fails: then our exit hook removes it.
        trackMount(fs.mountPoint);
        trackDir(fs.dir);
        expect(mounted(fs.mountPoint)).toBe(true);

        owner.kill('SIGKILL');

        await waitFor('the watchdog to unmount and remove the file system', () => !mounted(fs.mountPoint) && !existsSync(fs.dir), { timeoutMs: 10_000 });
        expect(loopDevicesOf(fs.dir)).toEqual([]);
        untrackMount(fs.mountPoint);
        untrackDir(fs.dir);
      } finally {
        if (owner && owner.exitCode === null && owner.signalCode === null) owner.kill('SIGKILL');
        if (owner?.pid !== undefined) untrackPid(owner.pid);
        await removeTempDir(dir);
      }
    });
  });
});
