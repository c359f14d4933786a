/**
 * A scripted SQL fake (cf. mysqld_exporter's sqlmock ExpectQuery / ExpectationsWereMet): each
 * expected statement in order, with its rows or error; any surprise fails the test, at
 * expectationsMet(), even when the code under test caught the error it was thrown.
 */
import type { Row } from '../../src/types/row.js';
import type { Connector, Session } from '../../src/types/session.js';

export interface Expectation {
  readonly sql: string;
  readonly rows?: readonly Row[];
  readonly error?: { errno?: number; code?: string; message: string };
  /** How long the statement takes, on the fake clock that `elapsedMs()` reads. */
  readonly takesMs?: number;
}

export function scriptedConnector(script: readonly Expectation[], connectError?: { errno?: number; code?: string; message: string }) {
  const pending = [...script];
  const ran: { sql: string; deadlineMs: number }[] = [];
  // Kept apart from what is thrown: code under test may catch the error (notify turns any query
  // error into a 'failed' outcome), and a surprise must still fail the test.
  const surprises: string[] = [];
  let connects = 0;
  let opened = 0;
  let closed = 0;
  let elapsed = 0;
  const connect: Connector = async () => {
    connects++;
    if (connectError) throw Object.assign(new Error(connectError.message), connectError);
    opened++;
    const session: Session = {
      usable: true,
      onLost() {},
      async query(sql, deadline) {
        ran.push({ sql, deadlineMs: deadline.totalMs });
        const next = pending.shift();
        const surprise = !next ? `unexpected query ${sql}` : next.sql !== sql ? `expected ${next.sql} but got ${sql}` : undefined;
        if (surprise) {
          surprises.push(surprise);
          throw new Error(`scripted-db: ${surprise}`);
        }
        elapsed += next!.takesMs ?? 0;
        if (next!.error) throw Object.assign(new Error(next!.error.message), next!.error);
        return [...(next!.rows ?? [])];
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
    /** Every expected statement ran, in order, and nothing else did. */
    expectationsMet: () => {
      if (surprises.length > 0) throw new Error(`scripted-db: ${surprises.join('; ')}`);
      if (pending.length > 0) throw new Error(`scripted-db: ${pending.length} expected queries never ran: ${pending.map((p) => p.sql).join('; ')}`);
    },
    /** The statements in the order they ran. */
    statements: () => ran.map((r) => r.sql),
    /** The deadline (its total ms) each statement ran under, in order. */
    deadlines: () => ran.map((r) => r.deadlineMs),
    /** Connection attempts, failed ones included. */
    connectCount: () => connects,
    /** Sessions handed out (connects that succeeded). */
    openedCount: () => opened,
    /** The sum of `takesMs` of the statements run so far: add it to a test's clock. */
    elapsedMs: () => elapsed,
    closedCount: () => closed,
  };
}

/** SHOW GLOBAL VARIABLES rows; `superReadOnly` only for MySQL (MariaDB has no such variable). */
export const variablesRows = (readOnly: 'ON' | 'OFF', version = '10.11.6-MariaDB-log', superReadOnly?: 'ON' | 'OFF'): Row[] => [
  { Variable_name: 'read_only', Value: readOnly },
  { Variable_name: 'server_id', Value: '2' },
  ...(superReadOnly ? [{ Variable_name: 'super_read_only', Value: superReadOnly }] : []),
  { Variable_name: 'version', Value: version },
  { Variable_name: 'version_comment', Value: 'test' },
];
