/**
 * Percona's pt-heartbeat (Debian percona-toolkit) run by the test helpers against a real
 * mariadbd (issue 10, "Interoperability"): `--update --create-table` makes pt-heartbeat's own
 * table and writes this server's row every 0.5 s, with the password in a 0600 defaults file and
 * never on its command line; `--check` prints the row's age, which grows once the updater is
 * stopped; a master with no row is an error, never a row written by the check. Also the grants
 * `--update` needs on MariaDB 10.11 (SLAVE MONITOR and BINLOG MONITOR besides the table's). Figures printed as "measured: ...".
 */
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ptHeartbeatCheck, ptHeartbeatMissing, PtHeartbeatUpdater } from '../helpers/clients/pt-heartbeat.js';
import { measured } from '../helpers/measured.js';
import { findBinaries } from '../helpers/servers/binaries.js';
import { newCredentials, type Credentials } from '../helpers/servers/credentials.js';
import { startServer, type Server } from '../helpers/servers/server.js';
import { describeNeeding } from '../helpers/suite.js';
import { waitFor } from '../helpers/wait.js';

const DB = 'hb';
const SERVER_ID = 7;

function missing(): string | undefined {
  const mariadb = findBinaries();
  return typeof mariadb === 'string' ? mariadb : ptHeartbeatMissing();
}

async function account(server: Server, grants: string[]): Promise<Credentials> {
  const a = newCredentials(`hb${Math.random().toString(36).slice(2, 8)}`);
  await server.exec(`CREATE USER '${a.user}'@'localhost' IDENTIFIED BY '${a.password}'`, ...grants.map((g) => `GRANT ${g} TO '${a.user}'@'localhost'`));
  return a;
}

describeNeeding(missing(), 'pt-heartbeat against a test server', () => {
  let server: Server;
  const updaters: PtHeartbeatUpdater[] = [];

  beforeAll(async () => {
    server = await startServer({ serverId: SERVER_ID });
    await server.exec(`CREATE DATABASE ${DB}`);
  });

  afterAll(async () => {
    for (const u of updaters) await u.stop();
    await server?.cleanup();
  });

  it.each([
    { lacking: 'SLAVE MONITOR', runs: 'SHOW SLAVE STATUS', has: 'BINLOG MONITOR' },
    { lacking: 'BINLOG MONITOR', runs: 'SHOW MASTER STATUS', has: 'SLAVE MONITOR' },
  ])('--update without $lacking exits at once on MariaDB 10.11 (it runs $runs)', async ({ lacking, has }) => {
    const short = await account(server, [`CREATE, INSERT, UPDATE, SELECT ON ${DB}.*`, `${has} ON *.*`]);
    const u = await PtHeartbeatUpdater.start(server, { db: DB, account: short });
    updaters.push(u);
    await waitFor('pt-heartbeat to exit', () => !u.running, { timeoutMs: 10_000 });
    expect(u.errors).toContain(lacking);
    measured(`pt-heartbeat --update with table rights and ${has} only: exits, "${u.errors.split('\n')[0]?.slice(0, 140)}"`);
  });

  it('--update --create-table makes its table and keeps its row fresh; the password is only in a 0600 file', async () => {
    const hb = await account(server, [`CREATE, INSERT, UPDATE, SELECT ON ${DB}.*`, 'SLAVE MONITOR, BINLOG MONITOR ON *.*']);
    const u = await PtHeartbeatUpdater.start(server, { db: DB, account: hb });
    updaters.push(u);
    const cmdline = readFileSync(`/proc/${u.pid}/cmdline`, 'utf8');
    expect(cmdline).not.toContain(hb.password);
    expect(statSync(u.defaultsFile).mode & 0o777).toBe(0o600);

    const lag = await waitFor('a heartbeat row with a lag under 1 s', async () => {
      const l = await ptHeartbeatCheck(server, DB, SERVER_ID);
      return l < 1 ? l : false;
    }, { timeoutMs: 10_000, intervalMs: 200 }).catch((err: Error) => Promise.reject(new Error(`${err.message}; pt-heartbeat: ${u.errors}`)));
    expect(u.running).toBe(true);
    const columns = (await server.sql(`SHOW COLUMNS FROM ${DB}.heartbeat`)).map((c) => `${c.Field} ${c.Type}`);
    expect(columns).toEqual(['ts varchar(26)', 'server_id int(10) unsigned', 'file varchar(255)', 'position bigint(20) unsigned', 'relay_master_log_file varchar(255)', 'exec_master_log_pos bigint(20) unsigned']);
    const [row] = await server.sql(`SELECT ts, server_id, file, position FROM ${DB}.heartbeat WHERE server_id = ?`, [SERVER_ID]);
    expect(String(row?.ts)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    measured(`pt-heartbeat --update (CREATE, INSERT, UPDATE, SELECT on the db + SLAVE MONITOR + BINLOG MONITOR): row ${JSON.stringify(row)}; --check lag ${lag} s`);
  });

  it('--check reports a lag that grows once the updater is stopped by pid', async () => {
    const u = updaters[updaters.length - 1] as PtHeartbeatUpdater;
    const pid = u.pid as number;
    const t0 = Date.now();
    await u.stop();
    const stopMs = Date.now() - t0;
    expect(() => process.kill(pid, 0)).toThrow();

    await new Promise((r) => setTimeout(r, 2_000));
    const first = await ptHeartbeatCheck(server, DB, SERVER_ID);
    await new Promise((r) => setTimeout(r, 1_000));
    const second = await ptHeartbeatCheck(server, DB, SERVER_ID);
    expect(first).toBeGreaterThanOrEqual(1.5);
    expect(second).toBeGreaterThanOrEqual(first + 0.5);
    measured(`pt-heartbeat stopped (SIGTERM, gone in ${stopMs} ms): --check lag ${first} s, then ${second} s one second later`);
  });

  it('--check of a master with no row fails and writes nothing (--no-insert-heartbeat-row)', async () => {
    await expect(ptHeartbeatCheck(server, DB, 99)).rejects.toThrow(/No row found in heartbeat table for server_id 99/);
    expect(await server.sql(`SELECT server_id FROM ${DB}.heartbeat WHERE server_id = 99`)).toEqual([]);
  });
});
