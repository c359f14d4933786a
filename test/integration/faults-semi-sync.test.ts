/**
 * A semi-synchronous writer whose replica sends no ACK (issue 10, "Real components"): the
 * end-to-end pair in network namespaces with MariaDB 10.11's built-in semi-sync, the replica's
 * ACK withheld three ways (IO thread stopped, replica SIGSTOPped, silent partition). The commit
 * waits in "Waiting for semi-sync ACK from slave" for rpl_semi_sync_master_timeout, then lands
 * without an ACK and the master falls back to async (Rpl_semi_sync_master_status OFF) until an
 * ACK returns; an ACK that comes back in time ends the wait. Figures printed as "measured: ...".
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { PendingWrite } from '../helpers/clients/pending-write.js';
import { measured } from '../helpers/measured.js';
import { findIp } from '../helpers/netns/namespace.js';
import { nftMissing } from '../helpers/netns/partition.js';
import { findBinaries } from '../helpers/servers/binaries.js';
import { startBridgedPair, type BridgedPair } from '../helpers/servers/bridged-pair.js';
import { WRITES_TABLE } from '../helpers/servers/ns-pair.js';
import { SEMI_SYNC_WAIT_STATE, semiSyncMasterStatus, type AckWithholding, type WithheldAcks, withholdAcks } from '../helpers/servers/semi-sync.js';
import { describeNeeding } from '../helpers/suite.js';
import { waitFor } from '../helpers/wait.js';

const TIMEOUT_MS = 6_000;

function missing(): string | undefined {
  const mariadb = findBinaries();
  if (typeof mariadb === 'string') return mariadb;
  if (!findIp()) return 'ip not found (apt-get install iproute2)';
  return nftMissing();
}

describeNeeding(missing(), 'a semi-sync writer whose replica sends no ACK', () => {
  let pair: BridgedPair;
  let withheld: WithheldAcks | undefined;
  const writes: PendingWrite[] = [];
  let seq = 0;

  const write = async (): Promise<PendingWrite> => {
    // As root over the socket: semi-sync makes every commit wait, whoever sends it.
    const w = await PendingWrite.start({ socketPath: pair.a.socket, user: 'root', password: '' }, `INSERT INTO ${WRITES_TABLE} (seq, server_id) VALUES (${++seq}, @@server_id)`);
    writes.push(w);
    return w;
  };

  beforeAll(async () => {
    pair = await startBridgedPair({ semiSync: { timeoutMs: TIMEOUT_MS } });
  });

  beforeEach(async () => {
    // Every case starts from an acknowledging replica.
    await waitFor('semi-sync on, with one replica connected', async () => {
      const s = await semiSyncMasterStatus(pair.a);
      return s.on && s.clients === 1;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    const w = await write();
    expect(await w.within(2_000)).toMatchObject({ ok: true });
  });

  afterAll(async () => {
    await withheld?.restore().catch(() => undefined);
    for (const w of writes) w.close();
    await pair?.cleanup();
  });

  it.each<AckWithholding>(['stop-io-thread', 'sigstop-replica', 'partition'])('%s: the commit waits for the ACK until the timeout, then lands and semi-sync falls back to async', async (how) => {
    const before = await semiSyncMasterStatus(pair.a);
    withheld = await withholdAcks(pair.a, pair.b, how);
    const w = await write();

    expect(await w.within(3_000)).toBeUndefined();
    expect(await w.state(pair.a)).toBe(SEMI_SYNC_WAIT_STATE);
    const outcome = await w.within(TIMEOUT_MS + 5_000);
    expect(outcome).toMatchObject({ ok: true });
    expect(outcome?.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    const after = await semiSyncMasterStatus(pair.a);
    expect(after.on).toBe(false);
    expect(after.noTx).toBe(before.noTx + 1);
    expect(after.yesTx).toBe(before.yesTx);

    const restoredAt = Date.now();
    await withheld.restore();
    const back = await waitFor('semi-sync back on', async () => (await semiSyncMasterStatus(pair.a)).on, { timeoutMs: 30_000, intervalMs: 100 }).then(() => Date.now() - restoredAt);
    measured(`semi-sync (${how}): State "${SEMI_SYNC_WAIT_STATE}"; the INSERT returned OK after ${outcome?.ms} ms (rpl_semi_sync_master_timeout ${TIMEOUT_MS}), without an ACK (no_tx +1), Rpl_semi_sync_master_status OFF, clients ${after.clients}; ON again ${back} ms after the ACKs were let through`);
  }, 60_000);

  it('an ACK that arrives before the timeout ends the wait (replica SIGCONTed)', async () => {
    const before = await semiSyncMasterStatus(pair.a);
    withheld = await withholdAcks(pair.a, pair.b, 'sigstop-replica');
    const w = await write();
    expect(await w.within(2_000)).toBeUndefined();
    expect(await w.state(pair.a)).toBe(SEMI_SYNC_WAIT_STATE);

    const resumedAt = Date.now();
    await withheld.restore();
    const outcome = await w.within(TIMEOUT_MS);
    expect(outcome).toMatchObject({ ok: true });
    const after = await semiSyncMasterStatus(pair.a);
    expect(after.on).toBe(true);
    expect(after.yesTx).toBe(before.yesTx + 1);
    measured(`semi-sync: the INSERT waiting for a SIGSTOPped replica returned ${Date.now() - resumedAt} ms after SIGCONT (${outcome?.ms} ms after it was sent), acknowledged (yes_tx +1), semi-sync still ON`);
  }, 30_000);
});
