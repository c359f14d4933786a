// A standby's lag by the heartbeat, against a real master-master pair: a missing row warns, a
// row older than --max-lag makes the standby ineligible while Seconds_Behind_Master says 0 (what
// a silent partition looks like from the standby) and a fresh one makes it eligible again; a
// table the check user cannot use is one line and exit 2; and pt-heartbeat (Debian's
// percona-toolkit) reads the rows we write and writes rows we read, each within 1 s of the
// other's figure.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliRuns, codeOf, describeRun, runCheck, type CheckRun } from '../helpers/clients/cli.js';
import { PtHeartbeatUpdater, ptHeartbeatCheck, ptHeartbeatMissing } from '../helpers/clients/pt-heartbeat.js';
import { figureLog } from '../helpers/figures.js';
import { createHeartbeatTable, grantHeartbeat, HEARTBEAT_DB, HEARTBEAT_TABLE } from '../helpers/servers/heartbeat.js';
import { startPair, waitForReplication, type Pair } from '../helpers/servers/pair.js';
import type { Server } from '../helpers/servers/server.js';
import { findBinaries } from '../helpers/servers/binaries.js';
import { describeNeeding } from '../helpers/suite.js';

const { report, printAll } = figureLog('heartbeat-lag');
const mariadb = findBinaries();
const missing = (typeof mariadb === 'string' ? mariadb : undefined) ?? ptHeartbeatMissing();
/** Our figure and pt-heartbeat's, read at the same moment, may differ by this much at most. */
const AGREE_WITHIN_S = 1;

