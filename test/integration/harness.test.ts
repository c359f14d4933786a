// Self-test of the real-server harness the scenario suites stand on.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { startServer, type Server } from '../helpers/servers/server.js';
import { startPair, waitForReplication, type Pair } from '../helpers/servers/pair.js';
import { trackPid, untrackPid } from '../helpers/reaper.js';
import { describeWithMariadb } from '../helpers/suite.js';
import { waitFor } from '../helpers/wait.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describeWithMariadb('test harness: throwaway MariaDB servers', () => {
  const started: Server[] = [];
  let pair: Pair | undefined;
  afterAll(async () => {
    await Promise.all([...started.map((s) => s.cleanup()), pair?.cleanup()]);
  });

  it('starts a private server on loopback that keeps its data and port across a restart', async () => {
    const server = await startServer({ serverId: 7 });
    started.push(server);
    expect(server.port).not.toBe(3306);
    expect(await server.variable('bind_address')).toBe('127.0.0.1');
    expect(await server.variable('server_id')).toBe('7');
    await server.exec('CREATE DATABASE h', 'CREATE TABLE h.t (id INT PRIMARY KEY)', 'INSERT INTO h.t VALUES (1)');
    const firstPid = server.pid;

    await server.restart();

    expect(server.pid).not.toBe(firstPid);
    expect(await server.variable('port')).toBe(String(server.port));
    expect(await server.sql('SELECT id FROM h.t')).toEqual([{ id: 1 }]);
  });

  it('cleanup removes a SIGSTOPped server and its datadir', async () => {
    const server = await startServer({ serverId: 8 });
    const pid = server.pid as number;
    server.kill('SIGSTOP');

    await server.cleanup();

    expect(alive(pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
  });

  it('pairs a writer and a read-only standby that replicate both ways', async () => {
    pair = await startPair();
    const { a, b } = pair;
    expect(await a.variable('read_only')).toBe('0');
    expect(await b.variable('read_only')).toBe('1');

    await a.sql(`INSERT INTO ${pair.schema}.t (id) VALUES (10)`);
    await b.exec('SET SESSION sql_log_bin=1', `INSERT INTO ${pair.schema}.t (id) VALUES (11)`);
    await waitForReplication(pair);

    for (const server of [a, b]) {
      expect(await server.sql(`SELECT id FROM ${pair.schema}.t WHERE id >= 10 ORDER BY id`)).toEqual([{ id: 10 }, { id: 11 }]);
    }
  });

  it('gives the check user replication status but nothing to write with', async () => {
    const { a, check } = pair as Pair;
    const conn = await a.connect(check);

    const [rows] = await conn.query('SHOW ALL SLAVES STATUS');
    expect(rows).toHaveLength(1);
    await expect(conn.query(`INSERT INTO ${(pair as Pair).schema}.t (id) VALUES (99)`)).rejects.toThrow(/denied/);
    await a.closeExtraConnections();
  });
});

describe('test harness: leftover reaping', () => {
  it('kills tracked processes and removes tracked dirs when the test process is SIGKILLed', async () => {
    const dir = await makeTempDir();
    const children: ReturnType<typeof spawn>[] = [];
    try {
      const bundle = join(dir, 'reaper.cjs');
      buildSync({ entryPoints: [resolve(__dirname, '../helpers/reaper.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'error' });
      const victimDir = join(dir, 'victim');
      const victim = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', victimDir], { stdio: 'ignore' });
      children.push(victim);
      // Our own tracking too, in case this test itself is interrupted.
      trackPid(victim.pid as number, victimDir);
      await writeFile(victimDir, '');
      const owner = spawn(
        process.execPath,
        ['-e', `const r = require(${JSON.stringify(bundle)}); r.trackPid(${victim.pid}, ${JSON.stringify(victimDir)}); r.trackDir(${JSON.stringify(victimDir)}); console.log('tracked'); setInterval(() => {}, 1000);`],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.push(owner);
      trackPid(owner.pid as number, victimDir);
      await new Promise((ok) => owner.stdout.once('data', ok));

      owner.kill('SIGKILL');

      await waitFor('the watchdog to kill the victim', () => victim.exitCode !== null || victim.signalCode !== null, { timeoutMs: 5_000 });
      expect(victim.signalCode).toBe('SIGKILL');
      await waitFor('the watchdog to remove the victim dir', () => !existsSync(victimDir), { timeoutMs: 5_000 });
    } finally {
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        untrackPid(child.pid as number);
      }
      await removeTempDir(dir);
    }
  });
});
