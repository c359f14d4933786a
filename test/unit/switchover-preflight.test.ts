/**
 * The switchover's preflight, one case per condition: what both nodes show -> go, or the one
 * line that refuses. And --peer's syntax.
 */
import { describe, expect, it } from 'vitest';
import { parsePeer } from '../../src/commands/switchover.js';
import { judgePreflight, type NodeFacts, type SwitchoverFacts } from '../../src/switchover/preflight.js';
import { planLines } from '../../src/switchover/plan.js';
import type { MariadbGtidState, MysqlGtidState } from '../../src/types/gtid.js';
import type { ServerInfo } from '../../src/types/server.js';
import type { ReplicationChannel } from '../../src/types/replication.js';
import { healthyChannel } from './channel-builder.js';

const server = (serverId: number, readOnly: boolean, o: Partial<ServerInfo> = {}): ServerInfo => ({ version: '10.11.19-MariaDB-log', versionComment: 'Debian', innodbVersion: '', flavor: 'mariadb', serverId, readOnly, superReadOnly: null, ...o });
const maria = (serverId: number, binlogState: string, slavePos: string): MariadbGtidState => ({ flavor: 'mariadb', serverId, domainId: serverId, logBin: true, logSlaveUpdates: true, binlogState, binlogPos: binlogState, currentPos: binlogState, slavePos });

const WRITER: NodeFacts = { label: '/run/mysqld/mysqld.sock', server: server(1, false), channels: [healthyChannel({ sourceServerId: 2, retrievedGtid: '2-2-7' })], gtid: maria(1, '1-1-40,2-2-7', '2-2-7') };
const STANDBY: NodeFacts = { label: '192.0.2.12:3306', server: server(2, true), channels: [healthyChannel({ sourceServerId: 1, retrievedGtid: '1-1-40' })], gtid: maria(2, '1-1-40,2-2-7', '1-1-40') };
const FACTS: SwitchoverFacts = { vip: '192.0.2.100', vipHeld: true, maintenanceFile: '/run/check-mysql/db1.maintenance', maintenance: { on: false }, local: WRITER, peer: STANDBY, maxLagSeconds: 30 };

const peerWith = (o: Partial<NodeFacts>): Partial<SwitchoverFacts> => ({ peer: { ...STANDBY, ...o } });
const localWith = (o: Partial<NodeFacts>): Partial<SwitchoverFacts> => ({ local: { ...WRITER, ...o } });

