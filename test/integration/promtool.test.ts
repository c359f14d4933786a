// The daemon's metrics and the shipped alert rules, checked by Prometheus' own tool: real checks
// of a real master-master MariaDB pair are recorded as the daemon records them, the exposition is
// linted with `promtool check metrics`, and `promtool test rules` runs the rules of
// deploy/prometheus/check-mysql-alerts.yml over series parsed from that same exposition.
// Each node is checked with the other as its `peer`, as a daemon with the peer key reads it.
import { spawn } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck, withPeerFact, type CheckDeps } from '../../src/check.js';
import { PeerWatch } from '../../src/daemon/peer-watch.js';
import { deadlineAfter } from '../../src/deadline.js';
import { parseArgv } from '../../src/cli/parse-argv.js';
import { buildCheckConfig, type CheckConfig } from '../../src/config/config.js';
import { applyCheck, applyMaintenance, initialState } from '../../src/daemon/hysteresis.js';
import type { TargetState } from '../../src/types/target-state.js';
import { connectMysql } from '../../src/db/mysql.js';
import { createDaemonMetrics, type DaemonMetrics, type TargetMeta } from '../../src/metrics/daemon-metrics.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import type { Server } from '../helpers/servers/server.js';
import { startPair, waitForReplication, type Pair } from '../helpers/servers/pair.js';
import { createHeartbeatTable, HEARTBEAT_TABLE } from '../helpers/servers/heartbeat.js';
import { waitForThreads } from '../helpers/servers/replication.js';
import { describeNeeding, describeWithMariadb } from '../helpers/suite.js';
import { noFiles } from '../helpers/option-files.js';

const RULES = resolve(__dirname, '..', '..', 'deploy', 'prometheus', 'check-mysql-alerts.yml');
const ALERTS = [
  'MysqlDown',
  'MysqlSlaveIoThreadNotRunning',
  'MysqlSlaveSqlThreadNotRunning',
  'MysqlSlaveReplicationLag',
  'CheckMysqlVipHolderReadOnly',
  'CheckMysqlStandbyNotEligible',
  'CheckMysqlHeartbeatLag',
  'CheckMysqlCheckerStale',
  'CheckMysqlBothWritable',
  'CheckMysqlErrantTransactions',
  'CheckMysqlMaintenanceLeftOn',
] as const;
type AlertName = (typeof ALERTS)[number];

// 127.0.0.1 is always local, so the writer "holds" it; TEST-NET-1 is never local, so the standby does not.
const HELD_VIP = '127.0.0.1';
const FOREIGN_VIP = '192.0.2.250';
const HYSTERESIS = { rise: 2, fall: 2 };
/** Enough checks per observation for rise/fall to settle on the new state. */
const CHECKS_PER_OBSERVATION = 3;
const CLUSTER = 'pair1';

function findExecutable(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin']) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      /* next dir */
    }
  }
  return undefined;
}

/** Like describeWithMariadb, for promtool too: skipped locally without it, failing under CI. */
function describeWithPromtool(name: string, body: (promtool: string) => void): void {
  const promtool = findExecutable('promtool');
  if (promtool) describeWithMariadb(name, () => body(promtool));
  else describeNeeding('promtool not found on PATH (Debian: apt-get install prometheus)', name, () => body(''));
}

interface Run {
  code: number | null;
  output: string;
}

function run(command: string, args: string[], stdin = ''): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.once('error', fail);
    child.once('close', (code) => done({ code, output }));
    child.stdin.end(stdin);
  });
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Sample lines of the text exposition format: name{label="value",...} value. */
function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not an exposition sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, raw] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      }
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

interface Node {
  readonly meta: TargetMeta;
  /** As Prometheus would label the scrape of this node's daemon. */
  readonly instance: string;
  readonly server: () => Server;
  readonly registry: Registry;
  readonly metrics: DaemonMetrics;
  config?: CheckConfig;
  /** The daemon's reading of the other node (its `peer`). */
  peer?: PeerWatch;
  state: TargetState;
}

interface Scrape {
  node: Node;
  text: string;
  /** Unix seconds when it was taken, to turn timestamps into ages. */
  at: number;
}

type Clock = 'live' | 'stalled';
/** Where promtool evaluates the alerts unless a test says otherwise: past every rule's `for` but the 4 h of CheckMysqlMaintenanceLeftOn. */
const EVAL_TIME = '5m';

