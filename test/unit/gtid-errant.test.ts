/**
 * GTID sets and the errant-transaction rule, from recorded variable values: MySQL 5.7/8.0/8.4
 * (@@gtid_executed as the server writes it: lower-case, ",\n" between UUIDs, tags after the
 * untagged intervals on 8.3+) and MariaDB 10.11 (gtid_binlog_state, gtid_slave_pos, ...).
 */
import { describe, expect, it } from 'vitest';
import { describeErrant, errantTransactions, mariadbErrant, mysqlErrant } from '../../src/gtid/errant.js';
import { MARIADB_GTID_SQL, MYSQL_GTID_SQL, finalPosition, parseGtidState, GtidStateError } from '../../src/gtid/gtid-state.js';
import { GtidListSyntaxError, parseGtidList } from '../../src/gtid/mariadb-gtid-list.js';
import { GtidSetSyntaxError, countGtids, formatGtidSet, parseGtidSet, subtractGtidSets } from '../../src/gtid/mysql-gtid-set.js';
import type { MariadbGtidState, MysqlGtidState } from '../../src/types/gtid.js';

const W = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const S = '4bc25a7e-05fa-11f0-a474-3a37024b6791';

const sub = (a: string, b: string) => formatGtidSet(subtractGtidSets(parseGtidSet(a), parseGtidSet(b)));

describe('MySQL GTID sets', () => {
  it.each([
    ['empty', '', ''],
    ['5.7 gtid_executed, two UUIDs on two lines', `${W}:1-20433,\n${S}:1-880`, `${W}:1-20433,${S}:1-880`],
    ['upper case and a UUID given twice are folded', `${W.toUpperCase()}:1-5, ${W}:6-9:11`, `${W}:1-9:11`],
    ['overlapping and adjacent intervals merge', `${W}:7-9:1-3:4-5:8-12`, `${W}:1-5:7-12`],
    ['8.4 tagged: untagged intervals first, then tags in order', `${W}:domain_2:8-52,${W}:Domain_1:1-3:15-21,${W}:1-4`, `${W}:1-4:domain_1:1-3:15-21:domain_2:8-52`],
    ['8.4 as the server writes a tagged set', `${W}:1-4:domain_1:1-3:15-21:domain_2:8-52`, `${W}:1-4:domain_1:1-3:15-21:domain_2:8-52`],
    ['a UUID without dashes', `${W.replace(/-/g, '')}:1`, `${W}:1`],
    ['the largest sequence number', `${W}:9223372036854775806-9223372036854775807`, `${W}:9223372036854775806-9223372036854775807`],
  ])('%s', (_name, text, formatted) => {
    expect(formatGtidSet(parseGtidSet(text))).toBe(formatted);
  });

  it.each([
    ['not a UUID', 'abc:1-2'],
    ['no interval', W],
    ['zero', `${W}:0-3`],
    ['reversed interval', `${W}:5-3`],
    ['past 2^63 - 1', `${W}:9223372036854775808`],
    ['a tag without interval', `${W}:1-3:domain_1`],
    ['a bad tag', `${W}:1-3:9tag:1`],
    ['a MariaDB position', '0-1-42'],
  ])('refuses %s', (_name, text) => {
    expect(() => parseGtidSet(text)).toThrow(GtidSetSyntaxError);
  });

  it.each([
    ['nothing left', `${W}:1-10`, `${W}:1-10`, ''],
    ['a hole in the middle', `${W}:1-10`, `${W}:1-3:6-10`, `${W}:4-5`],
    ['ends trimmed', `${W}:1-10`, `${W}:2-9`, `${W}:1:10`],
    ['another UUID entirely', `${W}:1-10,${S}:1-3`, `${W}:1-10`, `${S}:1-3`],
    ['a tag is its own source', `${W}:1-5:t:1-2`, `${W}:1-5`, `${W}:t:1-2`],
    ['many cuts in one interval', `${W}:1-100`, `${W}:2:4:6-98`, `${W}:1:3:5:99-100`],
  ])('subtracts: %s', (_name, a, b, left) => {
    expect(sub(a, b)).toBe(left);
  });

  it('counts past Number range exactly', () => {
    expect(countGtids(parseGtidSet(`${W}:1-9223372036854775807,${S}:1-3`))).toBe(9223372036854775810n);
  });
});

const mysqlRow = (uuid: string, executed: string, mode = 'ON') => [{ server_uuid: uuid.toUpperCase(), gtid_mode: mode, gtid_executed: executed }];
const mysql = (uuid: string, executed: string, mode = 'ON') => parseGtidState('mysql', mysqlRow(uuid, executed, mode)) as MysqlGtidState;

