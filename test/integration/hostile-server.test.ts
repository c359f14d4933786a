/**
 * A hostile or broken server, as protocol-level fakes on loopback that answer at full speed:
 * 100,000 replication channels, an 8 MB Master_Host. Through the real CLI and the real daemon,
 * what such a server can make check-mysql hold, print and spend is bounded (src/limits.ts),
 * and it is never judged healthy for what was not read.
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertCliRuns, codeOf, describeRun, runCheck } from '../helpers/clients/cli.js';
import { DaemonProcess } from '../helpers/clients/daemon.js';
import { httpGet, waitForContent } from '../helpers/clients/daemon-outputs.js';
import { freePort } from '../helpers/ports.js';
import { answerBytes, startCannedServer, type CannedServer, type Cell, type ResultSet } from '../helpers/servers/canned-mysql.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/** Start-up of the CLI and the kernel's scheduling on a shared 2-core machine, beyond --timeout. */
const MARGIN_MS = 400;
const EIGHT_MB = 8_000_000;

const variables = (readOnly: 'ON' | 'OFF'): ResultSet => ({
  columns: ['Variable_name', 'Value'],
  rows: [['read_only', readOnly], ['server_id', '2'], ['version', '10.11.6-MariaDB-log'], ['version_comment', 'hostile']],
});

const REPLICA_COLUMNS = ['Connection_name', 'Master_Host', 'Master_Port', 'Master_UUID', 'Slave_IO_Running', 'Slave_SQL_Running', 'Last_IO_Errno', 'Last_IO_Error', 'Last_SQL_Errno', 'Last_SQL_Error', 'Seconds_Behind_Master', 'SQL_Delay', 'Master_Server_Id', 'Gtid_IO_Pos'];

function* channels(count: number, host: string): Iterable<Cell[]> {
  for (let i = 0; i < count; i++) yield [count === 1 ? '' : `c${i}`, host, 3306, '', 'Yes', 'Yes', 0, '', 0, '', 0, 0, 1, '0-1-5'];
}

/**
 * A MariaDB that answers its variables, and every replication statement with these channels.
 * Every answer is built before the first client connects: building 100,000 rows takes this
 * process longer than the check's deadline, which must measure the client, not the fake.
 */
function hostile(readOnly: 'ON' | 'OFF', count: number, host = '192.0.2.1'): Promise<CannedServer> {
  const sets = { variables: variables(readOnly), replication: { columns: REPLICA_COLUMNS, rows: [...channels(count, host)] } };
  const built = new Map(
    [['variables'], ['replication'], ['variables', 'replication']].map((names) => [names.join(), answerBytes(names.map((n) => sets[n as keyof typeof sets]))]),
  );
  return startCannedServer((statements) => built.get(statements.map((sql) => (/VARIABLES/i.test(sql) ? 'variables' : 'replication')).join())!);
}

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/**
 * A server whose greeting never ends: packets of the largest size, each announcing that another
 * follows (the protocol's way to send more than 16 MB), as fast as the socket drains.
 */
function endlessGreeting(): Promise<number> {
  const sockets = new Set<Socket>();
  const MAX_PACKET = 0xffffff;
  const CHUNK = 64 * 1024;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    let seq = 0;
    let left = 0;
    const next = (): Buffer => {
      if (left === 0) {
        left = MAX_PACKET;
        return Buffer.from([0xff, 0xff, 0xff, seq++ & 0xff]);
      }
      const size = Math.min(CHUNK, left);
      left -= size;
      return Buffer.alloc(size, 0x61);
    };
    const pump = () => {
      while (!socket.destroyed && socket.write(next()));
    };
    socket.on('drain', pump);
    pump();
  });
  servers.push({ close: () => (sockets.forEach((s) => s.destroy()), server.close()) });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

async function serve(readOnly: 'ON' | 'OFF', count: number, host?: string): Promise<number> {
  const server = await hostile(readOnly, count, host);
  servers.push(server);
  return server.port;
}

const oneShot = (port: number, timeout: string, ...more: string[]) =>
  runCheck(['--no-defaults', '--no-syslog', '--protocol', 'tcp', '-h', '127.0.0.1', '-P', String(port), '-u', 'check', '--json', '--timeout', timeout, ...more]);

