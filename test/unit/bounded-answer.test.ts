/**
 * The driver stops reading an answer past a cap of src/limits.ts (rows, columns, bytes), so a
 * hostile server cannot make us hold 100,000 rows; and the daemon's round trip cut short still
 * answers the probes whose statements came first. The driver's events are played by a fake.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { readAnswer, type AnswerSource } from '../../src/db/bounded-answer.js';
import { SERVER_VARIABLES_SQL } from '../../src/dialect/server-info.js';
import { MAX_ANSWER_BYTES, MAX_COLUMNS, MAX_ROWS } from '../../src/limits.js';
import { fetchBatch } from '../../src/probes/batch.js';
import { runProbes } from '../../src/probes/run-probes.js';
import { OversizedAnswer } from '../../src/types/failure.js';
import type { Session } from '../../src/types/session.js';
import { evaluate } from '../../src/verdict/evaluate.js';
import { variablesRows } from '../helpers/scripted-db.js';

/** A connection whose query emits what `play` makes it emit, as mysql2's does without a callback. */
function fakeConnection(play: (query: EventEmitter, conn: FakeConnection) => void) {
  const conn = Object.assign(new EventEmitter(), { stream: new EventEmitter(), sent: [] as string[] }) as FakeConnection;
  conn.query = (sql: string) => {
    conn.sent.push(sql);
    const query = new EventEmitter();
    queueMicrotask(() => play(query, conn));
    return query;
  };
  return conn;
}
type FakeConnection = AnswerSource & EventEmitter & { stream: EventEmitter; sent: string[]; query(sql: string): EventEmitter };

function answerOf(conn: FakeConnection): Promise<{ err: unknown; value: unknown }> {
  return new Promise((resolve) => readAnswer(conn, 'SHOW ALL SLAVES STATUS', (err, value) => resolve({ err, value })));
}

const fields = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `c${i}` }));
const emitRows = (q: EventEmitter, n: number) => {
  for (let i = 0; i < n; i++) q.emit('result', { i }, 0);
};

describe('the driver reads an answer within the caps', () => {
  it(`${MAX_ROWS} rows are read whole`, async () => {
    const { err, value } = await answerOf(
      fakeConnection((q) => {
        q.emit('fields', fields(3));
        emitRows(q, MAX_ROWS);
        q.emit('end');
      }),
    );
    expect(err).toBeNull();
    expect(value).toHaveLength(MAX_ROWS);
  });

  it('100,000 rows: refused at the first row past the cap, the rest ignored', async () => {
    const { err } = await answerOf(
      fakeConnection((q) => {
        q.emit('fields', fields(3));
        emitRows(q, 100_000);
        q.emit('end');
      }),
    );
    expect(err).toBeInstanceOf(OversizedAnswer);
    expect(err).toMatchObject({ failure: 'too-many-rows', message: `more than ${MAX_ROWS} rows in the answer to SHOW ALL SLAVES STATUS: not read further`, completed: [] });
  });

  it('more columns than any answer has: refused before the rows', async () => {
    const { err } = await answerOf(fakeConnection((q) => q.emit('fields', fields(MAX_COLUMNS + 1))));
    expect(err).toMatchObject({ failure: 'oversized', message: `${MAX_COLUMNS + 1} columns in the answer to SHOW ALL SLAVES STATUS: not read further` });
  });

  it('more bytes than any answer has: refused as they arrive, whatever the rows', async () => {
    const { err } = await answerOf(
      fakeConnection((q, conn) => {
        q.emit('fields', fields(3));
        for (let i = 0; i < 17; i++) conn.stream.emit('data', new Uint8Array(1024 * 1024));
      }),
    );
    expect(err).toMatchObject({ failure: 'oversized', message: `more than ${MAX_ANSWER_BYTES} bytes in the answer to SHOW ALL SLAVES STATUS: not read further` });
  });

  it('a batch past the cap keeps the result sets read whole before it', async () => {
    const { err } = await answerOf(
      fakeConnection((q) => {
        q.emit('fields', fields(2));
        q.emit('result', { Variable_name: 'read_only', Value: 'ON' }, 0);
        q.emit('fields', fields(3));
        for (let i = 0; i <= MAX_ROWS; i++) q.emit('result', { i }, 1);
      }),
    );
    expect(err).toMatchObject({ failure: 'too-many-rows', completed: [[{ Variable_name: 'read_only', Value: 'ON' }]] });
  });

  it('several result sets come back one per statement, as with a callback', async () => {
    const { value } = await answerOf(
      fakeConnection((q) => {
        q.emit('fields', fields(1));
        q.emit('result', { a: 1 }, 0);
        q.emit('fields', fields(1));
        q.emit('end');
      }),
    );
    expect(value).toEqual([[{ a: 1 }], []]);
  });

  it('a connection lost mid-answer fails the answer at once (the driver reports it on the connection)', async () => {
    const lost = Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' });
    const { err } = await answerOf(
      fakeConnection((q, conn) => {
        q.emit('fields', fields(3));
        conn.emit('error', lost);
      }),
    );
    expect(err).toBe(lost);
  });

  it('stops listening once settled', async () => {
    const conn = fakeConnection((q) => {
      q.emit('fields', fields(1));
      q.emit('end');
    });
    await answerOf(conn);
    expect([conn.listenerCount('error'), conn.stream.listenerCount('data')]).toEqual([0, 0]);
  });
});

describe("the daemon's round trip cut short past a cap", () => {
  it('the server variables still count; the replication channels are too many', async () => {
    const statements = [SERVER_VARIABLES_SQL, 'SHOW ALL SLAVES STATUS'];
    const session: Session = {
      usable: false,
      threadId: undefined,
      onLost: () => undefined,
      query: () => Promise.reject(new Error('the connection is closed')),
      queryBatch: () => Promise.reject(new OversizedAnswer('too-many-rows', `more than ${MAX_ROWS} rows in the answer to ${statements.join('; ')}`, [variablesRows('ON')])),
      close: async () => undefined,
    };
    let t = 0;
    const ctx = { session, deadline: { totalMs: 800, remainingMs: () => 800 }, now: () => (t += 1) };
    const policy = { maxLagSeconds: 30, role: 'auto', onSaturated: 'healthy', channels: [] } as const;
    const known = { server: { version: '10.11.6-MariaDB', versionComment: '', innodbVersion: '', flavor: 'mariadb', serverId: 2, readOnly: true, superReadOnly: null } } as const;
    const batch = await fetchBatch(ctx, policy, known);
    expect(typeof batch).toBe('function');
    const results = await runProbes(ctx, policy, batch as Exclude<typeof batch, 'rejected' | undefined>);
    expect(results.server?.ok).toBe(true);
    const verdict = evaluate({ target: 'db', connect: { ok: true, elapsedMs: 1 }, ...results }, policy);
    expect(verdict).toMatchObject({ healthy: false, role: 'standby' });
    expect(verdict.reasons.map((r) => r.code)).toEqual(['too-many-channels']);
  });
});
