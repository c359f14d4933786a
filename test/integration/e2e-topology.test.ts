// End to end on one machine: two "hosts" (network namespaces on a bridge, TEST-NET-1 only),
// each with mariadbd in master-master GTID replication and keepalived running a shipped
// example config; a client namespace writes through the VIP. Proves the topology the failover
// work (issue 4) builds on: one VIP holder, writes through the VIP, and kill -9 of the
// holder's mysqld moving the VIP and the writes to the other node. Two scenarios: the one-shot
// check over multicast VRRP with async replication (the seed's setup), and the daemon (track
// file + freshness guard) over unicast VRRP with semi-synchronous replication.
//
// The example configs' notify handler (check-mysql notify, run through a recorder that also
// timestamps each transition) makes the new VIP holder writable once it has caught up.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertCliRuns } from '../helpers/cli.js';
import { waitForAckAfter } from '../helpers/e2e-client.js';
import { readTransitions, nodePaths } from '../helpers/e2e-keepalived.js';
import { other, Topology, type TopologyOptions } from '../helpers/e2e-topology.js';
import { describeWithKeepalived } from '../helpers/keepalived.js';
import { waitFor } from '../helpers/wait.js';

/** Waits until the node's mysqld is writable (the notify handler's MASTER work); epoch ms. */
async function waitWritable(topo: Topology, node: 'a' | 'b', timeoutMs = 15_000): Promise<number> {
  const server = topo.nodes[node].server;
  await waitFor(`node ${node} writable (read_only=OFF by check-mysql notify)`, async () => ['0', 'OFF'].includes(await server.variable('read_only')), { timeoutMs, intervalMs: 5 });
  return Date.now();
}

/** keepalived's vrrp_script interval (examples: interval 1, fall 2, rise 2, advert_int 1). */
const INTERVAL_MS = 1_000;
/**
 * keepalived spawned -> first VIP holder: the checks pass, then 3 x advert_int + skew as BACKUP.
 * Measured 3.5 s (one-shot: one passing check suffices at start) and 6.4 s (daemon: its own
 * rise 2, then the guard's); the rest is slack for a loaded machine.
 */
const FIRST_MASTER_WITHIN_MS = 15_000;

interface Scenario {
  label: string;
  options: TopologyOptions;
  /** kill -9 of the holder's mysqld -> VIP on the other node, at most. */
  vipMovesWithinMs: number;
  /** Semi-sync: an acknowledged write has reached the other node's relay log, so none is lost. */
  lossless: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    label: 'one-shot check, multicast VRRP, async replication',
    options: { variant: 'oneshot', vrrp: 'multicast', notify: 'example' },
    // fall 2 at interval 1 (plus up to one interval of phase and a check's run), then the skew.
    vipMovesWithinMs: 3 * INTERVAL_MS + 1_000 + 1_500,
    lossless: false,
  },
  {
    label: 'daemon + freshness guard, unicast VRRP, semi-sync replication',
    options: { variant: 'daemon', vrrp: 'unicast', notify: 'example', semiSync: { timeoutMs: 1_000 } },
    // The daemon sees the held connection close at once; then inotify and the skew (0.61 s).
    vipMovesWithinMs: 2_500,
    lossless: true,
  },
];

const figures: string[] = [];

