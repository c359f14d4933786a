/**
 * A scripted SQL fake (cf. mysqld_exporter's sqlmock ExpectQuery / ExpectationsWereMet): each
 * expected round trip in order, one statement or a batch, with its rows or error. Any surprise
 * (another statement, a batch sent one by one, or the other way round) fails the test at
 * expectationsMet(), even when the code under test caught the error it was thrown.
 */
import type { CheckSpec } from '../../src/types/config.js';
import type { Row } from '../../src/types/row.js';
import type { Connector, Session } from '../../src/types/session.js';

type ScriptedError = { errno?: number; code?: string; message: string };

export type Expectation =
  | {
      readonly sql: string;
      readonly rows?: readonly Row[];
      readonly error?: ScriptedError;
      /** How long the statement takes, on the fake clock that `elapsedMs()` reads. */
      readonly takesMs?: number;
    }
  /** Several statements in one queryBatch() round trip: one row set each, or the batch's error. */
  | { readonly batch: readonly string[]; readonly results?: readonly (readonly Row[])[]; readonly error?: ScriptedError; readonly takesMs?: number };

const what = (e: Expectation): string => ('sql' in e ? e.sql : `batch [${e.batch.join('; ')}]`);

export function scriptedConnector(script: readonly Expectation[], connectError?: ScriptedError) {
  const pending = [...script];
  const ran: { sql: string; deadlineMs: number }[] = [];
  // Kept apart from what is thrown: code under test may catch the error (notify turns any query
  // error into a 'failed' outcome), and a surprise must still fail the test.
  const surprises: string[] = [];
  let connects = 0;
  let opened = 0;
  let closed = 0;
  let elapsed = 0;

  /** Takes the next expectation if it is `got`, else records the surprise and throws. */
  function take(got: string, matches: (e: Expectation) => boolean): Expectation {
    const next = pending.shift();
    const surprise = !next ? `unexpected ${got}` : !matches(next) ? `expected ${what(next)} but got ${got}` : undefined;
    if (surprise) {
      surprises.push(surprise);
      throw new Error(`scripted-db: ${surprise}`);
    }
    elapsed += next!.takesMs ?? 0;
    if (next!.error) throw Object.assign(new Error(next!.error.message), next!.error);
    return next!;
  }

  const connect: Connector = async () => {
    connects++;
    if (connectError) throw Object.assign(new Error(connectError.message), connectError);
    opened++;
    const session: Session = {
      usable: true,
      threadId: 40 + opened,
      onLost() {},
      async query(sql, deadline) {
        ran.push({ sql, deadlineMs: deadline.totalMs });
        const next = take(`query ${sql}`, (e) => 'sql' in e && e.sql === sql);
        return 'rows' in next ? [...(next.rows ?? [])] : [];
      },
      async queryBatch(sqls, deadline) {
        for (const sql of sqls) ran.push({ sql, deadlineMs: deadline.totalMs });
        const got = `batch [${sqls.join('; ')}]`;
        const next = take(got, (e) => 'batch' in e && what(e) === got);
        return 'results' in next ? (next.results ?? []).map((rows) => [...rows]) : [];
      },
      async close() {
        closed++;
      },
    };
    return session;
  };
  return {
    connect,
    /** Every expected round trip ran, in order, and nothing else did. */
    expectationsMet: () => {
      if (surprises.length > 0) throw new Error(`scripted-db: ${surprises.join('; ')}`);
      if (pending.length > 0) throw new Error(`scripted-db: ${pending.length} expected queries never ran: ${pending.map(what).join('; ')}`);
    },
    /** The statements in the order they ran (a batch's one by one). */
    statements: () => ran.map((r) => r.sql),
    /** The deadline (its total ms) each statement ran under, in order. */
    deadlines: () => ran.map((r) => r.deadlineMs),
    /** Connection attempts, failed ones included. */
    connectCount: () => connects,
    /** Sessions handed out (connects that succeeded). */
    openedCount: () => opened,
    /** The sum of `takesMs` of the round trips run so far: add it to a test's clock. */
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

/** What a check against the scripted server is asked; the address is never dialled. */
export const SCRIPTED_SPEC: CheckSpec = {
  connection: { label: '192.0.2.8:3306', host: '192.0.2.8', port: 3306, user: 'check' },
  timeoutMs: 800,
  policy: { maxLagSeconds: 30, role: 'auto', onSaturated: 'healthy', channels: [] },
};
