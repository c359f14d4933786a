/** Demotion's statement per flavour, and which processlist rows are client connections to end. */
import { describe, expect, it } from 'vitest';
import { clientsToKill, demoteSql } from '../../src/notify/read-only.js';
import type { Row } from '../../src/types/row.js';
import type { ServerInfo } from '../../src/types/server.js';
import * as mariadbProcesslist from '../fixtures/processlist/mariadb-10.11-recorded.js';
import * as mysqlProcesslist from '../fixtures/processlist/mysql-8.4-manual.js';

const server = (readOnly: boolean, superReadOnly: boolean | null): ServerInfo => ({
  version: superReadOnly === null ? '10.11.6-MariaDB-log' : '8.0.36',
  versionComment: '',
  innodbVersion: '',
  flavor: superReadOnly === null ? 'mariadb' : 'mysql',
  serverId: 2,
  readOnly,
  superReadOnly,
});

describe('demoteSql: read-only as strongly as the server allows, or nothing when it already is', () => {
  it.each([
    { name: 'MariaDB writable', at: server(false, null), sql: 'SET GLOBAL read_only = ON' },
    { name: 'MariaDB read-only', at: server(true, null), sql: null },
    { name: 'MySQL writable', at: server(false, false), sql: 'SET GLOBAL super_read_only = ON' },
    { name: 'MySQL read_only only (SUPER users can still write)', at: server(true, false), sql: 'SET GLOBAL super_read_only = ON' },
    { name: 'MySQL super_read_only', at: server(true, true), sql: null },
  ])('$name', ({ at, sql }) => {
    expect(demoteSql(at)).toBe(sql);
  });
});

describe('clientsToKill: client connections only', () => {
  const root = new Set(['root']);
  const CASES: readonly { name: string; rows: readonly Row[]; keep: ReadonlySet<string>; ids: number[] }[] = [
    { name: 'MariaDB replica (recorded): the two app connections', rows: mariadbProcesslist.replica, keep: root, ids: [24, 21] },
    { name: 'MariaDB replica with its IO thread still connecting (recorded)', rows: [mariadbProcesslist.ioThreadConnecting], keep: root, ids: [] },
    { name: 'MariaDB source (recorded): the dump thread under the replication user is not a client', rows: mariadbProcesslist.source, keep: root, ids: [] },
    { name: 'MySQL (manual): receiver, applier, worker, dump threads and the event scheduler are kept', rows: mysqlProcesslist.replica, keep: root, ids: [16648, 16653, 17001] },
    { name: 'MySQL (manual) with --keep-user backup', rows: mysqlProcesslist.replica, keep: new Set(['root', 'backup']), ids: [16648, 16653] },
    { name: 'root is a client like any other when not kept', rows: mariadbProcesslist.replica, keep: new Set(), ids: [24, 21, 22] },
    { name: 'a login still in progress (unauthenticated user) is not killed', rows: [{ ID: 40, USER: 'unauthenticated user', COMMAND: 'Connect' }], keep: root, ids: [] },
    { name: 'SHOW PROCESSLIST spelling (Id, User, Command) is read too', rows: [{ Id: 41, User: 'app', Command: 'Sleep' }, { Id: 42, User: 'system user', Command: 'Slave_SQL' }], keep: root, ids: [41] },
    { name: 'an id given as a decimal string', rows: [{ ID: '9007199254740', USER: 'app', COMMAND: 'Sleep' }], keep: root, ids: [9007199254740] },
    { name: 'rows without a usable id are skipped', rows: [{ ID: null, USER: 'app', COMMAND: 'Sleep' }, { ID: 0, USER: 'app', COMMAND: 'Sleep' }, { ID: 'x', USER: 'app', COMMAND: 'Sleep' }], keep: root, ids: [] },
  ];
  it.each(CASES)('$name', ({ rows, keep, ids }) => {
    expect(clientsToKill(rows, keep)).toEqual(ids);
  });
});