for (const scenario of SCENARIOS) {
  const tag = `${scenario.options.variant}/${scenario.options.vrrp}${scenario.options.semiSync ? '/semi-sync' : ''}`;
  const report = (line: string): void => {
    figures.push(`[${tag}] ${line}`);
    console.log(`[e2e-topology ${tag}] ${line}`);
  };

  describeWithKeepalived(`end to end (${scenario.label}): keepalived from the examples moves the VIP and the writes`, () => {
    let topo: Topology | undefined;

    beforeAll(async () => {
      await assertCliRuns();
      topo = await Topology.start(scenario.options);
    }, 90_000);

    afterAll(async () => {
      await topo?.cleanup();
      if (scenario === SCENARIOS[SCENARIOS.length - 1] && figures.length > 0) console.log(`[e2e-topology] figures:\n  ${figures.join('\n  ')}`);
    }, 60_000);

    const t = (): Topology => {
      if (!topo) throw new Error('the topology did not start');
      return topo;
    };

    it(`exactly one node takes the VIP, and the other hears its ${scenario.options.vrrp} adverts and stays BACKUP`, async () => {
      const topo = t();
      const holder = await topo.waitForSingleHolder(FIRST_MASTER_WITHIN_MS);
      // The example config's notify handler (check-mysql notify) makes the new holder writable.
      await waitWritable(topo, holder.node);
      const peer = other(holder.node);

      // Longer than 3 x advert_int + skew: a BACKUP that heard no advert would become MASTER too.
      const samples = await topo.sampleVip(4_500);

      const peerStates = topo.nodes[peer].keepalived?.transitions().map((s) => s.state);
      const master = topo.nodes[holder.node].keepalived?.transitions().find((s) => s.state === 'MASTER');
      report(`keepalived spawned on both nodes -> VIP seen on node ${holder.node}: ${holder.at - topo.keepalivedStartedAt} ms`);
      if (master) report(`keepalived spawned -> node ${holder.node} notified MASTER: ${master.at - topo.keepalivedStartedAt} ms`);
      expect(samples.every((s) => s.holders.length === 1 && s.holders[0] === holder.node), topo.describe()).toBe(true);
      expect(peerStates, topo.describe()).toContain('BACKUP');
      expect(peerStates, topo.describe()).not.toContain('MASTER');
      expect(master, topo.describe()).toBeDefined();
    });

    it('the client writes through the VIP to the VIP holder', async () => {
      const topo = t();
      const [holder] = await topo.vipHolders();
      if (!holder) throw new Error(`no VIP holder\n${topo.describe()}`);
      const writer = topo.startWriter({ maxWrites: 50, maxMs: 10_000, pauseMs: 5 });
      const end = await writer.done;

      expect(end.reason, writer.describe()).toBe('count');
      expect(writer.errors, writer.describe()).toEqual([]);
      expect(writer.acks).toHaveLength(50);
      expect(new Set(writer.acks.map((a) => a.serverId))).toEqual(new Set([topo.nodes[holder].server.serverId]));
      expect(await topo.lostAcks(writer.acks, holder)).toEqual([]);
    });

    it('SIGSTOP of mysqld on the VIP holder moves the VIP; resumed, the old writer rejoins read-only and the VIP stays (nopreempt)', async () => {
      const topo = t();
      const [old] = await topo.vipHolders();
      if (!old) throw new Error(`no VIP holder\n${topo.describe()}`);
      const next = other(old);
      const stoppedAt = Date.now();
      topo.nodes[old].server.kill('SIGSTOP');
      let resumed = false;
      try {
        const moved = await topo.waitForVip(`the VIP on node ${next} only`, (h) => h.length === 1 && h[0] === next, 20_000);
        const writableAt = await waitWritable(topo, next, 20_000);
        report(`SIGSTOP mysqld on ${old} -> VIP seen on ${next}: ${moved.at - stoppedAt} ms; writable: ${writableAt - stoppedAt} ms`);
        topo.nodes[old].server.kill('SIGCONT');
        resumed = true;
        // The old writer comes back: its notify (or its own check's BACKUP) makes it read-only,
        // it catches up from the new writer, and nopreempt keeps the VIP where it is.
        await waitFor(`node ${old} read-only again`, async () => ['1', 'ON'].includes(await topo.nodes[old].server.variable('read_only')), { timeoutMs: 20_000, intervalMs: 50 });
        const samples = await topo.sampleVip(3_000);
        expect(samples.every((x) => x.holders.length === 1 && x.holders[0] === next), topo.describe()).toBe(true);
        expect(['0', 'OFF']).toContain(await topo.nodes[next].server.variable('read_only'));
        report(`SIGCONT ${old} -> read-only standby again, VIP stayed on ${next} for 3 s of sampling`);
      } finally {
        if (!resumed) topo.nodes[old].server.kill('SIGCONT');
      }
    }, 90_000);

    it('kill -9 of mysqld on the VIP holder moves the VIP to the other node, and writes resume there', async () => {
      const topo = t();
      const [old] = await topo.vipHolders();
      if (!old) throw new Error(`no VIP holder\n${topo.describe()}`);
      const next = other(old);
      if (scenario.options.semiSync) {
        const status = await topo.nodes[old].server.sql("SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_master_status', 'Rpl_semi_sync_master_clients')");
        const byName = Object.fromEntries(status.map((r) => [r.Variable_name, r.Value]));
        expect(byName, 'semi-sync is on and the other node is its semi-sync replica').toEqual({ Rpl_semi_sync_master_status: 'ON', Rpl_semi_sync_master_clients: '1' });
      }
      // A short connect timeout, so that the figures show the failover rather than the client: a
      // SYN sent while the VIP is on neither node is lost, and TCP retransmits it only after 1 s.
      const writer = topo.startWriter({ maxWrites: 4_000, maxMs: 30_000, pauseMs: 5, connectTimeoutMs: 250 });
      // Writes flow before the crash.
      await waitForAckAfter(writer, Date.now() + 500, 5_000);

      const killedAt = topo.killMysqld(old);
      const moved = await topo.waitForVip(`the VIP on node ${next} only`, (h) => h.length === 1 && h[0] === next, scenario.vipMovesWithinMs + 5_000);
      // check-mysql notify on MASTER: catch up, then read_only=OFF.
      const promotedAt = await waitWritable(topo, next);
      const newId = topo.nodes[next].server.serverId;
      const first = await waitForAckAfter(writer, killedAt, 10_000, newId);
      // A second of writes on the new holder, then the writer stops.
      await new Promise((r) => setTimeout(r, 1_000));
      const end = await writer.stop();

      const fault = readTransitions(nodePaths(topo.nodes[old].dir).statesFile).find((s) => s.state === 'FAULT' && s.at >= killedAt);
      const master = readTransitions(nodePaths(topo.nodes[next].dir).statesFile).find((s) => s.state === 'MASTER' && s.at >= killedAt);
      const lastAckBefore = [...writer.acks].reverse().find((a) => a.at < first.at && a.serverId !== newId);
      const lost = await topo.lostAcks(writer.acks, next);
      const oldAcksAfterKill = writer.acks.filter((a) => a.at >= killedAt && a.serverId !== newId).length;
      report(`kill -9 mysqld on ${old} -> keepalived FAULT on ${old}: ${fault ? fault.at - killedAt : '?'} ms`);
      report(`kill -9 mysqld on ${old} -> keepalived MASTER on ${next}: ${master ? master.at - killedAt : '?'} ms`);
      report(`kill -9 mysqld on ${old} -> VIP seen on ${next} (polled every 20 ms): ${moved.at - killedAt} ms`);
      report(`kill -9 mysqld on ${old} -> ${next} caught up and read_only=OFF (check-mysql notify): ${promotedAt - killedAt} ms`);
      report(`kill -9 mysqld on ${old} -> first acked write through the VIP (on ${next}): ${Math.round(first.at - killedAt)} ms`);
      report(`that write: connect ${first.connectMs === undefined ? '(held connection)' : `${Math.round(first.connectMs)} ms`}, INSERT ${Math.round(first.queryMs)} ms`);
      report(`write gap (last ack from ${old} -> first from ${next}): ${lastAckBefore ? Math.round(first.at - lastAckBefore.at) : '?'} ms; acks from ${old} that arrived after the kill: ${oldAcksAfterKill}`);
      report(`writer: ${writer.acks.length} acked; errors by code before the VIP moved ${JSON.stringify(writer.errorCounts(killedAt, moved.at))}, after ${JSON.stringify(writer.errorCounts(moved.at))}; ended by ${end.reason}`);
      const lastErrors = writer.errors.filter((e) => e.at >= killedAt && e.at < first.at).slice(-2);
      report(`last errors before that write: ${lastErrors.map((e) => `+${Math.round(e.at - killedAt)} ms ${e.code}`).join(', ') || 'none'}`);
      if (scenario.options.semiSync) {
        const rows = await topo.nodes[next].server.sql("SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_master_status', 'Rpl_semi_sync_master_no_tx', 'Rpl_semi_sync_master_yes_tx', 'Rpl_semi_sync_master_clients')");
        report(`semi-sync on ${next} after the failover: ${rows.map((r) => `${String(r.Variable_name).replace('Rpl_semi_sync_master_', '')}=${r.Value}`).join(' ')}`);
      }
      report(`acked writes missing on ${next}: ${lost.length}${lost.length ? ` (${lost.slice(0, 10).join(', ')})` : ''}`);

      expect(moved.at - killedAt, topo.describe()).toBeLessThanOrEqual(scenario.vipMovesWithinMs);
      expect(fault, topo.describe()).toBeDefined();
      expect(master, topo.describe()).toBeDefined();
      // Once the first write lands on the new holder, every later one does too (no flapping back).
      expect(writer.acks.filter((a) => a.at > first.at).every((a) => a.serverId === newId), writer.describe()).toBe(true);
      if (scenario.lossless) expect(lost, 'semi-sync: every acknowledged write is on the survivor').toEqual([]);
    });
  });
}
