/**
 * Driver edge cases against protocol-level fake servers (node:net and mysql2's server side):
 * servers that accept and never greet, greet and never answer, or speak garbage. The real CLI
 * must end inside its deadline with a named reason, never crash, never hang.
 */
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createMysqlServer } from 'mysql2';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/repo.js';
import { codeOf, describeRun, runCheck } from '../helpers/clients/cli.js';

const servers: { close(): void }[] = [];
const sockets = new Set<Socket>();

afterEach(() => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  for (const s of servers.splice(0)) s.close();
});

function tcpFake(onConnection: (socket: Socket) => void): Promise<number> {
  // allowHalfOpen: like a hung (SIGSTOPped) mysqld, never answer our FIN, so a client that only
  // half-closes would keep its process alive.
  const server: TcpServer = createTcpServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

/** A server that completes the handshake and then runs `onQuery` for each statement. */
function mysqlFake(onQuery: (conn: any, sql: string) => void, characterSet = 33): Promise<number> {
  const server = createMysqlServer((conn: any) => {
    conn.on('error', () => undefined);
    sockets.add(conn.stream);
    conn.serverHandshake({
      protocolVersion: 10,
      serverVersion: '10.11.6-MariaDB-fake',
      connectionId: 1,
      statusFlags: 2,
      // The fake encodes what it sends in this charset, as a server would.
      characterSet,
      capabilityFlags: 0xffffff & ~0x800 & ~0x20,
      authCallback: (_p: unknown, accept: (err: null) => void) => {
        accept(null);
        conn.sequenceId = 0;
      },
    });
    conn.on('query', (sql: string) => onQuery(conn, sql));
  }) as any;
  servers.push({ close: () => server._server.close() });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server._server.address().port)));
}

const args = (port: number, timeout = '0.5') => ['--no-defaults', '--no-syslog', '--protocol', 'tcp', '-h', '127.0.0.1', '-P', String(port), '-u', 'check', '--json', '--timeout', timeout];

describe('driver edge cases (protocol-level fakes)', () => {
  it.each([
    ['accepts but never sends a greeting', () => tcpFake(() => undefined), 'timeout'],
    // Read as a packet header announcing ~5 MB that never arrive: only the deadline ends it.
    ['speaks another protocol (HTTP)', () => tcpFake((s) => s.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'))), 'timeout'],
    ['sends a well-framed but malformed greeting', () => tcpFake((s) => s.write(Buffer.from([3, 0, 0, 0, 0x63, 0, 0]))), 'connect-error'],
    ['closes the connection at once', () => tcpFake((s) => s.destroy()), 'connect-error'],
    ['completes the handshake, then never answers a query', () => mysqlFake(() => undefined), 'timeout'],
  ])('a server that %s fails the check with its reason, inside the deadline', async (_name, start, code) => {
    const port = await start();
    const run = await runCheck(args(port));
    expect(run.code, describeRun(run)).toBe(1);
    expect(run.json?.reasons.map(codeOf), describeRun(run)).toEqual([code]);
    expect(run.stderr, describeRun(run)).toBe('');
    expect(run.wallMs, describeRun(run)).toBeLessThan(500 + 400);
  });

  // The bundle decodes cesu8 (utf8mb3) itself and hands other charsets to iconv-lite.
  it.each([
    ['utf8mb3 (CESU-8, a 4-byte character as a surrogate pair)', 33, '10.11.6-MariaDB-\u00dc-\u{1F4A9}'],
    ['cp1250', 26, '10.11.6-MariaDB-\u0160\u0161'],
  ])('reads a %s column from the server', async (_name, charset, version) => {
    const port = await mysqlFake((conn) => {
      const col = (name: string) => ({ catalog: 'def', schema: '', table: '', orgTable: '', name, orgName: '', characterSet: charset, columnLength: 64, columnType: 253, flags: 0, decimals: 0 });
      conn.writeColumns([col('Variable_name'), col('Value')]);
      conn.writeTextRow(['read_only', 'OFF']);
      conn.writeTextRow(['version', version]);
      conn.writeEof();
      conn.sequenceId = 0;
    }, charset);
    const run = await runCheck(args(port));
    expect((run.json as { server?: { version?: string } } | undefined)?.server?.version, describeRun(run)).toBe(version);
  });

  it('a result without read_only is reported, not read as writable', async () => {
    const port = await mysqlFake((conn) => {
      conn.writeColumns([
        { catalog: 'def', schema: '', table: '', orgTable: '', name: 'Variable_name', orgName: '', characterSet: 33, columnLength: 64, columnType: 253, flags: 0, decimals: 0 },
        { catalog: 'def', schema: '', table: '', orgTable: '', name: 'Value', orgName: '', characterSet: 33, columnLength: 64, columnType: 253, flags: 0, decimals: 0 },
      ]);
      conn.writeTextRow(['version', '10.11.6-MariaDB-fake']);
      conn.writeEof();
      conn.sequenceId = 0;
    });
    const run = await runCheck(args(port));
    expect(run.code, describeRun(run)).toBe(1);
    expect(run.json?.reasons[0], describeRun(run)).toMatch(/^variables-unreadable: cannot read read_only: server did not report read_only/);
  });

  it('a password given on argv leaves /proc/PID/cmdline while the check runs', async () => {
    const port = await tcpFake(() => undefined);
    const child = spawn(process.execPath, [BIN, ...args(port, '1.5'), '--no-syslog', '-pargv-secret-42'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    await new Promise((r) => setTimeout(r, 600));
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
    expect(await exited).toBe(1);
    expect(cmdline).not.toContain('argv-secret-42');
    expect(cmdline.startsWith('check-mysql')).toBe(true);
    expect(stderr).toMatch(/warning: a password on the command line is visible/);
    expect(stderr).not.toContain('argv-secret-42');
  });
});
