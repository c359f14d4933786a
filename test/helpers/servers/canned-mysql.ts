/**
 * A protocol-level fake MySQL server on loopback that answers every statement with bytes built
 * once: mysql2's server side does the handshake, then each answer is written in one piece. A
 * hostile server is fast: 100,000 rows must reach the client as quickly as a real mysqld would
 * send them, not at the pace of a fake writing them one by one.
 */
import { createServer } from 'mysql2';

const UTF8MB3 = 33;
const VAR_STRING = 253;
const EOF = 0xfe;
const MORE_RESULTS = 0x08;
const AUTOCOMMIT = 0x02;

export type Cell = string | number | null;

/** One result set: column names and text rows. */
export interface ResultSet {
  readonly columns: readonly string[];
  readonly rows: Iterable<readonly Cell[]>;
}

function lengthEncoded(n: number): Buffer {
  if (n < 251) return Buffer.from([n]);
  if (n < 0x10000) return Buffer.from([0xfc, n & 0xff, n >> 8]);
  if (n < 0x1000000) return Buffer.from([0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16]);
  const b = Buffer.alloc(9);
  b[0] = 0xfe;
  b.writeBigUInt64LE(BigInt(n), 1);
  return b;
}

const lengthEncodedString = (s: string): Buffer => {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([lengthEncoded(bytes.length), bytes]);
};

function columnDefinition(name: string): Buffer {
  const fixed = Buffer.alloc(13);
  fixed[0] = 0x0c;
  fixed.writeUInt16LE(UTF8MB3, 1);
  fixed.writeUInt32LE(1024, 3);
  fixed[7] = VAR_STRING;
  return Buffer.concat([...['def', '', '', '', name, name].map(lengthEncodedString), fixed]);
}

const eof = (status: number): Buffer => Buffer.from([EOF, 0, 0, status & 0xff, status >> 8]);

const row = (cells: readonly Cell[]): Buffer => Buffer.concat(cells.map((c) => (c === null ? Buffer.from([0xfb]) : lengthEncodedString(String(c)))));

/** The bytes of one answer: the result sets in order, framed as packets numbered from 1. */
export function answerBytes(sets: readonly ResultSet[]): Buffer {
  const packets: Buffer[] = [];
  let seq = 1;
  const packet = (payload: Buffer) => {
    const header = Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, seq++ & 0xff]);
    packets.push(header, payload);
  };
  sets.forEach((set, i) => {
    packet(lengthEncoded(set.columns.length));
    for (const name of set.columns) packet(columnDefinition(name));
    packet(eof(AUTOCOMMIT));
    for (const cells of set.rows) packet(row(cells));
    packet(eof(AUTOCOMMIT | (i < sets.length - 1 ? MORE_RESULTS : 0)));
  });
  return Buffer.concat(packets);
}

export interface CannedServer {
  readonly port: number;
  /** Statements received, in order (the daemon's round trip is one, joined with '; '). */
  readonly statements: string[];
  close(): void;
}

/**
 * Listens on 127.0.0.1 only. `answer` gets each statement (several, for a multi-statement round
 * trip) and returns its bytes; answers are cached by statement text.
 */
export function startCannedServer(answer: (statements: readonly string[]) => Buffer): Promise<CannedServer> {
  const cache = new Map<string, Buffer>();
  const statements: string[] = [];
  const sockets = new Set<{ destroy(): void }>();
  const server = createServer((conn: any) => {
    conn.on('error', () => undefined);
    conn.stream.on('error', () => undefined);
    sockets.add(conn.stream);
    conn.serverHandshake({
      protocolVersion: 10,
      serverVersion: '10.11.6-MariaDB-canned',
      connectionId: 1,
      statusFlags: AUTOCOMMIT,
      characterSet: UTF8MB3,
      capabilityFlags: 0xffffff & ~0x800 & ~0x20,
      authCallback: (_p: unknown, accept: (err: null) => void) => {
        accept(null);
        conn.sequenceId = 0;
      },
    });
    conn.on('query', (sql: string) => {
      statements.push(sql);
      let bytes = cache.get(sql);
      if (!bytes) cache.set(sql, (bytes = answer(sql.split('; '))));
      conn.stream.write(bytes);
      // The client numbers its next command from 0 again.
      conn.sequenceId = 0;
    });
  }) as any;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server._server.address().port,
        statements,
        close: () => {
          for (const s of sockets) s.destroy();
          server._server.close();
        },
      }),
    ),
  );
}