describe('a hostile server against the one-shot check', () => {
  beforeAll(assertCliRuns);

  it('100,000 channels: refused as too-many-channels within --timeout, not judged healthy', async () => {
    const port = await serve('ON', 100_000);
    const run = await oneShot(port, '0.9');
    expect(run.code, describeRun(run)).toBe(1);
    expect(run.json?.reasons.map(codeOf), describeRun(run)).toEqual(['too-many-channels']);
    expect(run.wallMs, describeRun(run)).toBeLessThan(900 + MARGIN_MS);
    expect(run.stdout.length, describeRun(run)).toBeLessThan(4096);
  });

  it('100,000 channels on a writer: healthy with a too-many-channels warning, as an unreadable status', async () => {
    const port = await serve('OFF', 100_000);
    const run = await oneShot(port, '0.9');
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.json?.warnings.map(codeOf), describeRun(run)).toEqual(['too-many-channels']);
    expect(run.wallMs, describeRun(run)).toBeLessThan(900 + MARGIN_MS);
  });

  it('a greeting that never ends is refused past 64 KiB, not read until the deadline', async () => {
    const run = await oneShot(await endlessGreeting(), '0.9');
    expect(run.code, describeRun(run)).toBe(1);
    expect(run.json?.reasons.map(codeOf), describeRun(run)).toEqual(['oversized']);
    expect(run.wallMs, describeRun(run)).toBeLessThan(600);
  });

  it('an 8 MB Master_Host is cut to 255 bytes, marked, and said so in the warnings', async () => {
    const port = await serve('ON', 1, 'h'.repeat(EIGHT_MB));
    const run = await oneShot(port, '0.9');
    expect(run.code, describeRun(run).slice(0, 2000)).toBe(0);
    const channel = run.json?.replication[0] as { sourceHost: string; cut: string[] };
    expect(channel.sourceHost).toBe(`${'h'.repeat(255)}…[cut ${EIGHT_MB - 255} bytes]`);
    expect(channel.cut).toEqual(['Master_Host']);
    expect(run.json?.warnings.map(codeOf)).toEqual(['text-cut']);
    expect(run.stdout.length).toBeLessThan(4096);
    expect(run.wallMs).toBeLessThan(900 + MARGIN_MS);
  });
});

describe('a hostile server against the daemon', () => {
  let dir: string;
  const daemons: DaemonProcess[] = [];
  beforeAll(async () => {
    await assertCliRuns();
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await Promise.all(daemons.splice(0).map((d) => d.kill()));
  });
  afterAll(async () => {
    if (dir) await removeTempDir(dir);
  });

  async function daemonFor(name: string, port: number) {
    const listen = await freePort();
    const status = join(dir, `${name}.json`);
    const daemon = await DaemonProcess.start({
      args: ['--no-defaults', '--protocol', 'tcp', '-h', '127.0.0.1', '-P', String(port), '-u', 'check', '--timeout', '0.9', '--interval', '0.2', '--listen', `127.0.0.1:${listen}`, '--track-file', join(dir, `${name}.track`), '--status-file', status],
      marker: dir,
    });
    daemons.push(daemon);
    // A few checks, so each scrape below follows a check that read the whole answer again.
    await waitForContent(status, (c) => (c?.match(/"consecutive(Ok|Fail)":([3-9]|\d\d)/) ?? null) !== null, 'three checks', 10_000);
    return { daemon, listen, status };
  }

  it('an 8 MB Master_Host: small /metrics and status file, fast /health', async () => {
    const { listen, status } = await daemonFor('host8m', await serve('ON', 1, 'h'.repeat(EIGHT_MB)));
    const metrics = await httpGet(listen, '/metrics');
    const health = await httpGet(listen, '/health');
    expect(metrics.body.length).toBeLessThan(32 * 1024);
    expect(metrics.body).toContain(`master_host="${'h'.repeat(255)}…[cut ${EIGHT_MB - 255} bytes]"`);
    expect(statSync(status).size).toBeLessThan(8 * 1024);
    expect(JSON.parse(readFileSync(status, 'utf8')).warnings[0]).toMatch(/^text-cut: /);
    expect(health.ms).toBeLessThan(100);
  });

  it('5,000 channels: refused as too-many-channels, no per-channel series, fast scrapes', async () => {
    const { listen, status } = await daemonFor('c5000', await serve('ON', 5_000));
    const metrics = await httpGet(listen, '/metrics');
    const health = await httpGet(listen, '/health');
    expect(metrics.body).toMatch(/check_mysql_last_check_reason\{[^}]*reason="too-many-channels"\} 1/);
    expect(metrics.body).not.toMatch(/^mysql_slave_status_\w+\{/m);
    expect(metrics.ms).toBeLessThan(100);
    expect(health.status).toBe(503);
    expect(health.ms).toBeLessThan(100);
    expect(statSync(status).size).toBeLessThan(8 * 1024);
  });
});
