// The daemon's `peer`: how it is written, what its reading means for the verdict (warnings only),
// the series and status-file keys it gives, and the one log line per change.
import { describe, expect, it } from 'vitest';
import { parseArgv } from '../../src/cli/parse-argv.js';
import { buildDaemonConfig } from '../../src/daemon/daemon-config.js';
import { peerLine } from '../../src/daemon/peer-log.js';
import { statusDocument } from '../../src/daemon/state-files.js';
import { initialState } from '../../src/daemon/hysteresis.js';
import { peerSamples } from '../../src/metrics/peer-gauges.js';
import { withPeerFact } from '../../src/check.js';
import { DbFailure } from '../../src/types/failure.js';
import type { CheckReport, Facts } from '../../src/types/facts.js';
import type { Policy } from '../../src/types/config.js';
import type { PeerFact } from '../../src/types/peer.js';
import type { MariadbGtidState } from '../../src/types/gtid.js';
import type { ServerInfo } from '../../src/types/server.js';
import { UsageError } from '../../src/usage-error.js';
import { evaluate } from '../../src/verdict/evaluate.js';
import { fakeFiles, noFiles } from '../helpers/option-files.js';
import { healthyChannel } from './channel-builder.js';

const load = (args: string[], files: Record<string, string> = {}) =>
  buildDaemonConfig({ argv: parseArgv(args), env: { MYSQL_PWD: 'pw' }, fs: Object.keys(files).length ? fakeFiles(files) : noFiles, loginName: () => 'login' });

