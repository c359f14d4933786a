/**
 * A held global read lock (FLUSH TABLES WITH READ LOCK, as a stuck backup holds it) under a real
 * mariadbd (issue 10): re-verifies the field notes. Every INSERT waits while SELECT answers and
 * read_only stays OFF; a write bounded on the server (lock_wait_timeout, max_statement_time)
 * fails on time; SET GLOBAL read_only=ON does not wait behind the lock, and the INSERT that was
 * waiting then fails with 1290 instead of committing. Figures printed as "measured: ...".
 */
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PendingWrite } from '../helpers/clients/pending-write.js';
import { measured } from '../helpers/measured.js';
import { createAppUser } from '../helpers/servers/app-user.js';
import type { Credentials } from '../helpers/servers/credentials.js';
import { holdGlobalReadLock, type HeldReadLock } from '../helpers/servers/read-lock.js';
import { startServer, type Server } from '../helpers/servers/server.js';
import { describeWithMariadb } from '../helpers/suite.js';

const SCHEMA = 'f';
const INSERT = `INSERT INTO ${SCHEMA}.t (v) VALUES (1)`;

describeWithMariadb('a held global read lock', () => {
  let server: Server;
  let app: Credentials;
  let lock: HeldReadLock | undefined;
  const writes: PendingWrite[] = [];
  const appOptions = () => ({ host: server.host, port: server.port, user: app.user, password: app.password });

  beforeAll(async () => {
    server = await startServer({ serverId: 1 });
    await server.exec(`CREATE DATABASE ${SCHEMA}`, `CREATE TABLE ${SCHEMA}.t (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB`);
    app = await createAppUser(server, SCHEMA);
  });

  afterAll(async () => {
    for (const w of writes) w.close();
    await lock?.release();
    await server?.cleanup();
  });

  it('an INSERT waits while SELECT answers and read_only stays OFF; bounded on the server, it fails on time', async () => {
    lock = await holdGlobalReadLock(server);
    const w = await PendingWrite.start(appOptions(), INSERT);
    writes.push(w);

    expect(await w.within(3_000)).toBeUndefined();
    const state = await w.state(server);
    expect(state).toMatch(/lock/i);
    expect(await server.sql('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(await server.variable('read_only')).toBe('0');
    measured(`read lock held: INSERT not committed after 3 s, State "${state}", SELECT answers, read_only=OFF`);

    for (const [setting, errno] of [['lock_wait_timeout=1', 1205], ['max_statement_time=1', 1969]] as const) {
      const bounded = await PendingWrite.start(appOptions(), `SET STATEMENT ${setting} FOR ${INSERT}`);
      writes.push(bounded);
      const outcome = await bounded.within(5_000);
      expect(outcome).toMatchObject({ ok: false, errno });
      expect(outcome?.ms).toBeLessThan(2_500);
      measured(`read lock held: INSERT under ${setting} fails with ${errno} after ${outcome?.ms} ms`);
    }
  });

  it('SET GLOBAL read_only=ON returns at once under the lock, and the waiting INSERT then fails with 1290 instead of committing', async () => {
    const waiting = writes[0] as PendingWrite;
    expect(waiting.outcome).toBeUndefined();
    const root: Connection = await server.connect();

    const t0 = Date.now();
    await root.query('SET GLOBAL read_only=ON');
    const demotionMs = Date.now() - t0;
    expect(demotionMs).toBeLessThan(1_000);
    expect(waiting.outcome).toBeUndefined();

    await lock?.release();
    const outcome = await waiting.within(5_000);
    expect(outcome).toMatchObject({ ok: false, errno: 1290 });
    expect(await server.sql(`SELECT COUNT(*) AS n FROM ${SCHEMA}.t`)).toEqual([{ n: 0 }]);
    measured(`read lock held: SET GLOBAL read_only=ON returned in ${demotionMs} ms; on UNLOCK TABLES the waiting INSERT failed with 1290 (${outcome?.ms} ms after it was sent), nothing committed`);
  });
});
