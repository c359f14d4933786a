/**
 * A scripted SQL fake (cf. mysqld_exporter's sqlmock ExpectQuery / ExpectationsWereMet): each
 * expected round trip in order, one statement or a batch, with its rows or error; any surprise
 * (another statement, a batch sent one by one, or the other way round) fails the test.
 */
import type { Row } from '../../src/types/row.js';
import type { Connector, Session } from '../../src/types/session.js';
import type { CheckSpec } from '../../src/types/config.js';

type ScriptedError = { errno?: number; code?: string; message: string };

export type Expectation =
  | { readonly sql: string; readonly rows?: readonly Row[]; readonly error?: ScriptedError }
  /** Several statements in one queryBatch() round trip: one row set each, or the batch's error. */
  | { readonly batch: readonly string[]; readonly results?: readonly (readonly Row[])[]; readonly error?: ScriptedError };

const what = (e: Expectation): string => ('sql' in e ? e.sql : `batch [${e.batch.join('; ')}]`);

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
        if (!('sql' in next) || next.sql !== sql) throw new Error(`scripted-db: expected ${what(next)} but got ${sql}`);
        if (next.error) throw Object.assign(new Error(next.error.message), next.error);
        return [...(next.rows ?? [])];
      },
      async queryBatch(sqls) {
        const got = `batch [${sqls.join('; ')}]`;
        const next = pending.shift();
        if (!next) throw new Error(`scripted-db: unexpected ${got}`);
        if (!('batch' in next) || what(next) !== got) throw new Error(`scripted-db: expected ${what(next)} but got ${got}`);
        if (next.error) throw Object.assign(new Error(next.error.message), next.error);
        return (next.results ?? []).map((rows) => [...rows]);
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
      if (pending.length > 0) throw new Error(`scripted-db: ${pending.length} expected queries never ran: ${pending.map(what).join('; ')}`);
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

/** What a check against the scripted server is asked; the address is never dialled. */
export const SCRIPTED_SPEC: CheckSpec = {
  connection: { label: '192.0.2.8:3306', host: '192.0.2.8', port: 3306, user: 'check' },
  timeoutMs: 800,
  policy: { maxLagSeconds: 30, role: 'auto', onSaturated: 'healthy', channels: [] },
};