function errorOf(args: string[], files?: Record<string, string>): string {
  try {
    load(args, files);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error('expected a UsageError');
}

describe('the peer key', () => {
  it('--peer HOST:PORT: the target\'s user, password and TLS options, over TCP to the peer', () => {
    const [t] = load(['--no-defaults', '-S', '/run/mysqld/mysqld.sock', '-u', 'check', '--ssl-mode', 'REQUIRED', '--peer', '192.0.2.2:3307']).targets;
    expect(t!.connection).toMatchObject({ socket: '/run/mysqld/mysqld.sock', user: 'check', password: 'pw' });
    expect(t!.peer).toMatchObject({ label: '192.0.2.2:3307', host: '192.0.2.2', port: 3307, user: 'check', password: 'pw', tls: { mode: 'REQUIRED', host: '192.0.2.2' } });
    expect(t!.peer!.socket).toBeUndefined();
    expect(t!.policy.peer).toBe('192.0.2.2:3307');
  });

  it('without a port, the peer is on the target\'s port', () => {
    const [t] = load(['--no-defaults', '-h', '192.0.2.1', '-P', '3310', '--peer', 'db2.example.net']).targets;
    expect(t!.peer).toMatchObject({ label: 'db2.example.net:3310', port: 3310 });
  });

  it('an IPv6 peer, with and without a port', () => {
    expect(load(['--no-defaults', '--peer', '[2001:db8::2]:3307']).targets[0]!.peer).toMatchObject({ host: '2001:db8::2', port: 3307, label: '[2001:db8::2]:3307' });
    expect(load(['--no-defaults', '--peer', '2001:db8::2']).targets[0]!.peer).toMatchObject({ host: '2001:db8::2', port: 3306 });
  });

  it('a target section\'s peer key', () => {
    const config = '[target db1]\nhost = 127.0.0.1\nport = 3307\nuser = check\npeer = 127.0.0.1:3308\n';
    const [t] = load(['--config', '/etc/cm.cnf'], { '/etc/cm.cnf': config }).targets;
    expect(t!.peer).toMatchObject({ host: '127.0.0.1', port: 3308, user: 'check' });
    expect(t!.policy.peer).toBe('127.0.0.1:3308');
  });

  it('no peer: nothing is read of another node', () => {
    const [t] = load(['--no-defaults']).targets;
    expect(t!.peer).toBeUndefined();
    expect(t!.policy.peer).toBeUndefined();
  });

  it.each([
    ['a bad port', ['--peer', '192.0.2.2:33o6'], "invalid --peer '33o6': expected a whole number from 1 to 65535"],
    ['localhost', ['--peer', 'localhost'], "invalid --peer 'localhost': expected HOST or HOST:PORT (an IPv6 address in brackets: [2001:db8::2]:3306), reached over TCP; localhost would be this node's own socket"],
    ['an empty host', ['--peer', ':3306'], "invalid --peer ':3306': expected HOST or HOST:PORT (an IPv6 address in brackets: [2001:db8::2]:3306), reached over TCP"],
    ['a name with a space', ['--peer', 'db 2'], "invalid --peer 'db 2': expected HOST or HOST:PORT (an IPv6 address in brackets: [2001:db8::2]:3306), reached over TCP"],
    ['brackets round a name', ['--peer', '[db2]:3306'], "invalid --peer '[db2]:3306': expected HOST or HOST:PORT (an IPv6 address in brackets: [2001:db8::2]:3306), reached over TCP"],
  ])('refuses %s', (_, args, message) => {
    expect(errorOf(['--no-defaults', ...args])).toBe(message);
  });

  it('in a config file, the error names the file and section', () => {
    expect(errorOf(['--config', '/etc/cm.cnf'], { '/etc/cm.cnf': '[target db1]\nhost = 127.0.0.1\npeer = localhost:3307\n' })).toMatch(/^\/etc\/cm\.cnf \[target db1\]: invalid peer 'localhost:3307'/);
  });

  it('label.peer is refused: the peer series carry a peer label of their own', () => {
    expect(errorOf(['--config', '/etc/cm.cnf'], { '/etc/cm.cnf': '[target db1]\nhost = 127.0.0.1\nlabel.peer = b\n' })).toBe("/etc/cm.cnf:3: 'label.peer' is not a usable Prometheus label name");
  });

  it('--peer with --config belongs in the file', () => {
    expect(errorOf(['--config', '/etc/cm.cnf', '--peer', '192.0.2.2'], { '/etc/cm.cnf': '[target db1]\nhost = 127.0.0.1\n' })).toBe('--peer cannot be combined with --config: set it in a [target] section of /etc/cm.cnf');
  });
});

const POLICY: Policy = { maxLagSeconds: 30, role: 'auto', onSaturated: 'healthy', channels: [], peer: '192.0.2.2:3306' };
const server = (readOnly: boolean, serverId = 1): ServerInfo => ({ version: '10.11.6-MariaDB-log', versionComment: '', innodbVersion: '', flavor: 'mariadb', serverId, readOnly, superReadOnly: null });
const gtidOf = (serverId: number, binlogState: string, slavePos = ''): MariadbGtidState => ({
  flavor: 'mariadb', serverId, domainId: 0, logBin: true, logSlaveUpdates: true, binlogState, binlogPos: binlogState, currentPos: binlogState, slavePos,
});
/** This node (server_id 1) and its peer (2) have each applied all the other wrote. */
const gtid = gtidOf(1, '0-1-10,0-2-3', '0-2-3');
const peerGtid = gtidOf(2, '0-1-10,0-2-3', '0-1-10');
const peerRead = (readOnly: boolean, serverId = 2, g = peerGtid): PeerFact => ({ address: '192.0.2.2:3306', ok: true, server: server(readOnly, serverId), gtid: g, elapsedMs: 1.23, at: 1_800_000_000_000 });
const peerDown: PeerFact = { address: '192.0.2.2:3306', ok: false, error: new DbFailure('refused', 'connect ECONNREFUSED 192.0.2.2:3306'), elapsedMs: 0.4, at: 1_800_000_000_000 };

function facts(ownReadOnly: boolean, peer?: PeerFact, own = gtid): Facts {
  return {
    target: '192.0.2.1:3306',
    connect: { ok: true, elapsedMs: 1 },
    server: { ok: true, value: server(ownReadOnly), elapsedMs: 1 },
    replication: { ok: true, value: [healthyChannel()], elapsedMs: 1 },
    gtid: { ok: true, value: own, elapsedMs: 1 },
    ...(peer && { peer }),
  };
}

const codes = (f: Facts) => {
  const v = evaluate(f, POLICY);
  return { healthy: v.healthy, reasons: v.reasons.map((r) => r.code), warnings: v.warnings.map((w) => w.code) };
};

describe('what the peer\'s reading means for the verdict', () => {
  it.each([
    ['writer, peer read-only: nothing to say', facts(false, peerRead(true)), { healthy: true, reasons: [], warnings: [] }],
    ['writer, peer writable too: peer-writable, still healthy', facts(false, peerRead(false)), { healthy: true, reasons: [], warnings: ['peer-writable'] }],
    ['standby, peer writable: as it should be', facts(true, peerRead(false)), { healthy: true, reasons: [], warnings: [] }],
    ['both read-only: no writer, but not both writable', facts(true, peerRead(true)), { healthy: true, reasons: [], warnings: [] }],
    ['peer unreachable: said, not a fault of this node', facts(false, peerDown), { healthy: true, reasons: [], warnings: ['peer-unreachable'] }],
    ['peer not read yet: nothing', facts(false), { healthy: true, reasons: [], warnings: [] }],
    ['peer with this server_id: it is this node', facts(false, peerRead(false, 1)), { healthy: true, reasons: [], warnings: ['peer-is-self'] }],
    ['standby with a write of its own the writer lacks: errant-transactions, still healthy', facts(true, peerRead(false), gtidOf(1, '0-1-11,0-2-3', '0-2-3')), { healthy: true, reasons: [], warnings: ['errant-transactions'] }],
    ['the writer ahead of its standby: lag, not errant', facts(false, peerRead(true), gtidOf(1, '0-1-11,0-2-3', '0-2-3')), { healthy: true, reasons: [], warnings: [] }],
  ])('%s', (_, f, expected) => {
    expect(codes(f)).toEqual(expected);
  });

  it('peer-writable names the peer and its server_id', () => {
    const w = evaluate(facts(false, peerRead(false)), POLICY).warnings[0];
    expect(w?.message).toBe('this node and its peer 192.0.2.2:3306 (server_id 2) are both writable (read_only=OFF there): writes reaching both diverge the pair');
  });

  it('a reading added after the check judges the same facts again: only warnings change', () => {
    const f = facts(false);
    const report: CheckReport = { facts: f, verdict: evaluate(f, POLICY), elapsedMs: 3 };
    const again = withPeerFact(report, peerRead(false), POLICY);
    expect(again.verdict.healthy).toBe(report.verdict.healthy);
    expect(again.verdict.warnings.map((w) => w.code)).toEqual(['peer-writable']);
    expect(again.elapsedMs).toBe(3);
  });
});

const reportOf = (f: Facts): CheckReport => ({ facts: f, verdict: evaluate(f, POLICY), elapsedMs: 2 });

describe('the peer\'s series, status keys and log lines', () => {
  it('peer up and writable', () => {
    expect(peerSamples(reportOf(facts(false, peerRead(false))))).toEqual([
      { name: 'check_mysql_peer_up', labels: { peer: '192.0.2.2:3306' }, value: 1 },
      { name: 'check_mysql_peer_writable', labels: { peer: '192.0.2.2:3306' }, value: 1 },
    ]);
  });

  it('peer unreachable: up 0 and no writable series (not known, not 0)', () => {
    expect(peerSamples(reportOf(facts(false, peerDown)))).toEqual([{ name: 'check_mysql_peer_up', labels: { peer: '192.0.2.2:3306' }, value: 0 }]);
  });

  it('errant transactions on a standby: counted and named in the status file; none is 0', () => {
    const errant = reportOf(facts(true, peerRead(false), gtidOf(1, '0-1-11,0-2-3', '0-2-3')));
    expect(peerSamples(errant)).toContainEqual({ name: 'check_mysql_errant_transactions', labels: { peer: '192.0.2.2:3306' }, value: 1 });
    expect(errant.verdict.warnings[0]?.message).toBe(
      'errant transactions on the standby (executed there, not on the writer): 0-1-11 (peer 192.0.2.2:3306): not eligible for switchover, and promoting it would diverge the pair; docs/errant-transactions.md says how to reconcile',
    );
    const target = load(['--no-defaults', '--peer', '192.0.2.2:3306']).targets[0]!;
    const doc = JSON.parse(statusDocument(target, { ...initialState(0), lastReport: errant }, 7)) as Record<string, unknown>;
    expect(doc.errantTransactions).toEqual({ judged: true, count: 1, gtids: '0-1-11' });
    expect(peerSamples(reportOf(facts(true, peerRead(false))))).toContainEqual({ name: 'check_mysql_errant_transactions', labels: { peer: '192.0.2.2:3306' }, value: 0 });
    // On the writer, what the standby lacks is lag: not judged, no series.
    expect(peerSamples(reportOf(facts(false, peerRead(true)))).map((s) => s.name)).not.toContain('check_mysql_errant_transactions');
  });

  it('no peer reading: no series', () => {
    expect(peerSamples(reportOf(facts(false)))).toEqual([]);
  });

  it('the status file says what the peer showed', () => {
    const target = load(['--no-defaults', '--peer', '192.0.2.2:3306']).targets[0]!;
    const state = { ...initialState(0), lastReport: reportOf(facts(false, peerRead(false))), lastCheckAt: 1 };
    const doc = JSON.parse(statusDocument(target, state, 7)) as Record<string, unknown>;
    expect(doc.peer).toMatchObject({ address: '192.0.2.2:3306', up: true, readOnly: false, serverId: 2, gtid: { binlogState: '0-1-10,0-2-3', domainId: 0 } });
    expect(doc.warnings).toEqual([expect.stringMatching(/^peer-writable: /)]);
    const down = JSON.parse(statusDocument(target, { ...state, lastReport: reportOf(facts(false, peerDown)) }, 7)) as Record<string, unknown>;
    expect(down.peer).toMatchObject({ address: '192.0.2.2:3306', up: false, error: 'refused: connect ECONNREFUSED 192.0.2.2:3306' });
    expect(JSON.parse(statusDocument(target, initialState(0), 7))).toMatchObject({ peer: { address: '192.0.2.2:3306', up: null }, errantTransactions: null });
  });

  it('a target without a peer has no peer keys in its status file', () => {
    const target = load(['--no-defaults']).targets[0]!;
    expect(JSON.parse(statusDocument(target, initialState(0), 7))).not.toHaveProperty('peer');
  });

  it('the log line changes with what the reading means, not with each reading', () => {
    const writable = peerLine('db1', reportOf(facts(false, peerRead(false))));
    expect(writable).toMatchObject({ level: 'warn', fields: { target: 'db1', peer: '192.0.2.2:3306', peerWarnings: ['peer-writable'] } });
    expect(writable?.line).toMatch(/^db1: peer 192\.0\.2\.2:3306: peer-writable: this node and its peer/);
    expect(peerLine('db1', reportOf(facts(false, peerRead(false))))?.key).toBe(writable?.key);
    const fine = peerLine('db1', reportOf(facts(false, peerRead(true))));
    expect(fine).toMatchObject({ level: 'info', line: 'db1: peer 192.0.2.2:3306 read (read_only=ON): not both writable, no errant transactions here' });
    expect(fine?.key).not.toBe(writable?.key);
    const down: Facts = { target: '192.0.2.1:3306', connect: { ok: false, error: new DbFailure('refused', 'connect ECONNREFUSED'), elapsedMs: 1 }, peer: peerRead(false) };
    expect(peerLine('db1', reportOf(down))).toBeUndefined();
    const other = { ...peerDown, error: new DbFailure('refused', 'another text') };
    expect(peerLine('db1', reportOf(facts(false, other)))?.key).toBe(peerLine('db1', reportOf(facts(false, peerDown)))?.key);
  });
});