/** A promtool duration (`5m`, `4h10m`) in whole minutes. */
function minutes(duration: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?$/.exec(duration);
  if (!m || duration === '') throw new Error(`not a duration in h and m: ${duration}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

/**
 * promtool input_series for one scrape held for `steps` minutes. *_timestamp_seconds keep their
 * age at scrape time against promtool's clock (which starts at 0): with a live checker they
 * advance with it, with a stalled one they stand still.
 */
function inputSeries({ node, text, at }: Scrape, clock: Clock, steps: number): { series: string; values: string }[] {
  return parseExposition(text).map(({ name, labels, value }) => {
    // Prometheus drops empty labels and adds `instance` to what it scrapes.
    const all = { ...Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== '')), instance: node.instance };
    const selector = `${name}{${Object.entries(all).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    const age = at - value;
    const values = !name.endsWith('_timestamp_seconds') ? `${value}x${steps}` : clock === 'live' ? `${-age}+60x${steps}` : `${-age}x${steps}`;
    return { series: selector, values };
  });
}

interface ExpectedAlert {
  exp_labels: Record<string, string>;
  exp_annotations: Record<string, string>;
}

function rulesTestFile(scrapes: Scrape[], clock: Clock, expected: Partial<Record<AlertName, ExpectedAlert[]>>, evalTime: string): string {
  // The series run 5 minutes past the evaluation, so every range a rule looks back over is full.
  const steps = minutes(evalTime) + 5;
  const test = {
    rule_files: [RULES],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: scrapes.flatMap((s) => inputSeries(s, clock, steps)),
        // Every rule is asserted, so an alert that fires where it should not fails the test.
        alert_rule_test: ALERTS.map((alertname) => ({ eval_time: evalTime, alertname, exp_alerts: expected[alertname] ?? [] })),
      },
    ],
  };
  return JSON.stringify(test, null, 1); // JSON is YAML
}

