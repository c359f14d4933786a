// End to end on one machine: two "hosts" (network namespaces on a bridge, TEST-NET-1 only),
// each with mariadbd in master-master GTID replication and keepalived running a shipped
// example config, whose notify handler (check-mysql notify, run through a recorder that also
// timestamps each transition) makes the VIP holder writable and everything else read-only. A
// client namespace writes through the VIP. Two setups: the one-shot check over multicast VRRP
// with async replication (the seed's setup), and the daemon (track file + freshness guard)
// over unicast VRRP with semi-synchronous replication.
//
// Both run with the heartbeat (--heartbeat-table heartbeat.heartbeat, as the examples do): each
// check of the writer writes a row, each check of the standby reads its age.
//
// The failures, each inflicted on the VIP holder while the client writes (helpers/e2e/failover.ts):
// SIGSTOP and kill -9 of mysqld, a network cut, kill -9 of the daemon, and two that stall the
// writer's commits while it answers everything else (a held FLUSH TABLES WITH READ LOCK, a full
// binlog disk: only the heartbeat write finds them; once repaired, the pair must agree on every
// row except, after the full disk, writes whose clients were never told OK: docs/failover.md);
// each repaired afterwards, after which the old holder must rejoin read-only without taking
// the VIP back.
// Last, a standby whose replication an SQL error broke: it goes FAULT, and when the writer
// then dies nobody takes the VIP (an outage, not stale data) until the writer is back.
import { expect, it } from 'vitest';
import { afterStall, assertOneWritableHolder, failOver, fencedAt, type FailoverRun, type FailureKind, FAILURES, rejoin, releaseAll, waitReadOnly, waitWritable } from '../helpers/e2e/failover.js';
import { other } from '../helpers/e2e/node.js';
import type { Topology, TopologyOptions } from '../helpers/e2e/topology.js';
import { topologyForSuite } from '../helpers/e2e/topology-suite.js';
import { measured } from '../helpers/measured.js';
import { describeWithKeepalived } from '../helpers/suite.js';
import { waitFor } from '../helpers/wait.js';

/**
 * keepalived spawned -> first VIP holder: the checks pass, then 3 x advert_int + skew as BACKUP.
 * Measured 3.5 s (one-shot: one passing check suffices at start) and 6.4 s (daemon: its own
 * rise 2, then the guard's); the rest is slack for a loaded machine.
 */
const FIRST_MASTER_WITHIN_MS = 15_000;
/** A VRRP BACKUP that hears nothing takes over after 3 x advert_int + skew ((256 - 100) / 256 s). */
const MASTER_DOWN_MS = 3 * 1_000 + 610;
/**
 * Each node's binlog on an ext4 of its own, for the full-disk failure: ample for the suite's
 * writes (a few MB of binlog), small enough to fill in a few tens of ms.
 */
const BINLOG_FS_MB = 24;
/**
 * rpl_semi_sync_master_timeout of the semi-sync variant: below the heartbeat write's bound (600
 * ms of --timeout 0.8), as docs/check.md recommends. With 1 s, a new writer whose peer had just
 * gone (a network cut) could fail its own heartbeat write on the ACK wait (write-stalled) and
 * fall, leaving no VIP holder.
 */
const SEMI_SYNC_TIMEOUT_MS = 500;

interface Scenario {
  label: string;
  options: TopologyOptions;
  /** Per failure: the VIP on the other node within this (ms), with slack for a loaded machine. */
  vipWithinMs: Partial<Record<FailureKind, number>>;
  /** Semi-sync: an acknowledged write has reached the other node's relay log, so none is lost. */
  lossless: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    label: 'one-shot check, multicast VRRP, async replication',
    options: { variant: 'oneshot', vrrp: 'multicast', notify: 'example', binlogFsMb: BINLOG_FS_MB },
    vipWithinMs: {
      // A hung server: the check's 0.8 s deadline, fall 2 at interval 1, then the skew.
      'stop-mysqld': 6_000,
      // fall 2 at interval 1 (plus up to one interval of phase and a check's run), then the skew.
      'kill-mysqld': 5_500,
      // No priority-0 advert from a node without a link: the other waits out master-down.
      'cut-link': MASTER_DOWN_MS + 2_000,
      // A stalled commit: the heartbeat write's bound (0.6 s of the 0.8 s deadline), fall 2 at interval 1, then the skew.
      'read-lock': 6_000,
      'full-disk': 6_000,
    },
    lossless: false,
  },
  {
    label: 'daemon + freshness guard, unicast VRRP, semi-sync replication',
    options: { variant: 'daemon', vrrp: 'unicast', notify: 'example', semiSync: { timeoutMs: SEMI_SYNC_TIMEOUT_MS }, binlogFsMb: BINLOG_FS_MB },
    vipWithinMs: {
      'stop-mysqld': 5_000,
      // The daemon sees the held connection close at once; then inotify and the skew (0.61 s).
      'kill-mysqld': 2_500,
      'cut-link': MASTER_DOWN_MS + 2_000,
      // The guard's fall 2 at interval 1, then the skew.
      'kill-daemon': 4_500,
      // write-stalled counts toward the daemon's fall 2 at its interval 1 (+ the 0.8 s deadline), then inotify and the skew.
      'read-lock': 5_000,
      'full-disk': 5_000,
    },
    lossless: true,
  },
];

