/**
 * The errant-transaction rule on a real MariaDB pair: a standby that only replicates has none;
 * a write made on the standby while the writer does not replicate from it is found and named by
 * its GTID; once the writer replicates again, it is errant no more.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectMysql } from '../../src/db/mysql.js';
import { deadlineAfter } from '../../src/deadline.js';
import { errantTransactions } from '../../src/gtid/errant.js';
import { readGtidState } from '../../src/gtid/gtid-state.js';
import type { GtidState } from '../../src/types/gtid.js';
import { waitForThreads } from '../helpers/servers/replication.js';
import { startPair, waitForReplication, type Pair } from '../helpers/servers/pair.js';
import type { Server } from '../helpers/servers/server.js';
import { describeWithMariadb } from '../helpers/suite.js';

const now = () => performance.now();

async function gtidState(server: Server): Promise<GtidState> {
  const session = await connectMysql({ label: server.socket, socket: server.socket, user: 'root' }, deadlineAfter(5000, now));
  try {
    return await readGtidState(session, 'mariadb', deadlineAfter(5000, now));
  } finally {
    await session.close(deadlineAfter(5000, now));
  }
}

const errantOnB = async (pair: Pair) => errantTransactions(await gtidState(pair.b), await gtidState(pair.a));

describeWithMariadb('errant transactions on a real MariaDB pair', () => {
  let pair: Pair;

  beforeAll(async () => {
    pair = await startPair();
  });

  afterAll(async () => {
    await pair?.cleanup();
  });

  it('a standby that only replicates has none', async () => {
    await pair.a.exec(`INSERT INTO ${pair.schema}.t (id, v) VALUES (100, 1)`);
    await waitForReplication(pair);
    expect(await errantOnB(pair)).toEqual({ judged: true, gtids: '', count: 0 });
  });

  it("a write on the standby that the writer never received is found by name, and is no longer errant once replicated", async () => {
    // The writer stops replicating from its peer; root writes past read_only on the standby.
    await pair.a.exec('STOP SLAVE');
    await pair.b.exec(`INSERT INTO ${pair.schema}.t (id, v) VALUES (200, 2)`);
    const standbyPos = await pair.b.variable('gtid_binlog_state');
    const own = standbyPos.split(',').find((g) => g.split('-')[1] === '2');
    expect(own).toMatch(/^2-2-\d+$/);

    const found = await errantOnB(pair);
    expect(found).toMatchObject({ judged: true, gtids: own, count: null });
    console.log(`measured: errant GTID on the standby named ${found.gtids}`);

    await pair.a.exec('START SLAVE');
    await waitForThreads(pair.a);
    await waitForReplication(pair);
    expect(await errantOnB(pair)).toEqual({ judged: true, gtids: '', count: 0 });
  });

  it('the writer is never errant against its own standby when the standby lags', async () => {
    await pair.b.exec('STOP SLAVE SQL_THREAD');
    try {
      await pair.a.exec(`INSERT INTO ${pair.schema}.t (id, v) VALUES (300, 3)`);
      expect(await errantOnB(pair)).toMatchObject({ gtids: '' });
      // Seen the other way round (the writer as "standby"), its new write is what the lagging node lacks.
      const reverse = errantTransactions(await gtidState(pair.a), await gtidState(pair.b));
      expect(reverse.gtids).toMatch(/^1-1-\d+$/);
    } finally {
      await pair.b.exec('START SLAVE SQL_THREAD');
      await waitForReplication(pair);
    }
  });
});
