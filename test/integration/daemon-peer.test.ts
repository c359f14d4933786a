// The daemon's peer awareness against a real master-master MariaDB pair: a daemon per node,
// each with the other node as its `peer`. Both nodes made writable is seen in the status file,
// /metrics and the log within one interval (measured from the SET GLOBAL, printed as
// `measured:`); a peer that never answers leaves the target's own checks, their timing and
// their verdict as they were; a write on the standby the writer never received is named as an
// errant transaction until the writer has it.
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { assertCliRuns } from '../helpers/clients/cli.js';
import { DaemonProcess, msSince, now } from '../helpers/clients/daemon.js';
import { httpGet, readStatus, waitForContent } from '../helpers/clients/daemon-outputs.js';
import { measured } from '../helpers/measured.js';
import { freePort } from '../helpers/ports.js';
import { startPair, waitForReplication, type Pair } from '../helpers/servers/pair.js';
import { waitForThreads } from '../helpers/servers/replication.js';
import type { Server } from '../helpers/servers/server.js';
import { describeWithMariadb } from '../helpers/suite.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const INTERVAL_MS = 1000;
/** What a loaded 2-core machine may add to one interval: the check itself, timers firing late, our polling. */
const SLACK_MS = 400;
const ROUNDS = 5;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

interface Running {
  daemon: DaemonProcess;
  status: string;
  port: number;
}