describeNeeding(missing, "the standby's lag by the heartbeat, and pt-heartbeat both ways", () => {
  let pair: Pair;

  beforeAll(async () => {
    await assertCliRuns();
    pair = await startPair();
    await createHeartbeatTable(pair);
  });

  afterAll(async () => {
    await pair?.cleanup();
    printAll();
  });

  function check(server: Server, flags: string[], table = HEARTBEAT_TABLE): Promise<CheckRun> {
    const args = ['--no-defaults', '-h', '127.0.0.1', '-P', String(server.port), '-u', pair.check.user, '--no-syslog', '--json', '--heartbeat-table', table, ...flags];
    return runCheck(args, { password: pair.check.password });
  }
  const writer = (table?: string) => check(pair.a, ['--vip', '127.0.0.1'], table);
  const standby = (flags: string[] = []) => check(pair.b, ['--vip', '192.0.2.250', ...flags]);
  const ageOf = (run: CheckRun): number | null | undefined => run.json?.heartbeat?.find((r) => r.serverId === 1)?.ageSeconds;

  it('before the writer has written, the standby warns heartbeat-missing and judges by Seconds_Behind alone', async () => {
    const run = await standby();
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.json?.warnings.map(codeOf), describeRun(run)).toEqual(['heartbeat-missing']);
    expect(run.json?.warnings[0]).toMatch(/no heartbeat row for server_id 1 in `heartbeat`.`heartbeat`/);
  });

  it('a row older than --max-lag makes the standby ineligible though Seconds_Behind_Master says 0, and the next write makes it eligible again', async () => {
    expect((await writer()).code).toBe(0);
    await waitForReplication(pair);
    const fresh = await standby(['--max-lag', '2']);
    expect(fresh.code, describeRun(fresh)).toBe(0);
    // Nothing writes now: the row ages on the standby while its threads run with nothing to apply.
    await sleep(2_600);
    const stale = await standby(['--max-lag', '2']);
    const [row] = await pair.b.slaveStatus();
    report(`row left to age: ${ageOf(stale)?.toFixed(2)} s old by the standby's clock, Seconds_Behind_Master ${String(row?.Seconds_Behind_Master)}: ${stale.json?.reasons[0] ?? '(healthy)'}`);
    expect(stale.code, describeRun(stale)).toBe(1);
    expect(stale.json?.reasons.map(codeOf)).toEqual(['lag']);
    expect(stale.json?.reasons[0]).toMatch(/^lag: default channel: \d+\.\d s behind source 127\.0\.0\.1:\d+, by its source's heartbeat \(Seconds_Behind says 0 s\) \(max 2 s\)$/);

    expect((await writer()).code).toBe(0);
    await waitForReplication(pair);
    const again = await standby(['--max-lag', '2']);
    expect(again.code, describeRun(again)).toBe(0);
    expect(ageOf(again)).toBeLessThan(2);
  });

  describe('a table the check user cannot use: one line on stderr and exit 2', () => {
    beforeAll(async () => {
      await pair.a.exec(`CREATE TABLE ${HEARTBEAT_DB}.not_pt (id INT PRIMARY KEY)`, `CREATE TABLE ${HEARTBEAT_DB}.read_only_grant LIKE ${HEARTBEAT_TABLE}`);
      await Promise.all([grantHeartbeat(pair.a, pair, `${HEARTBEAT_DB}.not_pt`), grantHeartbeat(pair.a, pair, `${HEARTBEAT_DB}.read_only_grant`, 'SELECT')]);
    });

    it.each([
      ['no grant on it (1142), INSERT named', `${HEARTBEAT_DB}.nope`, /^check-mysql: heartbeat-unusable: heartbeat table `heartbeat`.`nope`: the check user lacks INSERT, UPDATE on it: grant SELECT, INSERT and UPDATE on it \(docs\/grants.md\); the server said: .*\(errno 1142\)\n$/],
      ['SELECT only (1142), INSERT and UPDATE named', `${HEARTBEAT_DB}.read_only_grant`, /^check-mysql: heartbeat-unusable: heartbeat table `heartbeat`.`read_only_grant`: the check user lacks INSERT, UPDATE on it: .*\(errno 1142\)\n$/],
      ["not pt-heartbeat's columns (1054)", `${HEARTBEAT_DB}.not_pt`, /^check-mysql: heartbeat-unusable: heartbeat table `heartbeat`.`not_pt`: it lacks pt-heartbeat's columns .*\(errno 1054\)\n$/],
      ['a malformed name', 'heartbeat', /^check-mysql: invalid --heartbeat-table 'heartbeat': expected DB.TABLE, each a MySQL identifier/],
    ])('the writer: %s', async (_what, table, line) => {
      const run = await writer(table);
      expect(run.code, describeRun(run)).toBe(2);
      expect(run.stdout, describeRun(run)).toBe('');
      expect(run.stderr, describeRun(run)).toMatch(line);
      expect(run.stderr.split('\n').filter(Boolean), describeRun(run)).toHaveLength(1);
    });

    it('the standby: no grant on it (1142), SELECT named', async () => {
      const run = await check(pair.b, ['--vip', '192.0.2.250'], `${HEARTBEAT_DB}.nope`);
      expect(run.code, describeRun(run)).toBe(2);
      expect(run.stderr).toMatch(/^check-mysql: heartbeat-unusable: heartbeat table `heartbeat`.`nope`: the check user lacks SELECT on it: grant SELECT on it/);
    });
  });

  /**
   * Our figure and `pt-heartbeat --check`'s for the same moment. pt-heartbeat sleeps until the
   * next whole second plus --skew, reads the row there, and prints its age less --skew (it
   * refuses a skew of 0). Our standby check runs back to back meanwhile; the sample nearest that
   * moment, moved to it by the time between, is our figure. A skew of 0.25 s keeps the moment
   * between pt-heartbeat --update's writes on whole and half seconds.
   */
  async function atPtMoment(skew: number): Promise<{ ours: number; theirs: number; apartMs: number }> {
    const samples: { now: number; age: number }[] = [];
    let done = false;
    const theirs = ptHeartbeatCheck(pair.b, HEARTBEAT_DB, 1, undefined, ['--skew', String(skew)]).finally(() => (done = true));
    const ours = (async () => {
      while (!done) {
        const run = await standby();
        expect(run.code, describeRun(run)).toBe(0);
        const row = run.json?.heartbeat?.find((r) => r.serverId === 1);
        if (typeof row?.ageSeconds === 'number') samples.push({ now: row.nowSeconds, age: row.ageSeconds });
      }
    })();
    const figure = await theirs;
    const exitedAt = Date.now() / 1000;
    await ours;
    const readAt = Math.floor(exitedAt - skew) + skew;
    const nearest = samples.reduce((a, b) => (Math.abs(b.now - readAt) < Math.abs(a.now - readAt) ? b : a));
    return { ours: Math.max(0, nearest.age + (readAt - nearest.now) - skew), theirs: figure, apartMs: Math.round(Math.abs(readAt - nearest.now) * 1000) };
  }

  /** `samples` comparisons at pt-heartbeat's moment, reported; returns |ours - theirs| of each. */
  async function compare(label: string, samples: number): Promise<number[]> {
    const differences: number[] = [];
    const apart: number[] = [];
    for (let i = 0; i < samples; i++) {
      const { ours, theirs, apartMs } = await atPtMoment(0.25);
      differences.push(Math.abs(ours - theirs));
      apart.push(apartMs);
    }
    const mean = differences.reduce((a, b) => a + b, 0) / samples;
    report(`${label}: |ours - pt-heartbeat --check| at its read over ${samples} reads: max ${Math.max(...differences).toFixed(3)} s, mean ${mean.toFixed(3)} s (our nearest sample ${Math.max(...apart)} ms from its read at most)`);
    return differences;
  }

  /** The issue's own command line (default --skew 0.5), started together with our standby check. */
  async function asNamed(label: string): Promise<number> {
    const [ours, theirs] = await Promise.all([standby(), ptHeartbeatCheck(pair.b, HEARTBEAT_DB, 1)]);
    const age = ageOf(ours)!;
    report(`${label}: our lag ${age.toFixed(3)} s, \`pt-heartbeat --check -D heartbeat --utc --master-server-id 1\` ${theirs.toFixed(2)} s`);
    return Math.abs(age - theirs);
  }

  it('pt-heartbeat --update writes, our standby check reads: within 1 s of pt-heartbeat --check', async () => {
    const update = await PtHeartbeatUpdater.start(pair.a, { db: HEARTBEAT_DB, intervalS: 0.5 });
    try {
      await sleep(1_500);
      await waitForReplication(pair);
      for (const d of await compare('rows by pt-heartbeat --update --utc --interval 0.5', 6)) expect(d, update.errors).toBeLessThan(AGREE_WITHIN_S);
      expect(await asNamed("pt-heartbeat's rows")).toBeLessThan(AGREE_WITHIN_S);
    } finally {
      await update.stop();
    }
  });

  it('our writer check writes, pt-heartbeat --check reads: within 1 s of our standby check', async () => {
    let writing = true;
    // As keepalived would run the writer's check: once a second.
    const writes = (async () => {
      while (writing) {
        const run = await writer();
        expect(run.code, describeRun(run)).toBe(0);
        await sleep(1_000 - Math.min(run.wallMs, 900));
      }
    })();
    try {
      await sleep(1_200);
      for (const d of await compare('rows by our one-shot writer check every second', 6)) expect(d).toBeLessThan(AGREE_WITHIN_S);
      expect(await asNamed('our rows')).toBeLessThan(AGREE_WITHIN_S);
    } finally {
      writing = false;
      await writes;
    }
  });
});
