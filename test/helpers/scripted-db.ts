/**
 * A scripted SQL fake (cf. mysqld_exporter's sqlmock ExpectQuery / ExpectationsWereMet): each
 * expected statement in order, with its rows or error; any surprise fails the test.
 */
import type { Row } from '../../src/types/row.js';
import type { Connector, Session } from '../../src/types/session.js';

export interface Expectation {
  readonly sql: string;
  readonly rows?: readonly Row[];
  readonly error?: { errno?: number; code?: string; message: string };
}

export function scriptedConnector(script: readonly Expectation[], connectError?: { errno?: number; code?: string; message: string }) {
  const pending = [...script];
  let closed = 0;
  const connect: Connector = async () => {
    if (connectError) throw Object.assign(new Error(connectError.message), connectError);
    const session: Session = {
      usable: true,
      onLost() {},
      async query(sql) {
        const next = pending.shift();
        if (!next) throw new Error(`scripted-db: unexpected query ${sql}`);
        if (next.sql !== sql) throw new Error(`scripted-db: expected ${next.sql} but got ${sql}`);
        if (next.error) throw Object.assign(new Error(next.error.message), next.error);
        return [...(next.rows ?? [])];
      },
      async queryBatch(sqls, deadline) {
        const out = [];
        for (const sql of sqls) out.push(await session.query(sql, deadline));
        return out;
      },
      async close() {
        closed++;
      },
    };
    return session;
  };
  return {
    connect,
    expectationsMet: () => {
      if (pending.length > 0) throw new Error(`scripted-db: ${pending.length} expected queries never ran: ${pending.map((p) => p.sql).join('; ')}`);
    },
    closedCount: () => closed,
  };
}

export const variablesRows = (readOnly: 'ON' | 'OFF', version = '10.11.6-MariaDB-log'): Row[] => [
  { Variable_name: 'read_only', Value: readOnly },
  { Variable_name: 'server_id', Value: '2' },
  { Variable_name: 'version', Value: version },
  { Variable_name: 'version_comment', Value: 'test' },
];