describeWithMariadb('the daemon reads its peer: both writable, an unreachable peer, errant transactions', () => {
  let pair: Pair;
  let dir: string;
  let daemons: DaemonProcess[] = [];
  let files = 0;
  let hung: { server: NetServer; sockets: Set<Socket> } | undefined;

  beforeAll(async () => {
    await assertCliRuns();
    [pair, dir] = await Promise.all([startPair(), makeTempDir()]);
  });

  afterEach(async () => {
    await Promise.all(daemons.map((d) => d.kill()));
    daemons = [];
    for (const s of hung?.sockets ?? []) s.destroy();
    await new Promise<void>((resolve) => (hung ? hung.server.close(() => resolve()) : resolve()));
    hung = undefined;
  });

  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.kill()));
    await pair?.cleanup();
    if (dir) await removeTempDir(dir);
  });

  async function daemonFor(server: Server, peer: string, flags: string[] = []): Promise<Running> {
    const status = join(dir, `s${server.serverId}-${++files}.status.json`);
    const port = await freePort();
    const daemon = await DaemonProcess.start({
      marker: dir,
      password: pair.check.password,
      args: ['--no-defaults', '-h', '127.0.0.1', '-P', String(server.port), '-u', pair.check.user, '--peer', peer, '--status-file', status, '--listen', `127.0.0.1:${port}`, '--interval', String(INTERVAL_MS / 1000), '--rise', '1', ...flags],
    });
    daemons.push(daemon);
    return { daemon, status, port };
  }

  const peerOf = (server: Server) => `127.0.0.1:${server.port}`;
  const warnings = (status: string): string[] => (readStatus(status)?.warnings as string[] | undefined) ?? [];
  const says = (code: string) => (c: string | undefined) => c !== undefined && (JSON.parse(c) as { warnings: string[] }).warnings.some((w) => w.startsWith(`${code}: `));
  const saysNot = (code: string) => (c: string | undefined) => c !== undefined && !says(code)(c) && (JSON.parse(c) as { peer?: { up?: boolean } }).peer?.up === true;

  /** Polls /metrics until `pattern` matches a line; the moment it was first seen. */
  async function waitForMetric(port: number, pattern: RegExp, what: string, timeoutMs = 5_000): Promise<number> {
    const end = now() + timeoutMs;
    for (;;) {
      const { body } = await httpGet(port, '/metrics');
      if (body.split('\n').some((l) => pattern.test(l))) return now();
      if (now() > end) throw new Error(`timed out waiting for ${what} in /metrics:\n${body.split('\n').filter((l) => l.startsWith('check_mysql_peer') || l.startsWith('check_mysql_errant')).join('\n')}`);
      await sleep(5);
    }
  }

  it('both nodes writable: status file, /metrics and the log of both daemons say so within one interval, and say when it ends', async () => {
    const a = await daemonFor(pair.a, peerOf(pair.b));
    const b = await daemonFor(pair.b, peerOf(pair.a));
    await Promise.all([waitForContent(a.status, saysNot('peer-writable'), 'A to have read its peer'), waitForContent(b.status, saysNot('peer-writable'), 'B to have read its peer')]);
    await waitForMetric(a.port, /^check_mysql_peer_writable\{.*\} 0$/, 'A: peer B read-only');

    const bothStatus = (match: (c: string | undefined) => boolean, what: string) =>
      Promise.all([waitForContent(a.status, match, `A status: ${what}`, 5_000), waitForContent(b.status, match, `B status: ${what}`, 5_000)]);
    const detect: number[] = [];
    const clear: number[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        // Somewhere in the interval, not in step with the daemons' checks.
        await sleep(137 * round);
        const [fromA, fromB] = [a.daemon.lines.length, b.daemon.lines.length];
        const seen = bothStatus(says('peer-writable'), 'peer-writable');
        const t0 = now();
        await pair.b.exec('SET GLOBAL read_only = OFF');
        const metricAt = waitForMetric(a.port, /^check_mysql_peer_writable\{.*\} 1$/, 'A: check_mysql_peer_writable 1');
        const logA = a.daemon.waitForLog('A: a peer-writable line', (l) => (l.peerWarnings as string[] | undefined)?.includes('peer-writable') === true, 5_000, fromA);
        const logB = b.daemon.waitForLog('B: a peer-writable line', (l) => (l.peerWarnings as string[] | undefined)?.includes('peer-writable') === true, 5_000, fromB);
        const [[sa, sb], m] = await Promise.all([seen, metricAt, logA, logB]);
        const ms = Math.max(msSince(t0, sa.at), msSince(t0, sb.at), msSince(t0, m));
        detect.push(ms);
        expect(warnings(a.status).find((w) => w.startsWith('peer-writable: '))).toMatch(`peer-writable: this node and its peer 127.0.0.1:${pair.b.port} (server_id 2) are both writable`);
        expect(readStatus(a.status)).toMatchObject({ healthy: true, peer: { address: peerOf(pair.b), up: true, readOnly: false, serverId: 2 } });

        const [linesA, linesB] = [a.daemon.lines.length, b.daemon.lines.length];
        const cleared = bothStatus(saysNot('peer-writable'), 'no peer-writable');
        const t1 = now();
        await pair.b.exec('SET GLOBAL read_only = ON');
        const gone = await cleared;
        clear.push(Math.max(...gone.map((g) => msSince(t1, g.at))));
        const ended = (l: { level: string; target?: string; msg: string }) => l.level === 'info' && l.target === 'default' && l.msg.includes('not both writable');
        await Promise.all([a.daemon.waitForLog('A: the line saying it ended', ended, 5_000, linesA), b.daemon.waitForLog('B: the line saying it ended', ended, 5_000, linesB)]);
      }
    } finally {
      await pair.b.exec('SET GLOBAL read_only = ON');
    }
    // One line per change: per round, one when it began and one when it ended.
    const peerLines = a.daemon.lines.filter((l) => Array.isArray(l.peerWarnings));
    expect(peerLines.length, a.daemon.describe()).toBe(1 + 2 * ROUNDS);

    measured(`both writable -> seen in both status files, /metrics and the log: median ${median(detect)} ms, max ${Math.max(...detect)} ms over ${ROUNDS} (interval ${INTERVAL_MS} ms)`);
    measured(`both writable ended -> status file clear: median ${median(clear)} ms, max ${Math.max(...clear)} ms over ${ROUNDS}`);
    for (const ms of detect) expect(ms, a.daemon.describe()).toBeLessThan(INTERVAL_MS + SLACK_MS);
  });

  it('a peer that never answers: the target keeps its own verdict and its cadence, and says the peer cannot be read', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    hung = { server, sockets };
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

    const a = await daemonFor(pair.a, `127.0.0.1:${port}`, ['--timeout', '0.5']);
    await waitForContent(a.status, says('peer-unreachable'), 'A: peer-unreachable', 5_000);
    const stamps = new Set<string>();
    const end = now() + 4 * INTERVAL_MS;
    while (now() < end) {
      const s = readStatus(a.status);
      expect(s?.healthy, JSON.stringify(s)).toBe(true);
      if (typeof s?.lastCheck === 'string') stamps.add(s.lastCheck);
      await sleep(20);
    }
    const times = [...stamps].map((t) => Date.parse(t)).sort((x, y) => x - y);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const { body } = await httpGet(a.port, '/metrics');
    const sum = Number(/^check_mysql_check_duration_seconds_sum\{[^}]*\} (\S+)$/m.exec(body)?.[1]);
    const count = Number(/^check_mysql_check_duration_seconds_count\{[^}]*\} (\S+)$/m.exec(body)?.[1]);
    const meanMs = Math.round((sum / count) * 10_000) / 10;
    measured(`hung peer (handshake never answered, --timeout 0.5): target's checks every ${median(gaps)} ms (median; max ${Math.max(...gaps)} ms), mean check ${meanMs} ms, healthy throughout`);
    expect(body).toMatch(/^check_mysql_peer_up\{[^}]*\} 0$/m);
    expect(body).not.toMatch(/^check_mysql_peer_writable/m);
    expect(warnings(a.status).find((w) => w.startsWith('peer-unreachable: '))).toMatch(/^peer-unreachable: cannot read peer 127\.0\.0\.1:\d+ \(timeout: /);
    // The target's own checks are not held for the peer's deadline.
    expect(gaps.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...gaps), a.daemon.describe()).toBeLessThan(INTERVAL_MS + 250);
    expect(meanMs).toBeLessThan(100);
  });

  it('a write on the standby that the writer never received: named as errant on the standby until the writer has it', async () => {
    const b = await daemonFor(pair.b, peerOf(pair.a));
    await waitForContent(b.status, (c) => c !== undefined && (JSON.parse(c) as { errantTransactions?: { count?: number } }).errantTransactions?.count === 0, 'B: no errant transactions', 5_000);
    const from = b.daemon.lines.length;
    await pair.a.exec('STOP SLAVE');
    try {
      const t0 = now();
      // root writes past read_only on the standby; the writer does not replicate from it now.
      await pair.b.exec(`INSERT INTO ${pair.schema}.t (id, v) VALUES (900, 9)`);
      const own = (await pair.b.variable('gtid_binlog_state')).split(',').find((g) => g.split('-')[1] === '2');
      expect(own).toMatch(/^\d+-2-\d+$/);
      const seen = await waitForContent(b.status, says('errant-transactions'), 'B: errant-transactions', 5_000);
      const ms = msSince(t0, seen.at);
      measured(`errant transaction on the standby -> named in its status file: ${ms} ms (interval ${INTERVAL_MS} ms)`);
      expect(readStatus(b.status)).toMatchObject({ healthy: true, role: 'standby', errantTransactions: { judged: true, count: 1, gtids: own } });
      await waitForMetric(b.port, /^check_mysql_errant_transactions\{.*\} 1$/, 'B: check_mysql_errant_transactions 1');
      const line = await b.daemon.waitForLog('B: an errant line', (l) => (l.peerWarnings as string[] | undefined)?.includes('errant-transactions') === true, 5_000, from);
      expect(line.msg).toContain(own!);
      expect(ms).toBeLessThan(INTERVAL_MS + SLACK_MS);
    } finally {
      await pair.a.exec('START SLAVE');
      await waitForThreads(pair.a);
      await waitForReplication(pair);
    }
    await waitForContent(b.status, (c) => c !== undefined && (JSON.parse(c) as { errantTransactions?: { count?: number } }).errantTransactions?.count === 0, 'B: errant no more once the writer replicated it', 5_000);
    await waitForMetric(b.port, /^check_mysql_errant_transactions\{.*\} 0$/, 'B: check_mysql_errant_transactions 0');
  });
});