describeWithPromtool('promtool: daemon metrics from a real pair, and the alert rules over them', (promtool) => {
  let pair: Pair | undefined;
  let dir: string | undefined;
  let a: Node;
  let b: Node;
  const deps: CheckDeps = { connect: connectMysql, now: () => performance.now(), networkInterfaces };

  function node(name: string, vip: string, server: () => Server): Node {
    const registry = new Registry();
    return {
      meta: { name, labels: { cluster: CLUSTER }, vip },
      instance: `${name}:9150`,
      server,
      registry,
      metrics: createDaemonMetrics(registry, ['cluster']),
      state: initialState(Date.now()),
    };
  }

  function configAt(n: Node, port: number): CheckConfig {
    const p = pair!;
    const argv = ['--no-defaults', '-h', '127.0.0.1', '-P', String(port), '-u', p.check.user, '--vip', n.meta.vip!, '--heartbeat-table', HEARTBEAT_TABLE];
    return buildCheckConfig({ argv: parseArgv(argv), env: { MYSQL_PWD: p.check.password }, fs: noFiles });
  }

  /** As the daemon has it with `peer` set to the other node: same credentials, the other port. */
  function configFor(n: Node): CheckConfig {
    const other = n === a ? b : a;
    const config = configAt(n, n.server().port);
    const peer = configAt(n, other.server().port).connection;
    n.peer = new PeerWatch(peer, { connect: connectMysql, now: deps.now, wallClock: Date.now });
    return { ...config, policy: { ...config.policy, peer: peer.label } };
  }

  /** Checks both nodes as their daemons would, and scrapes each daemon's registry; `beforeStandby` runs between the two. */
  async function observe(beforeStandby?: () => Promise<void>): Promise<Scrape[]> {
    const scrapes: Scrape[] = [];
    for (const n of [a, b]) {
      if (n === b) await beforeStandby?.();
      n.config ??= configFor(n);
      for (let i = 0; i < CHECKS_PER_OBSERVATION; i++) {
        const config = n.config;
        const [own, peer] = await Promise.all([runCheck(config, deps), n.peer!.read(deadlineAfter(config.timeoutMs, deps.now))]);
        const report = withPeerFact(own, peer, config.policy);
        n.state = applyCheck(n.state, report, Date.now(), HYSTERESIS);
        n.metrics.record(n.meta, n.state);
      }
      scrapes.push({ node: n, text: await n.registry.metrics(), at: Date.now() / 1000 });
    }
    return scrapes;
  }

  const reasons = (n: Node): string[] => n.state.lastReport?.verdict.reasons.map((r) => r.code) ?? [];
  const warnings = (n: Node): string[] => n.state.lastReport?.verdict.warnings.map((w) => w.code) ?? [];

  async function expectMetricsLintClean(scrapes: Scrape[]): Promise<void> {
    for (const s of scrapes) {
      const lint = await run(promtool, ['check', 'metrics'], s.text);
      expect({ code: lint.code, output: lint.output }, `promtool check metrics on ${s.node.meta.name}:\n${s.text}`).toEqual({ code: 0, output: '' });
    }
  }

  async function expectRulesTest(name: string, scrapes: Scrape[], clock: Clock, expected: Partial<Record<AlertName, ExpectedAlert[]>>, evalTime = EVAL_TIME): Promise<void> {
    const file = join(dir!, `${name}.test.yml`);
    writeFileSync(file, rulesTestFile(scrapes, clock, expected, evalTime));
    const result = await run(promtool, ['test', 'rules', file]);
    expect(result.code, `promtool test rules ${file}:\n${result.output}`).toBe(0);
  }

  const common = (n: Node) => ({ target: n.meta.name, cluster: CLUSTER, instance: n.instance });

  beforeAll(async () => {
    const local = Object.values(networkInterfaces()).flat().map((i) => i?.address);
    expect(local, `${FOREIGN_VIP} must not be on a local interface`).not.toContain(FOREIGN_VIP);
    dir = await makeTempDir();
    pair = await startPair();
    await createHeartbeatTable(pair);
    a = node('db-a', HELD_VIP, () => pair!.a);
    b = node('db-b', FOREIGN_VIP, () => pair!.b);
  });

  afterAll(async () => {
    await Promise.all([a, b].map((n) => n?.peer?.stop(deadlineAfter(1000, deps.now))));
    await pair?.cleanup();
    if (dir) await removeTempDir(dir);
  });

  it('a healthy pair: the exposition is lint-clean and no alert fires', async () => {
    const scrapes = await observe();
    expect([a.state.healthy, b.state.healthy], `reasons: a ${reasons(a)}, b ${reasons(b)}`).toEqual([true, true]);
    await expectMetricsLintClean(scrapes);
    await expectRulesTest('healthy', scrapes, 'live', {});
  });

  it('standby SQL thread stopped: the public slave-SQL rule and the not-eligible rule fire for the standby', async () => {
    await pair!.b.exec('STOP SLAVE SQL_THREAD');
    try {
      const scrapes = await observe();
      expect(reasons(b)).toEqual(['sql-thread-stopped']);
      expect(b.state.healthy).toBe(false);
      await expectMetricsLintClean(scrapes);
      const sqlThread = { ...common(b), master_host: '127.0.0.1', severity: 'critical' };
      await expectRulesTest('sql-thread-stopped', scrapes, 'live', {
        MysqlSlaveSqlThreadNotRunning: [
          {
            exp_labels: sqlThread,
            exp_annotations: {
              summary: `MySQL Slave SQL thread not running (target db-b, instance ${b.instance})`,
              description: 'The replication SQL thread from 127.0.0.1 on db-b is stopped: it applies nothing, so the server falls behind.',
            },
          },
        ],
        CheckMysqlStandbyNotEligible: [
          {
            exp_labels: { ...common(b), severity: 'warning' },
            exp_annotations: {
              summary: `Standby cannot take over (target db-b, instance ${b.instance})`,
              description: 'db-b is not eligible to take over the VIP; last check: sql-thread-stopped.',
            },
          },
        ],
      });
    } finally {
      await pair!.b.exec('START SLAVE SQL_THREAD');
      await waitForThreads(pair!.b);
    }
  });

  it('the writer holds the VIP with read_only=ON: the VIP-holder rule fires for it', async () => {
    await pair!.a.exec('SET GLOBAL read_only = ON');
    try {
      const scrapes = await observe();
      expect(reasons(a)).toEqual(['writer-read-only']);
      expect(b.state.healthy, `standby reasons: ${reasons(b)}`).toBe(true);
      await expectMetricsLintClean(scrapes);
      await expectRulesTest('vip-holder-read-only', scrapes, 'live', {
        CheckMysqlVipHolderReadOnly: [
          {
            exp_labels: { ...common(a), vip: HELD_VIP, severity: 'critical' },
            exp_annotations: {
              summary: `VIP holder is read-only (target db-a, VIP ${HELD_VIP})`,
              description: `db-a holds VIP ${HELD_VIP} but read_only=ON (writer-read-only): every write through the VIP fails.`,
            },
          },
        ],
      });
    } finally {
      await pair!.a.exec('SET GLOBAL read_only = OFF');
    }
  });

  it("the standby applied its source's last heartbeat 120 s ago while Seconds_Behind_Master says 0: the heartbeat-lag rule fires, the public lag rule does not", async () => {
    // What a silent partition shows: the writer's rows stop arriving, the IO thread stays Yes.
    const ageRow = async () => {
      await waitForReplication(pair!);
      await pair!.b.exec(
        'SET SESSION sql_log_bin=0',
        `UPDATE ${HEARTBEAT_TABLE} SET ts = DATE_FORMAT(UTC_TIMESTAMP(6) - INTERVAL 120 SECOND, '%Y-%m-%dT%H:%i:%s.%f') WHERE server_id = 1`,
        'SET SESSION sql_log_bin=1',
      );
    };
    try {
      const scrapes = await observe(ageRow);
      expect(reasons(b)).toEqual(['lag']);
      expect(b.state.lastReport?.verdict.reasons[0]?.message).toMatch(/by its source's heartbeat \(Seconds_Behind says 0 s\)/);
      await expectMetricsLintClean(scrapes);
      await expectRulesTest('heartbeat-lag', scrapes, 'live', {
        CheckMysqlHeartbeatLag: [
          {
            exp_labels: { ...common(b), source: 'heartbeat', severity: 'critical' },
            exp_annotations: {
              summary: `MySQL heartbeat lag (target db-b, instance ${b.instance})`,
              description: "The newest heartbeat of its source that db-b has applied is more than 30 s old beyond its configured SQL_Delay, whatever Seconds_Behind says: it is behind, or cut off from its source.",
            },
          },
        ],
        CheckMysqlStandbyNotEligible: [
          {
            exp_labels: { ...common(b), severity: 'warning' },
            exp_annotations: {
              summary: `Standby cannot take over (target db-b, instance ${b.instance})`,
              description: 'db-b is not eligible to take over the VIP; last check: lag.',
            },
          },
        ],
      });
    } finally {
      // The writer's next heartbeat replicates over the aged row.
      await runCheck(a.config!, deps);
      await waitForReplication(pair!);
    }
  });

  it('both nodes writable: the both-writable rule fires for each node, naming its peer', async () => {
    await pair!.b.exec('SET GLOBAL read_only = OFF');
    try {
      const scrapes = await observe();
      expect(warnings(a)).toContain('peer-writable');
      expect(warnings(b)).toContain('peer-writable');
      await expectMetricsLintClean(scrapes);
      const both = (n: Node, peer: Node): ExpectedAlert => ({
        exp_labels: { ...common(n), peer: `127.0.0.1:${peer.server().port}`, severity: 'critical' },
        exp_annotations: {
          summary: `Both nodes writable (target ${n.meta.name}, peer 127.0.0.1:${peer.server().port})`,
          description: `${n.meta.name} and its peer 127.0.0.1:${peer.server().port} both have read_only=OFF: writes reaching both diverge the pair.`,
        },
      });
      await expectRulesTest('both-writable', scrapes, 'live', { CheckMysqlBothWritable: [both(a, b), both(b, a)] });
    } finally {
      await pair!.b.exec('SET GLOBAL read_only = ON');
    }
  });

  it('a write on the standby that the writer never received: the errant-transactions rule fires for the standby', async () => {
    await pair!.a.exec('STOP SLAVE');
    try {
      await pair!.b.exec(`INSERT INTO ${pair!.schema}.t (id, v) VALUES (700, 7)`);
      const scrapes = await observe();
      expect(warnings(b)).toContain('errant-transactions');
      expect(warnings(a)).not.toContain('errant-transactions');
      await expectMetricsLintClean(scrapes);
      // The writer's own replication from the standby is stopped, which its rules say too.
      const stopped = (thread: 'IO' | 'SQL', what: string): ExpectedAlert => ({
        exp_labels: { ...common(a), master_host: '127.0.0.1', severity: 'critical' },
        exp_annotations: { summary: `MySQL Slave ${thread} thread not running (target db-a, instance ${a.instance})`, description: `The replication ${thread} thread from 127.0.0.1 on db-a ${what}` },
      });
      await expectRulesTest('errant-transactions', scrapes, 'live', {
        MysqlSlaveIoThreadNotRunning: [stopped('IO', 'is stopped or still connecting: it receives no new events.')],
        MysqlSlaveSqlThreadNotRunning: [stopped('SQL', 'is stopped: it applies nothing, so the server falls behind.')],
        CheckMysqlErrantTransactions: [
          {
            exp_labels: { ...common(b), peer: `127.0.0.1:${a.server().port}`, severity: 'warning' },
            exp_annotations: {
              summary: `Errant transactions on the standby (target db-b, instance ${b.instance})`,
              description: `db-b has executed 1 transaction(s) that its writer 127.0.0.1:${a.server().port} has not (the GTIDs are in its status file): not eligible for switchover; see docs/errant-transactions.md to reconcile.`,
            },
          },
        ],
      });
    } finally {
      await pair!.a.exec('START SLAVE');
      await waitForThreads(pair!.a);
      await waitForReplication(pair!);
    }
  });

  it("the writer's IO thread from its standby stopped alone, as a promotion leaves it: fenced, and the public IO-thread rule stays quiet", async () => {
    await pair!.a.exec('STOP SLAVE IO_THREAD');
    try {
      const scrapes = await observe();
      expect(warnings(a)).toEqual(['peer-fenced']);
      const writer = scrapes.find((s) => s.node === a)!.text;
      expect(writer).toMatch(/^mysql_slave_status_slave_io_running\{[^}]*\} 0$/m);
      expect(writer).toMatch(/^check_mysql_replication_fenced\{[^}]*\} 1$/m);
      expect(scrapes.find((s) => s.node === b)!.text).toMatch(/^check_mysql_replication_fenced\{[^}]*\} 0$/m);
      await expectMetricsLintClean(scrapes);
      await expectRulesTest('writer-fenced', scrapes, 'live', {});
    } finally {
      await pair!.a.exec('START SLAVE IO_THREAD');
      await waitForThreads(pair!.a);
    }
  });

  it('the standby in planned maintenance: the not-eligible rule stays quiet; the maintenance-left-on rule fires only once it has lasted 4 hours', async () => {
    // As the daemon has it while the maintenance file exists: fault at once, checks going on.
    b.state = applyMaintenance(b.state, { on: true, info: { reason: 'kernel patch', since: new Date().toISOString(), by: 'dba@db-b' } }, Date.now());
    try {
      const scrapes = await observe();
      // What the not-eligible rule would fire on without its `unless`: an unhealthy standby whose own checks pass.
      expect(b.state.healthy).toBe(false);
      expect(b.state.lastReport?.verdict).toMatchObject({ healthy: true, role: 'standby' });
      const standby = scrapes.find((s) => s.node === b)!.text;
      expect(standby).toMatch(/^check_mysql_healthy\{[^}]*\} 0$/m);
      expect(standby).toMatch(/^check_mysql_role\{[^}]*role="standby"[^}]*\} 1$/m);
      expect(standby).toMatch(/^check_mysql_maintenance\{[^}]*\} 1$/m);
      await expectMetricsLintClean(scrapes);
      await expectRulesTest('standby-maintenance', scrapes, 'live', {});
      // Pending up to its 4 h `for`, firing after.
      await expectRulesTest('standby-maintenance-3h50m', scrapes, 'live', {}, '3h50m');
      await expectRulesTest('standby-maintenance-4h10m', scrapes, 'live', {
        CheckMysqlMaintenanceLeftOn: [
          {
            exp_labels: { ...common(b), severity: 'warning' },
            exp_annotations: {
              summary: `Maintenance left on (target db-b, instance ${b.instance})`,
              description: 'db-b has been in maintenance for over 4 hours: its keepalived stays in FAULT, so the pair has no standby for the next failure. When the work is done: check-mysql maintenance off.',
            },
          },
        ],
      }, '4h10m');
    } finally {
      b.state = applyMaintenance(b.state, { on: false }, Date.now());
    }
  });

  it('a checker whose timestamps stop advancing: the stale-checker rule fires for every target', async () => {
    const scrapes = await observe();
    expect([a.state.healthy, b.state.healthy], `reasons: a ${reasons(a)}, b ${reasons(b)}`).toEqual([true, true]);
    const stale = (n: Node): ExpectedAlert => ({
      exp_labels: { ...common(n), severity: 'critical' },
      exp_annotations: {
        summary: `check-mysql stopped checking (target ${n.meta.name}, instance ${n.instance})`,
        description: `No check of ${n.meta.name} finished for more than 30 s: keepalived still acts on the last verdict, which may be stale.`,
      },
    });
    await expectRulesTest('checker-stale', scrapes, 'stalled', { CheckMysqlCheckerStale: [stale(a), stale(b)] });
  });
});
