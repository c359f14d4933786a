// Maintenance under real keepalived, in the end-to-end topology (daemon variant: track file +
// freshness guard, unicast VRRP, the example notify handler): `check-mysql maintenance on` on
// the standby puts its keepalived in FAULT, so the VIP never goes there even when the writer
// dies; on the writer it makes the VIP leave for the standby, which is made writable. Each step
// is measured from the moment the command is started, as an operator types it, and printed as
// `measured:` lines.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertCliRuns, describeRun, runCheck } from '../helpers/clients/cli.js';
import { assertOneWritableHolder, keepalivedOf, settledPair, waitReadOnly, waitWritable } from '../helpers/e2e/failover.js';
import { Topology } from '../helpers/e2e/topology.js';
import { nodePaths, type NodeName } from '../helpers/keepalived/examples.js';
import type { KeepalivedProcess } from '../helpers/keepalived/process.js';
import { describeWithKeepalived } from '../helpers/suite.js';

/** keepalived spawned -> first VIP holder (e2e-topology: 6.4 s measured with the daemon), with slack. */
const FIRST_MASTER_WITHIN_MS = 15_000;
/**
 * maintenance on -> VIP on the other node: the command's start-up (~0.5 s on this loaded
 * machine), inotify, the priority-0 advert and the peer's skew (0.61 s); slack for load.
 */
const VIP_MOVES_WITHIN_MS = 4_000;
/** A BACKUP that hears nothing takes over after 3 x advert_int + skew: how long to watch the VIP go nowhere. */
const ORPHAN_WATCH_MS = 6_000;

const figures: string[] = [];
function measured(line: string): void {
  figures.push(line);
  console.log(`measured: ${line}`);
}

describeWithKeepalived('maintenance under real keepalived: the standby is never chosen, the writer hands the VIP over', () => {
  let topo: Topology | undefined;

  beforeAll(async () => {
    await assertCliRuns();
    topo = await Topology.start({ variant: 'daemon', vrrp: 'unicast', notify: 'example' });
  }, 90_000);

  afterAll(async () => {
    await topo?.cleanup();
    if (figures.length > 0) console.log(`[maintenance-keepalived] figures:\n  ${figures.join('\n  ')}`);
  }, 60_000);

  const t = (): Topology => {
    if (!topo) throw new Error('the topology did not start');
    return topo;
  };
  const ka = (n: NodeName): KeepalivedProcess => keepalivedOf(t(), n);
  const fileOf = (n: NodeName): string => nodePaths(t().nodes[n].dir).maintenanceFile;

  async function maintenance(n: NodeName, action: 'on' | 'off', reason?: string): Promise<number> {
    const t0 = Date.now();
    const run = await runCheck(['maintenance', action, '--maintenance-file', fileOf(n), ...(reason ? ['--reason', reason] : [])]);
    expect(run.code, describeRun(run)).toBe(0);
    return t0;
  }

  const settled = () => settledPair(t(), FIRST_MASTER_WITHIN_MS);

  it('maintenance on the standby puts its keepalived in FAULT; when the writer then dies the VIP goes nowhere; off, it is a BACKUP again', async () => {
    const { writer, standby } = await settled();

    const t0 = await maintenance(standby, 'on', 'kernel patch');
    const fault = await ka(standby).waitForState('FAULT', t0, 5_000);
    measured(`keepalived: 'maintenance on' on the standby -> its keepalived FAULT: ${fault.at - t0} ms (from the command's start)`);
    expect((await t().vipHolders())).toEqual([writer]);

    // The writer dies: the only candidate is in maintenance, so nobody takes the VIP.
    const killedAt = t().killMysqld(writer);
    await ka(writer).waitForState('FAULT', killedAt, 5_000);
    const samples = await t().sampleVip(ORPHAN_WATCH_MS);
    expect(samples.filter((s) => s.holders.includes(standby)), t().describe()).toEqual([]);
    expect(await t().nodes[standby].server.readOnly(), 'the standby in maintenance stays read-only').toBe(true);

    // The writer is back: it takes the VIP again (the standby is still in maintenance).
    await t().restartMysqld(writer);
    await t().waitForVip(`the VIP back on ${writer}`, (h) => h.length === 1 && h[0] === writer, 30_000);
    await waitWritable(t(), writer);

    const t1 = await maintenance(standby, 'off');
    const backup = await ka(standby).waitForState('BACKUP', t1, 10_000);
    measured(`keepalived: 'maintenance off' on the standby -> its keepalived BACKUP: ${backup.at - t1} ms (rise 2 at interval 1 s)`);
    await assertOneWritableHolder(t(), writer);
  }, 120_000);

  it('maintenance on the writer moves the VIP to the standby, which is made writable; off, the old writer rejoins read-only and the VIP stays', async () => {
    const { writer, standby } = await settled();

    const t0 = await maintenance(writer, 'on', 'MariaDB upgrade');
    const [fault, vip] = await Promise.all([
      ka(writer).waitForState('FAULT', t0, 5_000),
      t().waitForVip(`the VIP on ${standby} only`, (h) => h.length === 1 && h[0] === standby, VIP_MOVES_WITHIN_MS + 5_000, 5),
    ]);
    const writableAt = await waitWritable(t(), standby);
    const readOnlyAt = await waitReadOnly(t(), writer);
    measured(`keepalived: 'maintenance on' on the writer -> its FAULT ${fault.at - t0} ms, VIP on the standby ${vip.at - t0} ms, standby writable ${writableAt - t0} ms, old writer read-only ${readOnlyAt - t0} ms (from the command's start)`);
    expect(vip.at - t0, t().describe()).toBeLessThan(VIP_MOVES_WITHIN_MS);

    const t1 = await maintenance(writer, 'off');
    const backup = await ka(writer).waitForState('BACKUP', t1, 10_000);
    measured(`keepalived: 'maintenance off' on the old writer -> its keepalived BACKUP: ${backup.at - t1} ms`);
    // nopreempt: the VIP stays where it is, and the old writer is a read-only standby.
    const after = await t().sampleVip(3_000);
    expect(after.every((s) => s.holders.length === 1 && s.holders[0] === standby), t().describe()).toBe(true);
    expect(await t().nodes[writer].server.readOnly()).toBe(true);
    await assertOneWritableHolder(t(), standby);
  }, 120_000);
});
