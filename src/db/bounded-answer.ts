/**
 * Reading a server's answer within the caps of src/limits.ts, so a hostile or broken server cannot
 * make us hold more than they allow: rows, columns and bytes are counted as they arrive, and past
 * a cap the answer is refused at once. An answer can only be skipped by reading it, so the caller
 * then drops the connection. Works on the driver's event interface, described here by shape so
 * that mysql2 stays imported by src/db/mysql.ts alone.
 */
import { MAX_ANSWER_BYTES, MAX_COLUMNS, MAX_ROWS } from '../limits.js';
import { OversizedAnswer } from '../types/failure.js';
import type { Row } from '../types/row.js';

interface Emitter {
  on(event: string, listener: (...args: any[]) => void): this;
  removeListener(event: string, listener: (...args: any[]) => void): this;
}

/** What of a driver connection reading an answer needs: its query events, its errors, its socket. */
export interface AnswerSource extends Emitter {
  /** Without a callback: the answer comes as 'fields', 'result', 'error' and 'end' events. */
  query(sql: string): Emitter;
  readonly stream: Emitter;
}

export type Settle = (err: unknown, value?: unknown) => void;

/**
 * Counts the bytes the server sends from now on and calls `over` once they pass `limit`.
 * Returns the function that stops counting. The driver reads each chunk before this listener
 * sees it, so at most one socket read (64 KiB) is parsed beyond the limit.
 */
export function meterBytes(source: AnswerSource, limit: number, over: () => void): () => void {
  let received = 0;
  let stream = source.stream;
  const onData = (chunk: Uint8Array) => {
    received += chunk.length;
    if (received <= limit) return;
    stop();
    over();
  };
  // A TLS upgrade replaces the socket mid-handshake (db/tls-upgrade.ts): keep counting on the new one.
  const follow = () => {
    stream.removeListener('data', onData);
    stream = source.stream;
    stream.on('data', onData);
  };
  const stop = () => {
    stream.removeListener('data', onData);
    source.removeListener(STREAM_REPLACED, follow);
  };
  stream.on('data', onData);
  source.on(STREAM_REPLACED, follow);
  return stop;
}

/** Emitted on a connection whose socket was replaced (by TLS) while an exchange may be metered. */
export const STREAM_REPLACED = 'check-mysql:stream-replaced';

const statementOf = (sql: string): string => sql.split(' ').slice(0, 4).join(' ');

/**
 * Sends `sql` and settles once with its rows: one Row[] for one result set, one per statement for
 * several (as the driver's callback would), or the error. Past a cap: an OversizedAnswer holding
 * the result sets read whole before it.
 */
export function readAnswer(source: AnswerSource, sql: string, settle: Settle): void {
  const sets: unknown[] = [];
  let rows: Row[] | undefined;
  let settled = false;
  const finish: Settle = (err, value) => {
    if (settled) return;
    settled = true;
    stopMeter();
    source.removeListener('error', finish);
    settle(err, value);
  };
  const refuse = (failure: 'too-many-rows' | 'oversized', what: string) =>
    finish(new OversizedAnswer(failure, `${what} in the answer to ${statementOf(sql)}: not read further`, sets.slice(0, -1) as Row[][]));
  const stopMeter = meterBytes(source, MAX_ANSWER_BYTES, () => refuse('oversized', `more than ${MAX_ANSWER_BYTES} bytes`));
  // Without a callback the driver reports a lost connection on the connection, not on the query.
  source.on('error', finish);
  source
    .query(sql)
    .on('fields', (fields: readonly unknown[] | undefined) => {
      rows = fields ? [] : undefined;
      sets.push(rows);
      if (fields && fields.length > MAX_COLUMNS) refuse('oversized', `${fields.length} columns`);
    })
    .on('result', (row: Row) => {
      if (settled) return;
      // An OK packet (a statement that returns no rows) is the whole result, as with a callback.
      if (!rows) sets[sets.length - 1] = row;
      else if (rows.length >= MAX_ROWS) refuse('too-many-rows', `more than ${MAX_ROWS} rows`);
      else rows.push(row);
    })
    .on('error', finish)
    .on('end', () => finish(null, sets.length === 1 ? sets[0] : sets));
}