const figures: string[] = [];
const ms = (t: number | undefined, t0: number): string => (t === undefined || Number.isNaN(t) ? '?' : `${Math.round(t - t0)} ms`);

for (const scenario of SCENARIOS) {
  const tag = `${scenario.options.variant}/${scenario.options.vrrp}${scenario.options.semiSync ? '/semi-sync' : ''}`;
  const report = (line: string): void => {
    figures.push(`[${tag}] ${line}`);
    console.log(`[e2e-topology ${tag}] ${line}`);
  };

  describeWithKeepalived(`end to end (${scenario.label}): keepalived from the examples moves the VIP and the writes`, () => {
    const t = topologyForSuite(scenario.options, () => {
      if (scenario === SCENARIOS[SCENARIOS.length - 1] && figures.length > 0) console.log(`[e2e-topology] figures:\n  ${figures.join('\n  ')}`);
    });

    it(`exactly one node takes the VIP and is made writable; the other hears its ${scenario.options.vrrp} adverts and stays a read-only BACKUP`, async () => {
      const topo = t();
      const holder = await topo.waitForSingleHolder(FIRST_MASTER_WITHIN_MS);
      await waitWritable(topo, holder.node);
      const peer = other(holder.node);

      // Longer than 3 x advert_int + skew: a BACKUP that heard no advert would become MASTER too.
      const samples = await topo.sampleVip(4_500);

      const peerStates = topo.nodes[peer].keepalived?.states().map((s) => s.state);
      const master = topo.nodes[holder.node].keepalived?.states().find((s) => s.state === 'MASTER');
      report(`keepalived spawned on both nodes -> VIP seen on node ${holder.node}: ${holder.at - topo.keepalivedStartedAt} ms`);
      expect(samples.every((s) => s.holders.length === 1 && s.holders[0] === holder.node), topo.describe()).toBe(true);
      expect(peerStates, topo.describe()).toContain('BACKUP');
      expect(peerStates, topo.describe()).not.toContain('MASTER');
      expect(master, topo.describe()).toBeDefined();
      await assertOneWritableHolder(topo, holder.node);
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

    /** The figures and assertions every failover shares. */
    async function checkFailover(run: FailoverRun, withinMs: number): Promise<void> {
      const topo = t();
      const { old, next, t0, writer } = run;
      const what = `${FAILURES[run.kind].label} on ${old}`;
      const newId = topo.nodes[next].server.serverId;
      const lastOld = [...writer.acks].reverse().find((a) => run.firstAck && a.at < run.firstAck.at && a.serverId !== newId);
      report(`${what} -> FAULT on ${old} ${ms(run.faultAt, t0)}, MASTER on ${next} ${ms(run.masterAt, t0)}, VIP on ${next} ${ms(run.vipAt, t0)}, writable ${ms(run.writableAt, t0)}, first acked write ${ms(run.firstAck?.at, t0)} (INSERT ${Math.round(run.firstAck?.queryMs ?? Number.NaN)} ms)`);
      report(`${what}: write gap ${lastOld && run.firstAck ? Math.round(run.firstAck.at - lastOld.at) : '?'} ms; ${writer.acks.length} acked; errors ${JSON.stringify(writer.errorCounts(t0))}; acked writes missing on ${next}: ${run.lost.length}`);

      measured(`[${tag}] ${what}: fault -> first acknowledged write through the VIP on ${next}: ${ms(run.firstAck?.at, t0)}`);

      expect(run.vipAt - t0, topo.describe()).toBeLessThanOrEqual(withinMs);
      expect(run.masterAt, topo.describe()).toBeDefined();
      expect(run.firstAck, writer.describe()).toBeDefined();
      // Once the first write lands on the new holder, every later one does too (no flapping back).
      expect(writer.acks.filter((a) => run.firstAck && a.at > run.firstAck.at).every((a) => a.serverId === newId), writer.describe()).toBe(true);
      if (scenario.lossless) expect(run.lost, 'semi-sync: every acknowledged write is on the survivor').toEqual([]);
    }

    async function repairAndRejoin(run: FailoverRun): Promise<void> {
      const topo = t();
      const back = await rejoin(topo, run, 3_000);
      // A node whose writes only stalled is a fit standby once the VIP has left: BACKUP before its repair.
      const backup = back.backupAt < back.repairedAt && FAILURES[run.kind].stallsWrites ? `BACKUP already (${ms(back.backupAt, run.t0)} after the failure)` : `BACKUP ${ms(back.backupAt, back.repairedAt)}`;
      report(`${FAILURES[run.kind].label} on ${run.old} repaired -> read-only ${ms(back.readOnlyAt, back.repairedAt)}, ${backup}, caught up ${ms(back.caughtUpAt, back.repairedAt)}; VIP stayed on ${run.next} for 3 s${back.repairNote ? ` (repair: ${back.repairNote})` : ''}`);
      if (!scenario.lossless) {
        // Async: writes the old holder acknowledged but never shipped reach the new one now,
        // through its replication from the old one (master-master), late and out of order.
        report(`acked writes missing on ${run.next} after ${run.old} rejoined: ${(await topo.lostAcks(run.writer.acks, run.next)).length} (at failover: ${run.lost.length})`);
      }
      await assertOneWritableHolder(topo, run.next);
    }

    /**
     * One failure of the VIP holder while the client writes: the VIP and the writes move, and
     * (`fences`: the old writer still runs) its FAULT notify made it read-only; then it is
     * repaired and must rejoin as a read-only standby without taking the VIP back. For a
     * failure that stalls the old writer's commits, once it is repaired and replication has run
     * both ways: every acknowledged write is on the new writer, nothing of the application is left
     * waiting on the old one, and a row only one of them has is a write whose client never saw it
     * acknowledged (under the read lock: none, the pair converges).
     */
    async function failureScenario(kind: FailureKind, fences: boolean): Promise<void> {
      const topo = t();
      const within = scenario.vipWithinMs[kind] ?? 0;
      const run = await failOver(topo, kind, { vipWithinMs: within + 5_000, promotes: true }).catch(async (err) => {
        await releaseAll(topo, kind);
        throw err;
      });
      try {
        if (fences) {
          await waitReadOnly(topo, run.old, 10_000);
          // The handler logs right after read_only=ON: give its line a moment.
          const fenced = await waitFor('the notify FAULT log line', () => fencedAt(topo, run.old, run.t0), { timeoutMs: 2_000, intervalMs: 20 }).catch(() => undefined);
          report(`${FAILURES[kind].label} on ${run.old} -> ${run.old} read-only (as its notify FAULT logged): ${ms(fenced, run.t0)}`);
        }
        await checkFailover(run, within);
      } finally {
        await repairAndRejoin(run);
      }
      if (FAILURES[kind].stallsWrites) {
        const after = await afterStall(topo, run);
        const same = after.checksums.old === after.checksums.next;
        const rows = (r: { seq: number }[]): string => `${r.length}${r.length ? ` (${r.map((x) => `#${x.seq}`).join(' ')})` : ''}`;
        report(`${FAILURES[kind].label} on ${run.old}, repaired, ${run.old} caught up; ${run.next}'s replication from ${run.old}: ${after.nextFromOld}, kept out ${after.keptOut || 'nothing'}: unacknowledged writes committed on ${run.old} after all: ${after.landedOnOld.length}; rows only on ${run.next}: ${rows(after.onlyOnNext)}, only on ${run.old}: ${rows(after.onlyOnOld)}; CHECKSUM TABLE ${same ? 'equal' : 'differs'}; application statements left on ${run.old}: ${after.pending.length}`);
        expect(after.ackedMissing, `every acknowledged write is on ${run.next}`).toEqual([]);
        expect(after.pending, 'no application statement is left waiting on the old writer').toEqual([]);
        // The new writer's promotion stopped its replication from the old one: nothing the old
        // writer logged after losing the VIP (on a full disk, the events of the commits its
        // demotion ended, which MariaDB 10.11 still writes once space is back) lands there.
        expect(after.nextFromOld, `${run.next} takes nothing from ${run.old} while it holds the VIP`).toBe('IO No, SQL Yes');
        expect(after.onlyOnNext, `no row only on ${run.next}: it has every write ${run.old} has, and none it rolled back`).toEqual([]);
        expect(after.unexplained, `a row only ${run.old} has is a write of its own whose client never saw it acknowledged`).toEqual([]);
        if (kind === 'read-lock') {
          // The waiting commits are refused (1290) when the lock goes: none lands anywhere.
          expect({ landed: after.landedOnOld, onlyOnOld: after.onlyOnOld, keptOut: after.keptOut, same }, 'the pair converges').toEqual({ landed: [], onlyOnOld: [], keptOut: '', same: true });
        }
        // A full binlog disk: a commit queued behind an ended one may still commit on the old
        // writer once space is back, and the ended ones' events still reach its binlog
        // (docs/failover.md): both stay there (onlyOnOld, keptOut), errant on the old writer.
      }
    }

    it('SIGSTOP of mysqld on the VIP holder (a hung server) moves the VIP and the writes; resumed, it rejoins read-only and the VIP stays (nopreempt)', async () => {
      await failureScenario('stop-mysqld', false);
    }, 90_000);

    it('kill -9 of mysqld on the VIP holder moves the VIP and the writes; restarted, it rejoins read-only, catches up, and the VIP stays', async () => {
      const topo = t();
      if (scenario.options.semiSync) {
        const [holder] = await topo.vipHolders();
        const status = await topo.nodes[holder ?? 'a'].server.sql("SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_master_status', 'Rpl_semi_sync_master_clients')");
        const byName = Object.fromEntries(status.map((r) => [r.Variable_name, r.Value]));
        expect(byName, 'semi-sync is on and the other node is its semi-sync replica').toEqual({ Rpl_semi_sync_master_status: 'ON', Rpl_semi_sync_master_clients: '1' });
      }
      await failureScenario('kill-mysqld', false);
    }, 90_000);

    it('a network cut of the VIP holder moves the VIP and fences the old writer (read-only); reconnected, it rejoins and the VIP stays', async () => {
      // Cut off, the old writer still runs: keepalived's FAULT notify must make it read-only.
      await failureScenario('cut-link', true);
    }, 90_000);

    if (scenario.options.variant === 'daemon') {
      it('kill -9 of the check-mysql daemon on the VIP holder makes keepalived fail over (the guard), fencing the old writer; restarted, it rejoins', async () => {
        await failureScenario('kill-daemon', true);
      }, 90_000);
    }

    it('a held global read lock on the VIP holder (a stuck backup) fails its heartbeat write: the VIP and the writes move, the old writer is fenced, its waiting commits never land; unlocked, it rejoins and the pair converges', async () => {
      await failureScenario('read-lock', true);
    }, 90_000);

    it('a full binlog disk on the VIP holder fails its heartbeat write: the VIP and the writes move, the old writer is fenced; with space freed it rejoins; nothing it logged after losing the VIP reaches the new writer', async () => {
      await failureScenario('full-disk', true);
    }, 90_000);

    it('a standby whose replication broke goes FAULT and the VIP stays; when the writer then dies nobody takes the VIP, until the writer is back', async () => {
      const topo = t();
      const [writer] = await topo.vipHolders();
      if (!writer) throw new Error(`no VIP holder\n${topo.describe()}`);
      const standby = other(writer);
      const standbyKa = topo.nodes[standby].keepalived;
      const writerKa = topo.nodes[writer].keepalived;
      if (!standbyKa || !writerKa) throw new Error('keepalived is not running on both nodes');

      const brokenAt = Date.now();
      await topo.breakReplication(standby, 2_000_000_000);
      const fault = await standbyKa.waitForState('FAULT', brokenAt, 10_000);
      report(`duplicate-key error on ${standby}'s SQL thread -> keepalived FAULT on ${standby}: ${ms(fault.at, brokenAt)}`);
      const status = (await topo.nodes[standby].server.slaveStatus())[0];
      expect(status?.Slave_SQL_Running, 'the standby\'s SQL thread stopped on the error').toBe('No');
      expect(String(status?.Last_SQL_Errno)).toBe('1062');
      await assertOneWritableHolder(topo, writer, 2_000);

      const killedAt = topo.killMysqld(writer);
      await writerKa.waitForState('FAULT', killedAt, 10_000);
      // Longer than master-down: a standby that could take over would have done so by now.
      const orphaned = await topo.sampleVip(MASTER_DOWN_MS + 1_000);
      expect(orphaned.filter((s) => s.holders.length > 0), topo.describe()).toEqual([]);
      expect(standbyKa.states().filter((s) => s.state === 'MASTER' && s.at >= killedAt), 'the stale standby was never MASTER').toEqual([]);
      expect(await topo.nodes[standby].server.readOnly(), 'the stale standby stayed read-only').toBe(true);
      report(`${writer}'s mysqld then killed -> no VIP holder for ${MASTER_DOWN_MS + 1_000} ms of sampling; ${standby} stayed FAULT and read-only`);

      const restartedAt = Date.now();
      await topo.restartMysqld(writer);
      const answeredAt = Date.now();
      const back = await topo.waitForVip(`the VIP back on ${writer}`, (h) => h.length === 1 && h[0] === writer, 20_000);
      const writableAt = await waitWritable(topo, writer);
      report(`${writer}'s mysqld restarted (${ms(answeredAt, restartedAt)} to answer) -> VIP on ${writer} ${ms(back.at, restartedAt)}, writable ${ms(writableAt, restartedAt)}`);
      await assertOneWritableHolder(topo, writer);
      expect(await topo.nodes[writer].server.readOnly()).toBe(false);
    }, 90_000);
  });
}