describe('errant transactions on a MySQL standby', () => {
  it('reads the state by the manual\'s variable names', () => {
    expect(MYSQL_GTID_SQL).toContain('@@GLOBAL.gtid_executed');
    expect(mysql(S, `${W}:1-20433,\n${S}:1-880`)).toEqual({ flavor: 'mysql', serverUuid: S, gtidMode: 'ON', executed: `${W}:1-20433,\n${S}:1-880` });
  });

  it.each([
    ['5.7: a standby that only replicated has none', mysql(S, `${W}:1-20433`), mysql(W, `${W}:1-20433`), '', 0],
    ['8.0: a standby behind its writer has none (lag is not errant)', mysql(S, `${W}:1-100`), mysql(W, `${W}:1-20433`), '', 0],
    ['8.0: the standby\'s own writes the writer replicated are not errant', mysql(S, `${W}:1-500,\n${S}:1-7`), mysql(W, `${W}:1-500,\n${S}:1-7`), '', 0],
    ['8.0: two writes on the standby the writer never got', mysql(S, `${W}:1-500,\n${S}:1-9`), mysql(W, `${W}:1-501,\n${S}:1-7`), `${S}:8-9`, 2],
    ['8.4: a tagged write on the standby', mysql(S, `${W}:1-50,\n${S}:maint:1`), mysql(W, `${W}:1-50`), `${S}:maint:1`, 1],
    ['a third server\'s GTIDs the writer lacks count too', mysql(S, `${W}:1-5,\n${'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'}:1-3`), mysql(W, `${W}:1-5`), 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee:1-3', 3],
  ])('%s', (_name, standby, writer, gtids, count) => {
    const found = mysqlErrant(standby, writer);
    expect(found).toMatchObject({ judged: true, gtids, count });
  });

  it('cannot judge with gtid_mode OFF, and says so', () => {
    const found = errantTransactions(mysql(S, '', 'OFF'), mysql(W, ''));
    expect(found.judged).toBe(false);
    expect(describeErrant(found)).toBe('errant transactions not checked: gtid_mode is OFF on the standby: transactions have no GTIDs to compare');
  });

  it('warns that anonymous transactions are unseen under ON_PERMISSIVE', () => {
    expect(mysqlErrant(mysql(S, `${W}:1-3`, 'ON_PERMISSIVE'), mysql(W, `${W}:1-3`)).why).toMatch(/ON_PERMISSIVE: anonymous/);
  });

  it('names the errant set in one line', () => {
    expect(describeErrant(mysqlErrant(mysql(S, `${S}:8-9`), mysql(W, '')))).toBe(`2 errant transactions on the standby (executed there, not on the writer): ${S}:8-9`);
  });
});

/** As SELECT @@GLOBAL.server_id ... returns it from MariaDB 10.11.19 (numbers as numbers, lists as text). */
function mariaRow(o: { id: number; domain?: number; binlogState: string; binlogPos?: string; slavePos: string; logBin?: number; lsu?: number }) {
  return [{
    server_id: o.id,
    gtid_domain_id: o.domain ?? o.id,
    log_bin: o.logBin ?? 1,
    log_slave_updates: o.lsu ?? 1,
    gtid_binlog_state: o.binlogState,
    gtid_binlog_pos: o.binlogPos ?? o.binlogState,
    gtid_current_pos: o.binlogPos ?? o.binlogState,
    gtid_slave_pos: o.slavePos,
  }];
}
const maria = (o: Parameters<typeof mariaRow>[0]) => parseGtidState('mariadb', mariaRow(o)) as MariadbGtidState;

describe('errant transactions on a MariaDB standby', () => {
  it('reads the state by the KB\'s variable names', () => {
    expect(MARIADB_GTID_SQL).toMatch(/gtid_binlog_state.*gtid_binlog_pos.*gtid_current_pos.*gtid_slave_pos/);
    expect(maria({ id: 2, binlogState: '1-1-40,2-2-7', slavePos: '1-1-40' })).toEqual({
      flavor: 'mariadb', serverId: 2, domainId: 2, logBin: true, logSlaveUpdates: true,
      binlogState: '1-1-40,2-2-7', binlogPos: '1-1-40,2-2-7', currentPos: '1-1-40,2-2-7', slavePos: '1-1-40',
    });
  });

  it.each([
    // One domain per server, as the test pairs run (gtid_domain_id = server_id).
    ['own domains: nothing written on the standby', { id: 2, binlogState: '1-1-40', slavePos: '1-1-40' }, { id: 1, binlogState: '1-1-41', slavePos: '' }, ''],
    ['own domains: standby writes the writer replicated', { id: 2, binlogState: '1-1-40,2-2-7', slavePos: '1-1-40' }, { id: 1, binlogState: '1-1-41,2-2-7', slavePos: '2-2-7' }, ''],
    ['own domains: a write on the standby the writer has not', { id: 2, binlogState: '1-1-40,2-2-8', slavePos: '1-1-40' }, { id: 1, binlogState: '1-1-41,2-2-7', slavePos: '2-2-7' }, '2-2-8'],
    ['own domains: the writer never had anything from the standby', { id: 2, binlogState: '1-1-40,2-2-1', slavePos: '1-1-40' }, { id: 1, binlogState: '1-1-41', slavePos: '' }, '2-2-1'],
    // One shared domain 0 (the default gtid_domain_id): seq numbers interleave.
    ['domain 0: the standby behind the writer is not errant', { id: 2, domain: 0, binlogState: '0-1-100,0-2-90', binlogPos: '0-1-100', slavePos: '0-1-100' }, { id: 1, domain: 0, binlogState: '0-2-90,0-1-120', binlogPos: '0-1-120', slavePos: '0-2-90' }, ''],
    ['domain 0: a write on the standby past what the writer has from it', { id: 2, domain: 0, binlogState: '0-1-100,0-2-101', binlogPos: '0-2-101', slavePos: '0-1-100' }, { id: 1, domain: 0, binlogState: '0-2-90,0-1-120', binlogPos: '0-1-120', slavePos: '0-2-90' }, '0-2-101'],
    ['domain 0, writer without log_slave_updates: its gtid_slave_pos speaks', { id: 2, domain: 0, binlogState: '0-1-100,0-2-101', slavePos: '0-1-100' }, { id: 1, domain: 0, binlogState: '0-1-120', slavePos: '0-2-101', lsu: 0 }, ''],
    ['several domains: only the standby\'s server_id counts', { id: 2, binlogState: '1-1-40,2-2-8,3-3-99', slavePos: '1-1-40,3-3-99' }, { id: 1, binlogState: '1-1-41,2-2-8', slavePos: '2-2-8' }, ''],
    ['errant in two domains, both named', { id: 2, binlogState: '0-2-5,2-2-8', slavePos: '' }, { id: 1, binlogState: '0-2-4,2-2-7', slavePos: '' }, '0-2-5,2-2-8'],
  ])('%s', (_name, standby, writer, gtids) => {
    expect(mariadbErrant(maria(standby), maria(writer))).toMatchObject({ judged: true, gtids, count: gtids === '' ? 0 : null });
  });

  it('cannot judge a standby without a binary log', () => {
    expect(mariadbErrant(maria({ id: 2, binlogState: '', slavePos: '1-1-3', logBin: 0 }), maria({ id: 1, binlogState: '1-1-3', slavePos: '' }))).toMatchObject({ judged: false });
  });

  it('says when the writer lacks log_slave_updates', () => {
    expect(mariadbErrant(maria({ id: 2, binlogState: '2-2-1', slavePos: '' }), maria({ id: 1, binlogState: '', slavePos: '2-2-1', lsu: 0 })).why).toMatch(/log_slave_updates OFF/);
  });

  it('refuses a malformed position', () => {
    expect(() => parseGtidList('0-1')).toThrow(GtidListSyntaxError);
    expect(() => parseGtidList(`${W}:1-3`)).toThrow(GtidListSyntaxError);
    expect(() => mariadbErrant(maria({ id: 2, binlogState: '2-2-x', slavePos: '' }), maria({ id: 1, binlogState: '', slavePos: '' }))).toThrow(GtidListSyntaxError);
  });

  it('will not compare a MariaDB standby with a MySQL writer', () => {
    expect(errantTransactions(maria({ id: 2, binlogState: '', slavePos: '' }), mysql(W, ''))).toMatchObject({ judged: false });
  });
});

describe('reading the state', () => {
  it('refuses a set longer than it keeps, rather than cut it', () => {
    const long = Array.from({ length: 2000 }, (_, i) => `${i.toString(16).padStart(8, '0')}-71ca-11e1-9e33-c80aa9429562:1-100`).join(',\n');
    expect(() => parseGtidState('mysql', mysqlRow(W, long))).toThrow(GtidStateError);
  });

  it('the final position: gtid_executed on MySQL, gtid_binlog_pos on MariaDB', () => {
    expect(finalPosition(mysql(W, `${W}:1-9`))).toBe(`${W}:1-9`);
    expect(finalPosition(maria({ id: 1, binlogState: '1-1-9,2-2-3', binlogPos: '1-1-9,2-2-3', slavePos: '' }))).toBe('1-1-9,2-2-3');
  });
});