describe('switchover preflight', () => {
  it('a writer holding the VIP with a healthy standby of it: go, with the keepalived condition assumed', () => {
    const p = judgePreflight(FACTS);
    expect(p.refusal).toBeUndefined();
    expect(p.conditions.filter((c) => c.met === 'assumed').map((c) => c.text)).toEqual([expect.stringMatching(/^the peer's keepalived can take over: assumed/)]);
    expect(p.conditions.find((c) => c.text.startsWith('the peer replicates'))?.text).toBe('the peer replicates from this node: default channel, IO yes, SQL yes, 0 s behind');
  });

  it.each<[string, Partial<SwitchoverFacts>, string | RegExp]>([
    ['the VIP is elsewhere', { vipHeld: false }, 'this node does not hold VIP 192.0.2.100: run the switchover on the writer'],
    ['this node is read-only', localWith({ server: server(1, true) }), 'this node is read-only (read_only=ON): not the writer'],
    ['already in maintenance', { maintenance: { on: true, problem: 'it is not JSON ({"reason","since","by"})' } }, 'this node is already in maintenance (/run/check-mysql/db1.maintenance exists: it is not JSON ({"reason","since","by"}))'],
    ['--peer is this node', peerWith({ server: server(1, true) }), /has this node's server_id 1: is --peer this node\?/],
    ['a MySQL peer of a MariaDB writer', peerWith({ server: server(2, true, { flavor: 'mysql', version: '8.4.3', superReadOnly: true }) }), 'this node is mariadb 10.11.19-MariaDB-log, the peer mysql 8.4.3'],
    ['the peer is writable too', peerWith({ server: server(2, false) }), /^the peer is writable too \(read_only=OFF\): two writers already/],
    ['the peer\'s SQL thread is stopped', peerWith({ channels: [healthyChannel({ sourceServerId: 1, sqlRunning: false, secondsBehind: null })] }), 'the peer replicates from this node: default channel: SQL thread is not running (stopped deliberately?)'],
    ['the peer\'s SQL thread stopped by an error', peerWith({ channels: [healthyChannel({ sourceServerId: 1, sqlRunning: false, lastSqlErrno: 1062, lastSqlError: "Duplicate entry '7'", secondsBehind: null })] }), /SQL thread stopped by error 1062: Duplicate entry '7'/],
    ['the peer cannot reach this node (eligible for failover, not for a switchover)', peerWith({ channels: [healthyChannel({ sourceServerId: 1, ioRunning: 'connecting', lastIoErrno: 2003, lastIoError: "Can't connect", secondsBehind: null })] }), /IO thread is connecting \(error 2003: Can't connect\)/],
    ['the peer lags beyond --max-lag', peerWith({ channels: [healthyChannel({ sourceServerId: 1, secondsBehind: 45 })] }), /45 s behind .* \(max 30 s\)/],
    ['the peer replicates from someone else', peerWith({ channels: [healthyChannel({ sourceServerId: 7 })] }), 'the peer replicates from this node: no channel from server_id 1 (default channel from server_id 7)'],
    ['this node does not replicate from the peer', localWith({ channels: [] }), 'this node replicates from the peer: no channel from server_id 2 (no replication channel)'],
    ['this node\'s replication from the peer is stopped (both threads: an operator\'s STOP SLAVE)', localWith({ channels: [healthyChannel({ sourceServerId: 2, ioRunning: 'no', sqlRunning: false, secondsBehind: null })] }), /this node replicates from the peer: default channel: SQL thread is not running .*; default channel: IO thread is not running/],
    ['this node\'s IO thread from the peer stopped by an error of its own', localWith({ channels: [healthyChannel({ sourceServerId: 2, ioRunning: 'no', lastIoErrno: 1236, lastIoError: 'binlog purged', secondsBehind: null })] }), /this node replicates from the peer: default channel: IO thread stopped by error 1236/],
    ['an errant transaction on the peer', peerWith({ gtid: maria(2, '1-1-40,2-2-8', '1-1-40') }), 'errant transactions on the peer (executed there, not on the writer): 2-2-8'],
    ['a peer whose errant transactions cannot be told', peerWith({ gtid: { ...maria(2, '', '1-1-40'), logBin: false } }), /^cannot tell whether the peer has errant transactions: the standby has no binary log/],
  ])('refuses: %s', (_name, change, line) => {
    const p = judgePreflight({ ...FACTS, ...change });
    if (typeof line === 'string') expect(p.refusal).toBe(line);
    else expect(p.refusal).toMatch(line);
  });

  it.each<[string, Partial<ReplicationChannel>]>([
    ['no error', {}],
    ['the network error it had when the promotion stopped it (2003)', { lastIoErrno: 2003, lastIoError: "Can't connect" }],
  ])('accepts this node\'s IO thread from the peer stopped alone, as its promotion leaves it: %s', (_name, io) => {
    const p = judgePreflight({ ...FACTS, ...localWith({ channels: [healthyChannel({ sourceServerId: 2, ioRunning: 'no', secondsBehind: null, ...io })] }) });
    expect(p.refusal).toBeUndefined();
    expect(p.conditions.find((c) => c.text.startsWith('this node replicates from the peer'))?.text).toMatch(/IO thread stopped since this node's promotion \(the BACKUP notify starts it again\)/);
  });

  it('names every unmet condition in the one line, so that all are fixed before the next try', () => {
    const p = judgePreflight({ ...FACTS, vipHeld: false, ...peerWith({ gtid: maria(2, '1-1-40,2-2-8', '1-1-40') }) });
    expect(p.refusal).toBe('this node does not hold VIP 192.0.2.100: run the switchover on the writer; errant transactions on the peer (executed there, not on the writer): 2-2-8');
  });

  it('MySQL: a peer that executed a GTID the writer lacks is refused by name', () => {
    const W = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    const P = '4bc25a7e-05fa-11f0-a474-3a37024b6791';
    const my = (uuid: string, executed: string): MysqlGtidState => ({ flavor: 'mysql', serverUuid: uuid, gtidMode: 'ON', executed });
    const mysql = (id: number, ro: boolean) => server(id, ro, { flavor: 'mysql', version: '8.0.36', superReadOnly: ro });
    const p = judgePreflight({ ...FACTS, local: { ...WRITER, server: mysql(1, false), gtid: my(W, `${W}:1-100`) }, peer: { ...STANDBY, server: mysql(2, true), gtid: my(P, `${W}:1-100,\n${P}:1-2`) } });
    expect(p.refusal).toBe(`2 errant transactions on the peer (executed there, not on the writer): ${P}:1-2`);
  });
});

describe('the plan', () => {
  it('names the wait function and the bounds of each flavour', () => {
    const base = { readOnlySql: 'SET GLOBAL read_only = ON', peer: '192.0.2.12:3306', vip: '192.0.2.100', maintenanceFile: '/m', catchUpTimeoutS: 10, confirmTimeoutS: 15, killConnections: true, lockFile: '/run/check-mysql/notify.lock' };
    expect(planLines({ ...base, flavor: 'mariadb' }).join('\n')).toMatch(/gtid_binlog_pos[\s\S]*MASTER_GTID_WAIT[\s\S]*kill|kill[\s\S]*MASTER_GTID_WAIT/);
    expect(planLines({ ...base, flavor: 'mysql', readOnlySql: 'SET GLOBAL super_read_only = ON' }).join('\n')).toMatch(/super_read_only[\s\S]*gtid_executed[\s\S]*WAIT_FOR_EXECUTED_GTID_SET/);
  });
});

describe('--peer', () => {
  it.each([
    ['db2', { host: 'db2' }],
    ['192.0.2.12:13306', { host: '192.0.2.12', port: '13306' }],
    ['[2001:db8::12]:3307', { host: '2001:db8::12', port: '3307' }],
    ['2001:db8::12', { host: '2001:db8::12' }],
  ])('%s', (text, peer) => expect(parsePeer(text)).toEqual(peer));

  it.each(['', 'db2:', 'db2:x', '[db2]:3306', 'a b', 'db2:0'])('refuses %j', (text) => expect(() => parsePeer(text)).toThrow(/--peer/));
});
