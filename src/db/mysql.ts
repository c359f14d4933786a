/**
 * The only file that imports mysql2. Everything above it sees Session (rows) and DbFailure.
 * All waiting is bounded by the caller's Deadline; on expiry the socket is destroyed, because a
 * hung mysqld will never answer a polite COM_QUIT.
 */
import { createConnection, type Connection } from 'mysql2';
import type { Row } from '../types/row.js';
import type { Connector, Session } from '../types/session.js';
import type { Deadline } from '../types/deadline.js';
import { classifyDriverError } from './failure.js';
import { DbFailure, OversizedAnswer } from '../types/failure.js';
import { meterBytes, readAnswer, type AnswerSource } from './bounded-answer.js';
import { MAX_HANDSHAKE_BYTES } from '../limits.js';
import { driverTlsOptions, explainConnectFailure, prepareTls } from './tls-options.js';
import { tlsVersionOf, type Upgradable } from './tls-upgrade.js';

/**
 * mysql2's destroy() only half-closes (stream.end()): against a hung (SIGSTOPped) mysqld the FIN is
 * never answered and the socket keeps the process alive long after the verdict. Tear it down.
 */
function abandon(conn: Connection): void {
  conn.destroy();
  (conn as unknown as { stream?: { destroy(): void } }).stream?.destroy();
}

const timeoutFailure = (what: string, totalMs: number) => new DbFailure('timeout', `no answer to ${what} within the ${totalMs} ms deadline`);

/** Runs `start` and settles with its result, unless the deadline passes first (then `onTimeout`). */
function bounded<T>(
  phase: 'connect' | 'query',
  remainingMs: number,
  onTimeout: () => Error,
  start: (done: (err: unknown, value?: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (err: unknown, value?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err instanceof DbFailure ? err : classifyDriverError(err, phase));
      else resolve(value as T);
    };
    // The verdict waits one turn of the event loop: timers run before I/O, so after this
    // process was stalled (a loaded machine, a GC pause) an answer that arrived in time would
    // otherwise lose to the timer, and a healthy server would be blamed for our stall.
    const timer = setTimeout(() => setImmediate(() => finish(onTimeout())), remainingMs);
    start(finish);
  });
}

/** mysql2's connection as bounded-answer.ts reads it (its typings do not show `stream`). */
const source = (conn: Connection): AnswerSource => conn as unknown as AnswerSource;
/** mysql2's connection as the TLS upgrade replaces its own (db/tls-upgrade.ts). */
const upgradable = (conn: Connection): Upgradable => conn as unknown as Upgradable;

export interface DriverTuning {
  /**
   * mysql2 generates and compiles a row parser per result-set shape. A one-shot process never
   * reuses one, so it is cheaper to interpret rows; a daemon reuses them every check.
   */
  readonly generatedParsers: boolean;
  /**
   * Send queryBatch() as one multi-statement round trip. Only our own constant statements are
   * ever batched. Each write on a loopback socket costs more CPU than parsing its answer.
   */
  readonly batching: boolean;
}

export const mysqlConnector = (tuning: DriverTuning): Connector => async (cfg, deadline) => {
  const conn: Connection = createConnection({
    ...(cfg.socket ? { socketPath: cfg.socket } : { host: cfg.host, port: cfg.port }),
    user: cfg.user,
    password: cfg.password ?? '',
    // Only a backstop: bounded() below enforces the deadline, and lets an answer that arrived
    // during a stall of this process win (mysql2's own timer would not).
    connectTimeout: deadline.remainingMs() + 1_000,
    supportBigNumbers: true,
    dateStrings: true,
    charset: 'UTF8MB4_GENERAL_CI',
    disableEval: !tuning.generatedParsers,
    multipleStatements: tuning.batching,
    // We never prepare statements; mysql2's default cache of 16,000 preallocates four arrays of
    // that size per connection (~0.5 MB): a daemon with 100 targets would carry 50 MB of it.
    maxPreparedStatements: 1,
    // TLS and the password's safety: db/tls-options.ts.
    ...driverTlsOptions(cfg),
  });
  prepareTls(upgradable(conn), cfg);
  // Errors after the handshake arrive as events; an unhandled one would crash the process.
  conn.on('error', () => undefined);
  try {
    await bounded<void>('connect', deadline.remainingMs(), () => timeoutFailure('the connection handshake', deadline.totalMs), (done) => {
      // mysql2 would gather a greeting of any size (16 MB packets, chained): a server that sends
      // more than a handshake takes is refused before it can fill our memory.
      const stop = meterBytes(source(conn), MAX_HANDSHAKE_BYTES, () =>
        done(new DbFailure('oversized', `more than ${MAX_HANDSHAKE_BYTES} bytes in the connection handshake: not read further`)),
      );
      conn.connect((err) => {
        stop();
        done(err);
      });
    });
  } catch (err) {
    abandon(conn);
    throw err instanceof DbFailure ? explainConnectFailure(err, upgradable(conn), cfg) : err;
  }
  return session(conn, tuning.batching);
};

function session(conn: Connection, batching: boolean): Session {
  let usable = true;
  let abandoned = false;
  const lostListeners: ((why: string) => void)[] = [];
  const lost = (why: string) => {
    if (!usable) return;
    usable = false;
    // Only the server's doing is news: our own teardown is not a reason to re-check.
    if (!abandoned) for (const l of lostListeners.splice(0)) l(why);
  };
  conn.on('end', () => lost('the server closed the connection'));
  conn.on('error', (err: Error) => lost(err.message));
  const giveUp = () => {
    abandoned = true;
    usable = false;
    abandon(conn);
  };
  async function run<T>(sql: string, deadline: Deadline): Promise<T> {
    // Nothing answers on a dropped connection: say so now rather than wait out the deadline.
    if (!usable) throw new DbFailure('query-error', `the connection is closed; not sent: ${sql.split(' ').slice(0, 3).join(' ')}`);
    try {
      return await bounded<T>('query', deadline.remainingMs(), () => timeoutFailure(sql.split(' ').slice(0, 3).join(' '), deadline.totalMs), (done) =>
        readAnswer(source(conn), sql, (err, value) => done(err, value as T)),
      );
    } catch (err) {
      // The rest of an answer past a cap could only be skipped by reading it.
      if (err instanceof OversizedAnswer || (err instanceof DbFailure && err.failure === 'timeout')) giveUp();
      throw err;
    }
  }
  const threadId = typeof conn.threadId === 'number' ? conn.threadId : undefined;
  const tls = tlsVersionOf(upgradable(conn));
  return {
    get usable() {
      return usable;
    },
    threadId,
    ...(tls && { tls }),
    onLost(listener) {
      lostListeners.push(listener);
    },
    query(sql, deadline) {
      return run<Row[]>(sql, deadline);
    },
    async queryBatch(sqls, deadline) {
      if (!batching || sqls.length < 2) {
        const results: Row[][] = [];
        for (const sql of sqls) results.push(await run<Row[]>(sql, deadline));
        return results;
      }
      return run<Row[][]>(sqls.join('; '), deadline);
    },
    async close(deadline) {
      if (!usable) return giveUp();
      abandoned = true;
      try {
        await bounded<void>('query', Math.max(1, deadline.remainingMs()), () => new Error('quit timed out'), (done) => conn.end((err) => done(err)));
      } catch {
        giveUp();
      }
      usable = false;
    },
  };
}

/** For the one-shot check. */
export const connectMysql: Connector = mysqlConnector({ generatedParsers: false, batching: false });
