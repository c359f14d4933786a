// The shipped Grafana dashboard against a real Prometheus (Debian's `prometheus`, on loopback, in
// this suite's temp dir) scraping real daemons, one per node of a real master-master pair, each
// with the other as its peer and pt-heartbeat's table, plus a target whose server is down. Every
// panel's expression, read from the dashboard JSON, is asked of Prometheus's HTTP API and must
// return data; those on series of a branch not merged yet (PENDING_MERGE) must parse and return
// nothing, and are listed.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertCliRuns } from '../helpers/clients/cli.js';
import { DaemonProcess } from '../helpers/clients/daemon.js';
import { prometheusMissing, PrometheusServer, type Sample } from '../helpers/clients/prometheus.js';
import { asPromql, panelQueries, PENDING_MERGE, readDashboard, type PanelQuery } from '../helpers/dashboard.js';
import { findBinaries } from '../helpers/servers/binaries.js';
import { createHeartbeatTable, HEARTBEAT_TABLE } from '../helpers/servers/heartbeat.js';
import { startPair, type Pair } from '../helpers/servers/pair.js';
import type { Server } from '../helpers/servers/server.js';
import { freePort } from '../helpers/ports.js';
import { describeNeeding } from '../helpers/suite.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const binaries = findBinaries();
const missing = prometheusMissing() ?? (typeof binaries === 'string' ? binaries : undefined);
/** Long enough for rate() over a few scrapes on a loaded machine. */
const DATA_TIMEOUT_MS = 60_000;

describeNeeding(missing, 'the Grafana dashboard: every panel returns data from a real Prometheus scraping real daemons', () => {
  let pair: Pair;
  let dir: string;
  let prometheus: PrometheusServer | undefined;
  const daemons: DaemonProcess[] = [];
  const answers = new Map<PanelQuery, Sample[]>();

  function target(name: string, port: number, keys: Record<string, string>): string[] {
    return ['', `[target ${name}]`, 'host = 127.0.0.1', `port = ${port}`, `user = ${pair.check.user}`, `password = ${pair.check.password}`, 'label.cluster = pair1', ...Object.entries(keys).map(([k, v]) => `${k} = ${v}`)];
  }

  /** One daemon per node, as deployed: its config file (mode 0600, it holds the password), its own listen port. */
  async function daemon(node: string, targets: string[][]): Promise<number> {
    const listen = await freePort();
    const config = join(dir, `${node}.cnf`);
    writeFileSync(config, `${['[daemon]', `listen = 127.0.0.1:${listen}`, 'interval = 1', ...targets.flat()].join('\n')}\n`, { mode: 0o600 });
    chmodSync(config, 0o600);
    daemons.push(await DaemonProcess.start({ marker: dir, args: ['--config', config] }));
    return listen;
  }

  const nodeKeys = (self: Server, peer: Server, vip: string) => ({ vip, peer: `127.0.0.1:${peer.port}`, 'heartbeat-table': HEARTBEAT_TABLE, 'status-file': join(dir, `${self.serverId}.status.json`) });

  beforeAll(async () => {
    await assertCliRuns();
    [pair, dir] = await Promise.all([startPair(), makeTempDir()]);
    await createHeartbeatTable(pair);
    const downPort = await freePort();
    // 127.0.0.1 is always local: node A holds the "VIP"; TEST-NET-1 is never local: B is the standby.
    const a = await daemon('a', [target('db-a', pair.a.port, nodeKeys(pair.a, pair.b, '127.0.0.1')), target('db-down', downPort, {})]);
    const b = await daemon('b', [target('db-b', pair.b.port, nodeKeys(pair.b, pair.a, '192.0.2.250'))]);
    prometheus = await PrometheusServer.start(dir, [
      { job: 'check-mysql-a', address: `127.0.0.1:${a}`, scheme: 'http' },
      { job: 'check-mysql-b', address: `127.0.0.1:${b}`, scheme: 'http' },
    ]);
    // Every query that must answer has answered (rate() needs two scrapes in its window), or time is up.
    const queries = panelQueries().filter((q) => !q.pending);
    const end = Date.now() + DATA_TIMEOUT_MS;
    for (;;) {
      for (const q of queries) answers.set(q, await prometheus.query(asPromql(q.expr)));
      if (queries.every((q) => answers.get(q)!.length > 0) || Date.now() > end) break;
      await sleep(1_000);
    }
  });

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all(daemons.map((d) => d.kill()));
    await pair?.cleanup();
    if (dir) await removeTempDir(dir);
  });

  it('Prometheus scrapes both daemons', async () => {
    expect((await prometheus!.targets()).map((t) => [t.job, t.health, t.lastError]).sort()).toEqual([
      ['check-mysql-a', 'up', ''],
      ['check-mysql-b', 'up', ''],
    ]);
  });

  it('every panel query returns data', () => {
    const empty = [...answers].filter(([, samples]) => samples.length === 0).map(([q]) => `${q.panel} (${q.refId}): ${q.expr}`);
    expect(empty, daemons.map((d) => d.describe()).join('\n')).toEqual([]);
    console.log(`measured: dashboard: ${answers.size} panel queries answered with data by a real Prometheus`);
  });

  it('the target variable lists every target', async () => {
    const definition = readDashboard().templating.list.find((v) => v.name === 'target')!.definition!;
    const metric = /^label_values\((\w+), target\)$/.exec(definition)?.[1];
    const targets = (await prometheus!.query(metric!)).map((s) => s.metric.target).sort();
    expect(targets).toEqual(['db-a', 'db-b', 'db-down']);
  });

  it('the panels show the pair as it is: A writes and holds the VIP, B is its read-only standby reading A as writable, no errant transactions, the down target refused', () => {
    const by = (title: string, refId = 'A') => {
      const q = [...answers.keys()].find((k) => k.panel === title && k.refId === refId)!;
      return Object.fromEntries(answers.get(q)!.map((s) => [s.metric.target ?? '', s.value]));
    };
    expect(by('Writer: holds the VIP')).toEqual({ 'db-a': 1, 'db-b': 0 });
    expect(by('Role as judged')).toEqual({ 'db-a': 2, 'db-b': 1, 'db-down': 0 });
    expect(by('read_only on each node')).toEqual({ 'db-a': 0, 'db-b': 1 });
    expect(by('Both writable')).toEqual({ 'db-a': 0, 'db-b': 0 });
    expect(by('Peer as read by each daemon', 'B')).toEqual({ 'db-a': 0, 'db-b': 1 });
    expect(by('Errant transactions on the standby')).toEqual({ 'db-b': 0 });
    expect(Object.keys(by('Lag per channel', 'A'))).toEqual(['db-b']);
    const why = [...answers].find(([q]) => q.panel === 'Why not healthy now')![1].map((s) => `${s.metric.target}: ${s.metric.reason}`);
    expect(why).toEqual(['db-down: refused']);
  });

  it('panels on series of a branch not merged yet parse and return nothing yet (pending merge)', async () => {
    const pending = panelQueries().filter((q) => q.pending);
    for (const q of pending) {
      console.log(`pending-merge: panel "${q.panel}" (${q.refId}) uses ${q.pending}, from ${PENDING_MERGE[q.pending!]}`);
      // Parses (an error would throw) and has no data: once the branch is merged it has, and this entry must go.
      expect(await prometheus!.query(asPromql(q.expr)), `${q.pending} now has data: remove it from PENDING_MERGE in test/helpers/dashboard.ts`).toEqual([]);
    }
    expect(pending.map((q) => q.pending)).toEqual(Object.keys(PENDING_MERGE));
  });
});
